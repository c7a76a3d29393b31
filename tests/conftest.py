"""Shared fixtures: tiny real datasets and configs that train in well under a second."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganfleet.config import RunConfig, apply_values
from ganfleet.data.dataset import ClassPartitionedDataset


def make_tiny_images() -> ClassPartitionedDataset:
    """3 classes of 32x32 grey images, different sizes (10, 7, 5) and each class a distinct brightness."""
    g = torch.Generator().manual_seed(0)
    counts = [10, 7, 5]
    xs = [torch.randint(60 * k, 60 * k + 40, (n, 1, 32, 32), dtype=torch.uint8, generator=g) for k, n in enumerate(counts)]
    labels = torch.cat([torch.full((n,), k) for k, n in enumerate(counts)])
    return ClassPartitionedDataset(torch.cat(xs), labels, ["a", "b", "c"], "tiny")


@pytest.fixture
def tiny_images() -> ClassPartitionedDataset:
    return make_tiny_images()


def tiny_config(out: Path, **values: object) -> RunConfig:
    """A config for tiny_images: narrow dcgan, batch 4, a few steps, everything on CPU."""
    base = {
        "model.arch": "dcgan", "model.width": 0.125, "train.batch_size": 4, "budget.steps": 4,
        "cadence.log_every": 2, "cadence.grid_every": 0, "cadence.checkpoint_every": 2, "train.device": "cpu",
        "out": str(out),
    }
    base.update({k.replace("__", "."): v for k, v in values.items()})
    return apply_values(RunConfig(), base)
