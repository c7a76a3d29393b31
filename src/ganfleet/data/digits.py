"""scikit-learn's bundled 8x8 digits: real data with zero setup (1,797 images, 10 classes)."""

from __future__ import annotations

import numpy as np
import torch

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.data.options import DataOptions


def load_digits(cfg: DataOptions) -> ClassPartitionedDataset:
    """A deterministic 20 % hold-out (every 5th of the 1,797 images, 360) for split=test;
    the other 1,437 for split=train.

    Train and test never overlap.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)  # values 0..16 -> 0..255
    labels = bunch.target.astype(np.int64)
    test = np.arange(len(labels)) % 5 == 0
    keep = test if cfg.split == "test" else ~test
    return ClassPartitionedDataset(
        samples=torch.from_numpy(images[keep][:, None]),
        labels=torch.from_numpy(labels[keep]),
        class_names=[str(d) for d in range(10)],
        source=f"digits:{cfg.split}",
    )
