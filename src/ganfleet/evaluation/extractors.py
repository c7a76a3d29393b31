"""Feature extractors by name, and the real data's features cached per (data fingerprint, extractors).

    classifier   the domain classifier's penultimate features (FID, KID, PR) and logits (IS)
    inception    the FID Inception-v3 from a local weights file: pool3 features, its logits for IS

The domain classifier is built for every image evaluation (its logits give the
class metrics); `--features` chooses what FID, KID, PR and IS use. An
extractor's `identity` is its kind and the SHA-256 of its weights, so cached
features are only reused by the very same extractors.

The real test split's features are computed once per (data fingerprint,
extractor identities) and kept in `$GANFLEET_CACHE/features/` as safetensors;
a second `evaluate` of the same data reads them back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ganfleet.classifier import NO_CAPS, StoredClassifier, TrainingCaps, cache_root, classifier_for
from ganfleet.config import DataConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.errors import EvaluationError
from ganfleet.metrics import SampleSet
from ganfleet.metrics.features import ClassifierExtractor, FeatureExtractor, extract
from ganfleet.rundir import atomic_write, tensor_digest

FEATURES_FORMAT = "ganfleet-features-1"


def classifier_extractor(classifier: StoredClassifier, inception_weights: str | None) -> FeatureExtractor:
    return ClassifierExtractor(classifier.model, "classifier", f"classifier-{classifier.weights_sha256[:16]}")


def inception_extractor(classifier: StoredClassifier, inception_weights: str | None) -> FeatureExtractor:
    from ganfleet.metrics.inception import load_inception

    model = load_inception(inception_weights)
    model.identity = f"inception-{tensor_digest(model.state_dict())[:16]}"
    return model


# name -> (the domain classifier, the Inception weights file or None) -> the extractor of FID/KID/PR features and IS
# logits
EXTRACTORS: dict[str, Callable[[StoredClassifier, str | None], FeatureExtractor]] = {
    "classifier": classifier_extractor,
    "inception": inception_extractor,
}


@dataclass
class Extractors:
    """`features` gives FID/KID/PR features and IS logits; `classifier` the class logits (both None for toy points)."""

    features: FeatureExtractor | None
    classifier: FeatureExtractor | None
    classifier_info: dict | None = None
    batch_size: int = 500
    device: str = "cpu"
    stored: StoredClassifier | None = None  # the domain classifier behind `classifier`

    @property
    def identity(self) -> str:
        """What these features are: both extractors' identities ("points" for toy data)."""
        if self.features is None or self.classifier is None:
            return "points"
        return (
            self.features.identity
            if self.classifier is self.features
            else f"{self.features.identity}+{self.classifier.identity}"
        )

    def sample_set(self, samples: torch.Tensor, labels: torch.Tensor | None) -> SampleSet:
        """Features of uint8 images (or the float points themselves) with their labels."""
        if samples.dtype != torch.uint8:
            return SampleSet(features=samples.to(torch.float64), labels=labels)
        assert self.features is not None and self.classifier is not None
        main = extract(self.features, samples, self.batch_size, self.device)
        cls = (
            main
            if self.classifier is self.features
            else extract(self.classifier, samples, self.batch_size, self.device)
        )
        return SampleSet(main.pool, main.logits, cls.logits, labels)

    def real_set(self, dataset: ClassPartitionedDataset) -> tuple[SampleSet, bool]:
        """The features of every image of `dataset` (a test split) and whether they came from the cache."""
        if not dataset.is_image:
            return self.sample_set(dataset.samples, dataset.labels), False
        path = cache_root() / "features" / f"{dataset.fingerprint()[:16]}-{tensor_key(self.identity)}.safetensors"
        cached = read_features(path, dataset.fingerprint(), self.identity)
        if cached is not None:
            return cached, True
        real = self.sample_set(dataset.samples, dataset.labels)
        write_features(path, real, dataset.fingerprint(), self.identity)
        return real, False


def tensor_key(identity: str) -> str:
    """A short file-name-safe key of an extractor identity."""
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def write_features(path: Path, real: SampleSet, fingerprint: str, identity: str) -> None:
    given = {
        "features": real.features,
        "logits": real.logits,
        "class_logits": real.class_logits,
        "labels": real.labels,
    }
    tensors = {
        k: v.contiguous().clone() for k, v in given.items() if v is not None
    }  # clones: logits may be class_logits
    metadata = {
        "format": FEATURES_FORMAT,
        "fingerprint": fingerprint,
        "identity": identity,
        "keys": json.dumps(sorted(tensors)),
    }
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def read_features(path: Path, fingerprint: str, identity: str) -> SampleSet | None:
    """The cached features at `path` if they are of this data and these extractors; None otherwise (or unreadable)."""
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            if (metadata.get("format"), metadata.get("fingerprint"), metadata.get("identity")) != (
                FEATURES_FORMAT,
                fingerprint,
                identity,
            ):
                return None
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - a safetensors handle is not iterable
    except (SafetensorError, OSError, ValueError, RuntimeError):
        return None  # a damaged cache entry is recomputed (and rewritten)
    return SampleSet(tensors["features"], tensors.get("logits"), tensors.get("class_logits"), tensors.get("labels"))


def build_extractors(
    data: DataConfig,
    is_image: bool,
    features: str = "classifier",
    classifier_dir: str | None = None,
    inception_weights: str | None = None,
    train_classifier: bool = True,
    batch_size: int = 500,
    device: str = "cpu",
    progress: bool = True,
    classifier_caps: TrainingCaps = NO_CAPS,
) -> Extractors:
    """The domain classifier for `data` (found, or trained into the cache), and the `features` extractor."""
    if features not in EXTRACTORS:
        raise EvaluationError(f"--features: unknown extractor {features!r}; expected one of {', '.join(EXTRACTORS)}")
    if not is_image:
        return Extractors(None, None, batch_size=batch_size, device=device)
    if features == "inception":  # a missing weights file is found out before any classifier is trained
        from ganfleet.metrics.inception import weights_path

        weights_path(inception_weights)
    stored = classifier_for(
        data, classifier_dir, train_missing=train_classifier, progress=progress, caps=classifier_caps
    )
    stored.model.to(device)
    classifier = classifier_extractor(stored, None)
    info = stored.describe()
    main = classifier if features == "classifier" else EXTRACTORS[features](stored, inception_weights).to(device)
    return Extractors(main, classifier, info, batch_size, device, stored)
