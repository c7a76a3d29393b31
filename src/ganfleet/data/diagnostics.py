"""What `ganfleet inspect-data` prints: class counts and the paper's one-way ANOVA by class.

The distributed DC-CGAN paper justifies one GAN per class with a one-way
ANOVA per colour channel: if the between-class variance of pixel values is
large against the within-class variance (large F, p ~ 0), the classes are
distinct distributions worth learning apart. The paper does not say what one
observation is; we take the per-image mean of the channel (one value per
image, the class as the group), which keeps observations independent.
For toy points each coordinate is a "channel" and the point's value is used.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ganfleet.data.dataset import ClassPartitionedDataset


@dataclass(frozen=True)
class ClassCount:
    """Size of one class."""

    index: int
    name: str
    count: int
    share: float  # count / total: the empirical class prior p(y)


@dataclass(frozen=True)
class AnovaResult:
    """One-way ANOVA of one channel with the class as the group."""

    channel: str
    f: float
    p: float
    df_between: int  # classes - 1
    df_within: int  # observations - classes


def class_counts(ds: ClassPartitionedDataset) -> list[ClassCount]:
    """Count and share of every class, in label order."""
    return [
        ClassCount(k, name, n, share) for k, (name, n, share) in enumerate(zip(ds.class_names, ds.counts, ds.prior))
    ]


def channel_names(ds: ClassPartitionedDataset) -> list[str]:
    """red/green/blue, grey, or x/y (dim i) for points."""
    if not ds.is_image:
        d = ds.sample_shape[0]
        return ["x", "y"] if d == 2 else [f"dim {i}" for i in range(d)]
    c = ds.sample_shape[0]
    if c == 3:
        return ["red", "green", "blue"]
    if c == 1:
        return ["grey"]
    return [f"channel {i}" for i in range(c)]


def channel_observations(ds: ClassPartitionedDataset) -> np.ndarray:
    """(N, C) float64: per-image channel means for images, the coordinates for points."""
    x = ds.samples.numpy()
    if not ds.is_image:
        return x.astype(np.float64)
    # Integer sums are exact and avoid a float copy of the whole data set.
    sums = x.reshape(x.shape[0], x.shape[1], -1).sum(axis=2, dtype=np.int64)
    return sums / float(x.shape[2] * x.shape[3])


def anova_by_class(ds: ClassPartitionedDataset) -> list[AnovaResult]:
    """F and p per channel from `scipy.stats.f_oneway`; empty when there are fewer than 2 classes."""
    if ds.n_classes < 2:
        return []
    obs = channel_observations(ds)
    labels = ds.labels.numpy()
    order = np.argsort(labels, kind="stable")
    bounds = np.cumsum(ds.counts)[:-1]
    results = []
    for c, name in enumerate(channel_names(ds)):
        groups = np.split(obs[order, c], bounds)
        with warnings.catch_warnings():
            # Constant or one-sample groups make F inf or nan; the table shows that, no warning needed.
            warnings.simplefilter("ignore")
            f, p = stats.f_oneway(*groups)
        results.append(AnovaResult(name, float(f), float(p), ds.n_classes - 1, len(ds) - ds.n_classes))
    return results


def format_report(ds: ClassPartitionedDataset) -> str:
    """The class table and the ANOVA table as plain text."""
    kind = "x".join(map(str, ds.sample_shape)) + (" uint8 images" if ds.is_image else " float points")
    classes = f"{ds.n_classes} class" + ("" if ds.n_classes == 1 else "es")
    lines = [f"source: {ds.source}", f"{len(ds)} samples, {classes}, {kind}", ""]
    width = max([len("total"), *(len(n) for n in ds.class_names)])
    lines.append(f"{'class':>5}  {'name':<{width}}  {'count':>8}  {'share':>7}")
    for row in class_counts(ds):
        lines.append(f"{row.index:>5}  {row.name:<{width}}  {row.count:>8}  {100 * row.share:>6.2f}%")
    lines.append(f"{'':>5}  {'total':<{width}}  {len(ds):>8}  {100.0:>6.2f}%")
    lines.append("")
    results = anova_by_class(ds)
    if not results:
        lines.append("one-way ANOVA by class: needs at least 2 classes")
        return "\n".join(lines)
    what = "per-image channel mean" if ds.is_image else "coordinate"
    lines.append(
        f"one-way ANOVA of the {what} by class (df between {results[0].df_between}, within {results[0].df_within})"
    )
    lines.append(f"{'channel':<8}  {'F':>12}  {'p':>10}")
    for r in results:
        lines.append(f"{r.channel:<8}  {r.f:>12.2f}  {r.p:>10.3g}")
    return "\n".join(lines)
