"""scikit-learn digits: split sizes, disjointness, value range."""

from __future__ import annotations

import torch

from ganfleet.config import DataConfig
from ganfleet.data import load_dataset, load_raw


def test_train_and_test_split_sizes_and_disjoint() -> None:
    train = load_raw(DataConfig(name="digits"))
    test = load_raw(DataConfig(name="digits", split="test"))
    assert (len(train), len(test)) == (1437, 360)
    assert [a + b for a, b in zip(train.counts, test.counts)] == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # no test image appears in train (digits has no exact duplicates across these splits)
    train_rows = {bytes(r) for r in train.samples.reshape(len(train), -1).numpy()}
    assert sum(bytes(r) in train_rows for r in test.samples.reshape(len(test), -1).numpy()) == 0


def test_values_and_shape() -> None:
    ds = load_raw(DataConfig(name="digits"))
    assert ds.samples.dtype == torch.uint8
    assert ds.sample_shape == (1, 8, 8)
    assert (int(ds.samples.min()), int(ds.samples.max())) == (0, 255)
    assert ds.class_names == [str(d) for d in range(10)]
    assert ds.source == "digits:train"


def test_default_fit_is_32() -> None:
    assert load_dataset(DataConfig(name="digits")).sample_shape == (1, 32, 32)
