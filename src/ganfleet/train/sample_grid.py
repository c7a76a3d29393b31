"""The training loop's sample grids: fixed noise, one row per class, built from per-label blocks.

The noise of a label's row depends only on the run seed and the label's
position among all labels the fleet generates, so a rank holding some of the
pairs draws exactly the rows a single process would: rank 0 puts the final
grid of a distributed run together from every rank's blocks, and it is the
same image as a single-process run's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.grids import display_scale, make_grid, save_png, save_scatter
from ganfleet.pairs import Pair
from ganfleet.sampling import generate
from ganfleet.seeds import derive_seed
from ganfleet.strategies import Member

GRID_COLUMNS = 8
REAL_POINTS_PER_CLASS = 250  # toy data: real points drawn behind the samples

# label -> (GRID_COLUMNS samples, real points of the class for toy data or None)
GridBlocks = dict[int, tuple[torch.Tensor, torch.Tensor | None]]


def grid_labels(members: Sequence[Member]) -> list[int]:
    """The labels whose rows a grid of `members` shows (a pair over several classes shows all of them)."""
    return sorted({c for m in members for c in ((m.label,) if m.label is not None else m.classes)})


def drawn_labels(members: Sequence[Member]) -> list[int]:
    """The labels whose rows `members` draw: as `generate` routes them, by label to the one-class
    members when there are any (a replicated SGAN G_0 beside them draws none), else all their classes."""
    routed = [m.label for m in members if m.label is not None]
    return sorted(routed) if routed else grid_labels(members)


def grid_blocks(
    pairs: Sequence[Pair], all_labels: Sequence[int], dataset: ClassPartitionedDataset, seed: int
) -> GridBlocks:
    """The rows of `pairs`' labels, with the noise each label has in a grid of `all_labels` (none without pairs)."""
    if not pairs:
        return {}
    labels = drawn_labels([p.member for p in pairs])
    device = pairs[0].device
    g = torch.Generator().manual_seed(derive_seed(seed, "grid"))
    z = torch.randn(len(all_labels) * GRID_COLUMNS, pairs[0].latent_dim, generator=g)
    position = {label: i for i, label in enumerate(all_labels)}
    rows = torch.cat([torch.arange(GRID_COLUMNS) + position[label] * GRID_COLUMNS for label in labels])
    y = torch.tensor(labels).repeat_interleave(GRID_COLUMNS)
    x = generate({p.name: p.sampler for p in pairs}, [p.member for p in pairs], z[rows].to(device), y.to(device)).cpu()
    return {
        label: (
            x[i * GRID_COLUMNS : (i + 1) * GRID_COLUMNS],
            None if dataset.is_image else real_points(dataset, label, seed),
        )
        for i, label in enumerate(labels)
    }


def real_points(dataset: ClassPartitionedDataset, label: int, seed: int) -> torch.Tensor:
    """Up to REAL_POINTS_PER_CLASS real samples of class `label`, a fixed random choice."""
    index = dataset.class_index[label]
    g = torch.Generator().manual_seed(derive_seed(seed, "grid-real", label))
    return dataset.samples[index[torch.randperm(len(index), generator=g)[:REAL_POINTS_PER_CLASS]]]


def save_grid(
    blocks: GridBlocks, path: Path, mode_centers: torch.Tensor | None = None, class_names: Sequence[str] | None = None
) -> Path:
    """Images: a PNG with one row per label, in label order, each named by its class. Toy points: a scatter plot
    over the real points."""
    labels = sorted(blocks)
    x = torch.cat([blocks[label][0] for label in labels])
    real = [blocks[label][1] for label in labels]
    if x.ndim == 2:
        y = torch.tensor(labels).repeat_interleave(GRID_COLUMNS)
        return save_scatter(x, y, path, real=torch.cat([r for r in real if r is not None]), centers=mode_centers)
    names = [class_names[label] for label in labels] if class_names is not None else None
    return save_png(make_grid(x, GRID_COLUMNS), path, scale=display_scale(x.shape[-1]), row_names=names)
