"""The source registry and `load_dataset`'s shared options: class subset, per-class limit, fit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from ganfleet.config import DataConfig
from ganfleet.data import SOURCES, load_dataset, load_raw
from ganfleet.errors import ConfigError, DataError
from tests.config.test_parse import field_choices


def test_every_configurable_source_is_registered() -> None:
    assert sorted(SOURCES) == sorted(field_choices(DataConfig, "name"))


def test_unknown_source() -> None:
    cfg = DataConfig()
    cfg.name = "nope"  # past DataConfig's own check, as a hand-built config could be
    with pytest.raises(DataError, match=re.escape("unknown data source 'nope'; expected one of fashion-mnist, mnist,")):
        load_raw(cfg)


@pytest.fixture
def npz28(tmp_path: Path) -> Path:
    """4 classes x 3 images of 28x28, labels interleaved, every image distinct."""
    labels = np.tile(np.arange(4), 3)
    x = ((np.arange(12)[:, None, None] * 13 + np.arange(28 * 28).reshape(28, 28)) % 256).astype(np.uint8)
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=labels, class_names=np.array(["w", "x", "y", "z"]))
    return path


def cfg(path: Path, **kw) -> DataConfig:
    return DataConfig(name="npz", path=str(path), **kw)


def test_classes_subset_relabels_and_keeps_names(npz28: Path) -> None:
    raw = load_raw(cfg(npz28))
    ds = load_dataset(cfg(npz28, classes=[3, 1], fit="pad"))
    assert ds.class_names == ["z", "x"]
    assert ds.counts == [3, 3]
    assert ds.labels.tolist() == [1, 0, 1, 0, 1, 0]
    assert torch.equal(ds.samples[:, :, 2:30, 2:30], raw.samples[[1, 3, 5, 7, 9, 11]])


def test_classes_out_of_range(npz28: Path) -> None:
    with pytest.raises(DataError, match=re.escape(f"{npz28}: class 4 out of range; expected 0..3")):
        load_dataset(cfg(npz28, classes=[0, 4]))


def test_max_per_class_keeps_the_first(npz28: Path) -> None:
    raw = load_raw(cfg(npz28))
    ds = load_dataset(cfg(npz28, max_per_class=2, fit="pad"))
    assert ds.counts == [2, 2, 2, 2]
    assert torch.equal(ds.samples[:, :, 2:30, 2:30], raw.samples[:8])


def test_subset_then_limit(npz28: Path) -> None:
    ds = load_dataset(cfg(npz28, classes=[2], max_per_class=1))
    assert (ds.class_names, ds.counts) == (["y"], [1])


def test_fit_resize_28_to_32(npz28: Path) -> None:
    ds = load_dataset(cfg(npz28))
    assert ds.sample_shape == (1, 32, 32)
    assert ds.samples.dtype == torch.uint8
    assert ds.class_names == ["w", "x", "y", "z"]


def test_fit_pad_28_to_32_zero_border(npz28: Path) -> None:
    raw = load_raw(cfg(npz28))
    ds = load_dataset(cfg(npz28, fit="pad"))
    assert ds.sample_shape == (1, 32, 32)
    assert torch.equal(ds.samples[:, :, 2:30, 2:30], raw.samples)
    assert int(ds.samples.to(torch.int64).sum()) == int(raw.samples.to(torch.int64).sum())


def test_explicit_image_size(npz28: Path) -> None:
    assert load_dataset(cfg(npz28, image_size=64)).sample_shape == (1, 64, 64)
    with pytest.raises(
        ConfigError, match=re.escape("data.image_size: expected a power of two from 32 to 4096, got 16")
    ):
        cfg(npz28, image_size=16)


def test_pad_to_smaller_size_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "big.npz"
    np.savez(path, x=np.zeros((2, 40, 40), dtype=np.uint8), y=np.array([0, 1]))
    with pytest.raises(
        DataError, match=re.escape(f"{path}: cannot pad 40x40 images to data.image_size=32; use fit=resize")
    ):
        load_dataset(cfg(path, image_size=32, fit="pad"))
