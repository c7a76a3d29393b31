"""From two sets of samples to metrics: the labels to ask for and the context the metrics see.

Shared by `ganfleet evaluate` (model and real-data floor) and the
`--eval-every` hook of the training loop, so both measure the same way.
"""

from __future__ import annotations

from ganfleet.config import DataConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.metrics import MetricContext, SampleSet, compute_metrics


def measure(
    real: SampleSet,
    fake: SampleSet,
    dataset: ClassPartitionedDataset,
    prior: list[float],
    seed: int = 0,
    names: list[str] | None = None,
    kid_subsets: int = 100,
    skip_inapplicable: bool = False,
) -> dict[str, float]:
    """Metrics of the generated set against the real one.

    `dataset` is the real data (class names, toy mode centres); `prior` the class
    prior the generator was trained with (class TV is measured against it).
    """
    context = MetricContext(
        real=real,
        fake=fake,
        prior=prior,
        class_names=dataset.class_names,
        mode_centers=dataset.mode_centers,
        mode_std=dataset.mode_std,
        toy=not dataset.is_image,
        seed=seed,
        kid_subsets=kid_subsets,
    )
    return compute_metrics(context, names, skip_inapplicable)


def data_config_of(tree: dict) -> DataConfig:
    """The DataConfig of a run's saved config.json."""
    from ganfleet.config import from_dict

    return from_dict(DataConfig, tree.get("data", {}), "data")
