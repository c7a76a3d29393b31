"""The one data type every strategy trains on: an in-memory, class-partitioned dataset."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch

from ganfleet.errors import DataError

MAX_CLASSES = 100_000  # more classes than any data set has; a label above it is refused before its names are built


@dataclass
class ClassPartitionedDataset:
    """Samples, integer labels, class names and the indices of each class.

    Images are uint8 tensors of shape (N, C, H, W); toy data are float32 points
    of shape (N, D) with the mixture's mode centres kept for the metrics. Labels
    are 0..K-1 and index `class_names`. `require_every_class()` checks that no
    class is empty; `load_dataset` calls it after filtering.
    """

    samples: torch.Tensor
    labels: torch.Tensor
    class_names: list[str]
    source: str
    mode_centers: torch.Tensor | None = None
    mode_std: float | None = None
    class_ids: list[int] | None = None  # each class's index in the whole source (None: 0..K-1, no subset)
    class_index: list[torch.Tensor] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.samples.dtype not in (torch.uint8, torch.float32):
            raise DataError(f"{self.source}: samples must be uint8 images or float32 points, got {self.samples.dtype}")
        if self.samples.dtype == torch.uint8 and (self.samples.ndim != 4 or 0 in self.samples.shape[1:]):
            raise DataError(
                f"{self.source}: images must have shape (N, C, H, W) with sides >= 1, got {tuple(self.samples.shape)}"
            )
        if self.samples.dtype == torch.float32 and self.samples.ndim != 2:
            raise DataError(f"{self.source}: points must have shape (N, D), got {tuple(self.samples.shape)}")
        self.labels = self.labels.to(torch.int64).reshape(-1)
        if len(self.labels) != len(self.samples):
            raise DataError(
                f"{self.source}: {len(self.samples)} samples but {len(self.labels)} labels; "
                "expected one label per sample"
            )
        k = len(self.class_names)
        if len(self.labels) and (int(self.labels.min()) < 0 or int(self.labels.max()) >= k):
            bad = int(self.labels.max()) if int(self.labels.max()) >= k else int(self.labels.min())
            raise DataError(f"{self.source}: label {bad} out of range; expected 0..{k - 1} for {k} classes")
        self.class_index = [torch.nonzero(self.labels == c).flatten() for c in range(k)]

    def require_every_class(self) -> ClassPartitionedDataset:
        """DataError unless every class has a sample (checked after filtering,
        so a class subset may drop empty ones)."""
        empty = [name for name, ix in zip(self.class_names, self.class_index) if len(ix) == 0]
        if empty:
            raise DataError(
                f"{self.source}: class(es) {', '.join(map(repr, empty))} have no samples; "
                "expected at least one per class"
            )
        return self

    # ------------------------------------------------------------------ properties

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_image(self) -> bool:
        return self.samples.dtype == torch.uint8

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """(C, H, W) for images, (D,) for points."""
        return tuple(self.samples.shape[1:])

    @property
    def counts(self) -> list[int]:
        return [len(ix) for ix in self.class_index]

    @property
    def prior(self) -> list[float]:
        """Empirical class prior p(y) = n_k / N."""
        n = len(self.labels)
        return [c / n for c in self.counts]

    def __len__(self) -> int:
        return len(self.labels)

    # ------------------------------------------------------------------ access

    def class_samples(self, k: int) -> torch.Tensor:
        """All raw samples of class k (uint8 images or float points)."""
        return self.samples[self.class_index[k]]

    @property
    def ids(self) -> list[int]:
        """Each class's index in the whole source: what names its pair, so a run of some classes trains each
        pair as a run of all would."""
        return list(self.class_ids) if self.class_ids is not None else list(range(self.n_classes))

    def subset(self, classes: list[int]) -> ClassPartitionedDataset:
        """Keep only `classes` (indices into this dataset), relabelled 0..len-1 in the given order."""
        for c in classes:
            if not 0 <= c < self.n_classes:
                raise DataError(f"{self.source}: class {c} out of range; expected 0..{self.n_classes - 1}")
        remap = torch.full((self.n_classes,), -1, dtype=torch.int64)
        remap[torch.tensor(classes, dtype=torch.int64)] = torch.arange(len(classes))
        keep = remap[self.labels] >= 0
        centers = (
            self.mode_centers[classes]
            if self.mode_centers is not None and len(self.mode_centers) == self.n_classes
            else self.mode_centers
        )
        return ClassPartitionedDataset(
            samples=self.samples[keep],
            labels=remap[self.labels[keep]],
            class_names=[self.class_names[c] for c in classes],
            source=self.source,
            mode_centers=centers,
            mode_std=self.mode_std,
            class_ids=[self.ids[c] for c in classes],
        )

    def only_classes(self, classes: Iterable[int]) -> ClassPartitionedDataset:
        """The samples of `classes` only, labels and class names unchanged (one rank's share); self if that is all.

        Each class keeps its samples in their order, so a pair built from the
        share sees exactly the batches it would see from the whole data set.
        """
        keep_classes = sorted(set(classes))
        if keep_classes == list(range(self.n_classes)):
            return self
        wanted = torch.zeros(self.n_classes, dtype=torch.bool)
        wanted[torch.tensor(keep_classes, dtype=torch.int64)] = True
        return self._keep(wanted[self.labels])

    def limit_per_class(self, n: int) -> ClassPartitionedDataset:
        """Keep the first `n` samples of each class (deterministic)."""
        return self._keep(torch.cat([ix[:n] for ix in self.class_index]).sort().values)

    def _keep(self, index: torch.Tensor) -> ClassPartitionedDataset:
        """The samples selected by `index` (a mask or sorted indices), with the same classes."""
        return ClassPartitionedDataset(
            samples=self.samples[index],
            labels=self.labels[index],
            class_names=list(self.class_names),
            source=self.source,
            mode_centers=self.mode_centers,
            mode_std=self.mode_std,
            class_ids=self.class_ids,
        )

    def fingerprint(self) -> str:
        """SHA-256 of samples, labels and class names: identifies the exact data a model saw."""
        h = hashlib.sha256()
        h.update(self.samples.contiguous().numpy().tobytes())
        h.update(self.labels.numpy().tobytes())
        h.update("\n".join(self.class_names).encode())
        return h.hexdigest()


def to_model_space(samples: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float32 in [-1, 1]; float points pass through unchanged."""
    if samples.dtype == torch.uint8:
        return samples.to(torch.float32).div_(127.5).sub_(1.0)
    return samples.to(torch.float32)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float images in [-1, 1] -> uint8 in [0, 255] (clamped, rounded; NaN, from a diverged generator, -> 0)."""
    return images.nan_to_num(-1.0).add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)


def stratified_labels(n: int, proportions: list[float]) -> torch.Tensor:
    """n sorted labels, class k round(n p_k) times (largest remainders; exactly n / K each when balanced)."""
    p = torch.tensor(proportions, dtype=torch.float64)
    exact = n * p / p.sum()
    counts = exact.floor().to(torch.int64)
    short = n - int(counts.sum())
    if short:
        counts[torch.argsort(exact - counts, descending=True, stable=True)[:short]] += 1
    return torch.repeat_interleave(torch.arange(len(proportions)), counts)
