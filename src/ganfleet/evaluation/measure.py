"""From two sets of samples to metrics: the feature extractors of an evaluation and the context they feed.

Shared by `ganfleet evaluate` (model and real-data floor) and the
`--eval-every` hook of the training loop, so both measure the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganfleet.config import DataConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.errors import EvaluationError
from ganfleet.metrics import MetricContext, SampleSet, compute_metrics
from ganfleet.metrics.features import ClassifierExtractor, FeatureExtractor, extract

FEATURE_KINDS = ("classifier", "inception")


@dataclass
class Extractors:
    """`features` gives FID/KID/PR features and IS logits; `classifier` the class logits (both None for toy points)."""

    features: FeatureExtractor | None
    classifier: FeatureExtractor | None
    classifier_info: dict | None = None
    batch_size: int = 500
    device: str = "cpu"

    def sample_set(self, samples: torch.Tensor, labels: torch.Tensor | None) -> SampleSet:
        """Features of uint8 images (or the float points themselves) with their labels."""
        if samples.dtype != torch.uint8:
            return SampleSet(features=samples.to(torch.float64), labels=labels)
        assert self.features is not None and self.classifier is not None
        main = extract(self.features, samples, self.batch_size, self.device)
        cls = main if self.classifier is self.features else extract(self.classifier, samples, self.batch_size, self.device)
        return SampleSet(main.pool, main.logits, cls.logits, labels)


def build_extractors(data: DataConfig, is_image: bool, features: str = "classifier", classifier_dir: str | None = None,
                     inception_weights: str | None = None, train_classifier: bool = True, batch_size: int = 500,
                     device: str = "cpu", progress: bool = True) -> Extractors:
    """The domain classifier for `data` (found, or trained into the cache), plus Inception when asked for."""
    if features not in FEATURE_KINDS:
        raise EvaluationError(f"--features: unknown extractor {features!r}; expected one of {', '.join(FEATURE_KINDS)}")
    if not is_image:
        return Extractors(None, None, batch_size=batch_size, device=device)
    from ganfleet.classifier import classifier_for

    stored = classifier_for(data, classifier_dir, train_missing=train_classifier, progress=progress)
    stored.model.to(device)
    classifier = ClassifierExtractor(stored.model)
    info = {"path": str(stored.path), "fingerprint": stored.fingerprint, "test_accuracy": stored.test_accuracy,
            "source": stored.manifest["data"]["source"]}
    main: FeatureExtractor = classifier
    if features == "inception":
        from ganfleet.metrics.inception import load_inception

        main = load_inception(inception_weights).to(device)
    return Extractors(main, classifier, info, batch_size, device)


def stratified_labels(n: int, proportions: list[float]) -> torch.Tensor:
    """n labels with class k appearing round(n p_k) times (largest remainders; exact n / K each when balanced), sorted."""
    p = torch.tensor(proportions, dtype=torch.float64)
    exact = n * p / p.sum()
    counts = exact.floor().to(torch.int64)
    short = n - int(counts.sum())
    if short:
        counts[torch.argsort(exact - counts, descending=True, stable=True)[:short]] += 1
    return torch.repeat_interleave(torch.arange(len(proportions)), counts)


def measure(real: SampleSet, fake: SampleSet, dataset: ClassPartitionedDataset, prior: list[float], seed: int = 0,
            names: list[str] | None = None, kid_subsets: int = 100, skip_inapplicable: bool = False) -> dict[str, float]:
    """Metrics of the generated set against the real one.

    `dataset` is the real data (class names, toy mode centres); `prior` the class
    prior the generator was trained with (class TV is measured against it).
    """
    context = MetricContext(real=real, fake=fake, prior=prior, class_names=dataset.class_names,
                            mode_centers=dataset.mode_centers, mode_std=dataset.mode_std, toy=not dataset.is_image,
                            seed=seed, kid_subsets=kid_subsets)
    return compute_metrics(context, names, skip_inapplicable)


def data_config_of(tree: dict) -> DataConfig:
    """The DataConfig of a run's saved config.json."""
    from ganfleet.config import from_dict

    return from_dict(DataConfig, tree.get("data", {}), "data")
