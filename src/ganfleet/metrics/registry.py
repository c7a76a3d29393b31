"""Metrics by name: each a typed function of what the real and generated sets provide.

    compute_metrics(context, ["fid", "is"]) -> {"fid": 12.3, "is_mean": 8.1, "is_std": 0.07}

A metric declares what it needs (features, logits, labels, mode centres); the
default selection is every metric the context can feed. Asking for one it
cannot feed, or for an unknown name, is an error naming the valid ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ganfleet.errors import EvaluationError
from ganfleet.metrics.classes import class_metrics
from ganfleet.metrics.fid import fid, frechet_distance, gaussian_stats
from ganfleet.metrics.isc import inception_score
from ganfleet.metrics.kid import kernel_inception_distance
from ganfleet.metrics.prdc import prdc
from ganfleet.metrics.toy import kde_log_likelihood, mode_metrics, scott_bandwidth


@dataclass
class SampleSet:
    """What the metrics see of one set of samples (real or generated).

    features: (N, D) for FID, KID, precision/recall (the points themselves for toy data);
    logits: (N, K') for IS (classifier or Inception logits);
    class_logits: (N, K) the domain classifier's logits, for the class metrics;
    labels: requested labels of generated samples, true labels of real ones (None: unconditional).
    """

    features: torch.Tensor
    logits: torch.Tensor | None = None
    class_logits: torch.Tensor | None = None
    labels: torch.Tensor | None = None


@dataclass
class MetricContext:
    """Both sets and what the data set knows: class prior and names, toy mode centres."""

    real: SampleSet
    fake: SampleSet
    prior: list[float]
    class_names: list[str]
    mode_centers: torch.Tensor | None = None
    mode_std: float | None = None
    toy: bool = False  # features are the 2-D points themselves
    seed: int = 0
    kid_subsets: int = 100
    kid_subset_size: int = 1000


@dataclass(frozen=True)
class Figure:
    """One number a metric reports: its key, its label in reports, which way is better, the key of its std."""

    key: str
    label: str
    better: str  # "higher", "lower", or what to compare with ("~1", "= floor")
    std_key: str | None = None


@dataclass(frozen=True)
class Metric:
    """A metric by name: what it computes, when it applies, and the figures reports show (in order)."""

    name: str
    description: str
    compute: Callable[[MetricContext], dict[str, float]]
    applies: Callable[[MetricContext], bool]
    figures: tuple[Figure, ...] = ()


def _fid(c: MetricContext) -> dict[str, float]:
    return {"fid": fid(c.real.features, c.fake.features)}


def _kid(c: MetricContext) -> dict[str, float]:
    mean, std = kernel_inception_distance(c.real.features, c.fake.features, c.kid_subsets, c.kid_subset_size, c.seed)
    return {"kid_mean": mean, "kid_std": std}


def _is(c: MetricContext) -> dict[str, float]:
    assert c.fake.logits is not None
    mean, std = inception_score(c.fake.logits, splits=10, seed=c.seed)
    return {"is_mean": mean, "is_std": std}


def _prdc(c: MetricContext) -> dict[str, float]:
    r = prdc(c.real.features, c.fake.features)
    return {"precision": r.precision, "recall": r.recall, "density": r.density, "coverage": r.coverage}


def _classes(c: MetricContext) -> dict[str, float]:
    assert c.fake.class_logits is not None
    return class_metrics(c.fake.class_logits, c.prior, c.fake.labels)


def _fid_per_class(c: MetricContext) -> dict[str, float]:
    """FID of each class's generated samples (by requested label) against that class's real ones."""
    assert c.real.labels is not None and c.fake.labels is not None
    out = {}
    for k in range(len(c.class_names)):
        real_k, fake_k = c.real.features[c.real.labels == k], c.fake.features[c.fake.labels == k]
        if len(real_k) >= 2 and len(fake_k) >= 2:
            out[f"fid_class/{k}"] = frechet_distance(gaussian_stats(real_k), gaussian_stats(fake_k))
    if out:
        out["fid_class_mean"] = sum(out.values()) / len(out)
    return out


def _modes(c: MetricContext) -> dict[str, float]:
    assert c.mode_centers is not None and c.mode_std is not None
    return mode_metrics(c.fake.features, c.mode_centers, c.mode_std, c.prior)


def _kde(c: MetricContext) -> dict[str, float]:
    bandwidth = c.mode_std if c.mode_std is not None else scott_bandwidth(c.fake.features)
    return {"kde_log_likelihood": kde_log_likelihood(c.real.features, c.fake.features, bandwidth)}


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric(
            "fid",
            "Fréchet distance of feature Gaussians (lower is better)",
            _fid,
            lambda c: True,
            (Figure("fid", "FID", "lower"),),
        ),
        Metric(
            "kid",
            "kernel (polynomial MMD^2) distance, mean and std over subsets (lower is better)",
            _kid,
            lambda c: True,
            (Figure("kid_mean", "KID", "lower", "kid_std"),),
        ),
        Metric(
            "is",
            "Inception Score from the logits, 10 splits (higher is better)",
            _is,
            lambda c: c.fake.logits is not None,
            (Figure("is_mean", "IS (10 splits)", "higher", "is_std"),),
        ),
        Metric(
            "prdc",
            "precision, recall (k=3), density, coverage (k=5) on k-NN manifolds",
            _prdc,
            lambda c: True,
            (
                Figure("precision", "precision (k=3)", "higher"),
                Figure("recall", "recall (k=3)", "higher"),
                Figure("density", "density (k=5)", "~1"),
                Figure("coverage", "coverage (k=5)", "higher"),
            ),
        ),
        Metric(
            "classes",
            "conditional accuracy, class-distribution entropy and TV to the prior",
            _classes,
            lambda c: c.fake.class_logits is not None,
            (
                Figure("conditional_accuracy", "conditional accuracy", "higher"),
                Figure("class_entropy", "class entropy (nats)", "= floor"),
                Figure("class_tv", "class TV to the prior", "lower"),
            ),
        ),
        Metric(
            "fid_per_class",
            "FID of each class against its real images",
            _fid_per_class,
            lambda c: c.real.labels is not None and c.fake.labels is not None and not c.toy,
            (Figure("fid_class_mean", "per-class FID, mean", "lower"),),
        ),
        Metric(
            "modes",
            "toy mixtures: modes covered, high-quality share (within 3 sigma)",
            _modes,
            lambda c: c.mode_centers is not None and c.mode_std is not None,
            (
                Figure("high_quality_share", "high-quality share (3 sigma)", "higher"),
                Figure("modes_covered", "modes covered", "higher"),
            ),
        ),
        Metric(
            "kde",
            "toy data: KDE log-likelihood of real points under the samples",
            _kde,
            lambda c: c.toy,
            (Figure("kde_log_likelihood", "KDE log-likelihood (nats)", "higher"),),
        ),
    ]
}


def check_metric_names(names: list[str], extra: tuple[str, ...] = ()) -> None:
    """EvaluationError naming the first of `names` that is neither a metric nor one of `extra` (e.g. cas)."""
    for name in names:
        if name not in METRICS and name not in extra:
            raise EvaluationError(f"unknown metric {name!r}; expected one of {', '.join((*METRICS, *extra))}")


def compute_metrics(
    context: MetricContext, names: list[str] | None = None, skip_inapplicable: bool = False
) -> dict[str, float]:
    """The named metrics (default: every one that applies), flattened into one dict.

    A named metric that does not apply is an error, or left out with `skip_inapplicable`.
    """
    check_metric_names(names or [])
    chosen = [METRICS[n] for n in names] if names is not None else list(METRICS.values())
    out: dict[str, float] = {}
    for metric in chosen:
        if not metric.applies(context):
            if names is None or skip_inapplicable:
                continue
            raise EvaluationError(f"metric {metric.name!r} does not apply to this evaluation ({metric.description})")
        out.update(metric.compute(context))
    return out
