"""The domain classifier: model, training, storage, and finding the right one for some data.

    ganfleet classifier train --data fashion-mnist --out classifiers/fm
"""

from __future__ import annotations

from pathlib import Path

from ganfleet.classifier.model import ClassifierSpec, DomainClassifier
from ganfleet.classifier.store import (StoredClassifier, cache_dir, cache_root, copy_to_cache, domain_config, load_classifier,
                                       save_classifier, train_command)
from ganfleet.classifier.training import ClassifierTraining, train_classifier
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.errors import EvaluationError


def train_and_save(data: DataConfig, out: str | Path | None = None, settings: ClassifierTraining = ClassifierTraining(),
                   progress: bool = True) -> StoredClassifier:
    """Train a classifier on `data`'s whole train split, test it on the test split, save it to `out` (default: the cache).

    A copy also goes into the cache (when it has none for this data), so
    `evaluate` finds it without `--classifier`.
    """
    train = load_dataset(domain_config(data, "train"))
    test = load_dataset(domain_config(data, "test"))
    fingerprint = train.fingerprint()
    folder = Path(out) if out is not None else cache_dir(fingerprint)
    result = train_classifier(train, test, settings, progress)
    save_classifier(folder, result, domain_config(data), fingerprint, train.source, train.class_names)
    copy_to_cache(folder, fingerprint)
    return load_classifier(folder, fingerprint)


def classifier_for(data: DataConfig, folder: str | Path | None = None, train_missing: bool = True,
                   progress: bool = True) -> StoredClassifier:
    """The classifier for `data`: from `folder`, else from the cache; trains one into the cache if none exists.

    A classifier trained on other data is refused (EvaluationError naming
    both fingerprints and the command that trains the right one).
    """
    fingerprint = load_dataset(domain_config(data, "train")).fingerprint()
    if folder is not None:
        return load_classifier(folder, fingerprint, data)
    cached = cache_dir(fingerprint)
    if (cached / "manifest.json").is_file():
        return load_classifier(cached, fingerprint, data)
    if not train_missing:
        raise EvaluationError(f"no classifier for {data.name} (fingerprint {fingerprint[:16]}) in {cached.parent}; "
                              f"train one with: {train_command(data)}")
    print(f"no classifier for {data.name} (fingerprint {fingerprint[:16]}) in {cached.parent}: training one now "
          f"(seconds for digits, a few minutes for Fashion-MNIST on CPU; cached for next time)")
    return train_and_save(data, None, progress=progress)


__all__ = ["ClassifierSpec", "ClassifierTraining", "DomainClassifier", "StoredClassifier", "cache_dir", "cache_root", "classifier_for",
           "load_classifier", "train_and_save", "train_command"]
