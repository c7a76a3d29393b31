"""The domain classifier: model, training, storage, and finding the right one for some data.

ganfleet classifier train --data fashion-mnist --out classifiers/fm

model.py     a small CNN on the GANs' own images (32 px and up, [-1, 1])
training.py  training on a data set's whole train split, measured on its test split
store.py     saved classifiers: safetensors weights and a manifest naming the data they learnt
canonical/   the classifiers shipped with the package, by data set
"""

from __future__ import annotations

from pathlib import Path

from ganfleet.classifier.model import ClassifierSpec, DomainClassifier
from ganfleet.classifier.store import (
    StoredClassifier,
    cache_dir,
    cache_root,
    copy_to_cache,
    domain_config,
    load_classifier,
    save_classifier,
    shipped_for,
    train_command,
)
from ganfleet.classifier.training import (
    CANONICAL,
    NO_CAPS,
    ClassifierTraining,
    TrainingCaps,
    class_recall,
    predict,
    share_correct,
    smoke_caps,
    train_classifier,
)
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.errors import EvaluationError


def train_and_save(
    data: DataConfig,
    out: str | Path | None = None,
    settings: ClassifierTraining = CANONICAL,
    progress: bool = True,
    caps: TrainingCaps = NO_CAPS,
) -> StoredClassifier:
    """Train a classifier on `data`'s whole train split, test it on the test split, save it to `out`.

    The canonical recipe's classifier also goes into the cache (the default
    `out`), where `evaluate` finds it; another recipe's needs an `out` and is
    only used where it is named (`--classifier`).
    """
    if out is None and not settings.canonical:
        raise EvaluationError(
            "classifier train: a classifier of a non-canonical recipe is only used when named "
            "(--classifier DIR); give --out DIR"
        )
    train = load_dataset(domain_config(data, "train"))
    test = load_dataset(domain_config(data, "test"))
    fingerprint = train.fingerprint()
    folder = Path(out) if out is not None else cache_dir(fingerprint)
    result = train_classifier(train, test, settings, progress, caps)
    save_classifier(folder, result, domain_config(data), fingerprint, train.source, train.class_names)
    if settings.canonical:
        copy_to_cache(folder, fingerprint, settings.recipe_id)
    return load_classifier(folder, fingerprint)


def classifier_for(
    data: DataConfig,
    folder: str | Path | None = None,
    train_missing: bool = True,
    progress: bool = True,
    caps: TrainingCaps = NO_CAPS,
) -> StoredClassifier:
    """The classifier for `data`: the one in `folder` when named, else the canonical one.

    The canonical classifier ships with the package (Fashion-MNIST, digits) or
    is found in the cache; when neither has it, it is trained into the cache
    with the canonical recipe. A classifier trained on other data is refused
    (EvaluationError naming both fingerprints and the command that trains the right one).
    """
    fingerprint = load_dataset(domain_config(data, "train")).fingerprint()
    if folder is not None:
        return load_classifier(folder, fingerprint, data)
    found = shipped_for(fingerprint) or cache_dir(fingerprint)
    if (found / "manifest.json").is_file():
        return load_classifier(found, fingerprint, data)
    if not train_missing:
        raise EvaluationError(
            f"no canonical classifier for {data.name} (fingerprint {fingerprint[:16]}) in {found.parent}; "
            f"train one with: {train_command(data)}"
        )
    print(
        f"no canonical classifier for {data.name} (fingerprint {fingerprint[:16]}) in {found.parent}: training one now "
        f"with the canonical recipe {CANONICAL.recipe_id} (seconds for digits, minutes for Fashion-MNIST on CPU; "
        "cached)"
    )
    return train_and_save(data, None, progress=progress, caps=caps)


__all__ = [
    "CANONICAL",
    "NO_CAPS",
    "ClassifierSpec",
    "ClassifierTraining",
    "DomainClassifier",
    "StoredClassifier",
    "TrainingCaps",
    "cache_dir",
    "cache_root",
    "class_recall",
    "classifier_for",
    "load_classifier",
    "predict",
    "share_correct",
    "smoke_caps",
    "train_and_save",
    "train_command",
]
