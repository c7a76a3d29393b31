"""SyntheticDataset: a fleet's samples as a fixed PyTorch data set, equal to `Fleet.sample` and to its own cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import ConcatDataset, DataLoader

from ganfleet import Fleet, SyntheticDataset
from ganfleet.data.dataset import to_uint8
from ganfleet.errors import DataError
from ganfleet.train import train
from tests.conftest import make_tiny_images, tiny_config


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Fleet:
    path = tmp_path_factory.mktemp("synthetic") / "run"
    train(tiny_config(path, budget__steps=2), progress=False, dataset=make_tiny_images())
    return Fleet.load(path)


def test_items_are_the_fleets_samples_whatever_the_order_they_are_read_in(fleet: Fleet) -> None:
    """Against `Fleet.sample` of the whole set at once (same labels and seed), read backwards in batches of 4."""
    data = SyntheticDataset(fleet, per_class=5, seed=3, batch_size=4)
    labels = torch.arange(fleet.n_classes).repeat_interleave(5)
    expected = to_uint8(fleet.sample(len(labels), labels=labels, seed=3)).float() / 255
    assert len(data) == len(labels)
    for i in reversed(range(len(data))):
        image, label = data[i]
        assert label == int(labels[i]) and torch.equal(image, expected[i])
    assert data[-1][1] == fleet.n_classes - 1


def test_n_follows_the_prior_and_labels_are_taken_as_given(fleet: Fleet) -> None:
    assert sorted(torch.bincount(SyntheticDataset(fleet, n=7).labels).tolist()) == [2, 2, 3]
    given = SyntheticDataset(fleet, labels=[2, 0, 2], seed=1, transform=lambda x: x * 2)
    assert [given[i][1] for i in range(3)] == [2, 0, 2] and float(given[0][0].max()) <= 2.0
    for bad in ({}, {"per_class": 2, "n": 3}, {"labels": [5]}, {"labels": []}, {"per_class": 0}):
        with pytest.raises(ValueError, match="SyntheticDataset"):
            SyntheticDataset(fleet, **bad)
    with pytest.raises(IndexError):
        given[3]


def test_a_cache_is_written_once_read_back_and_refused_for_another_set(fleet: Fleet, tmp_path: Path) -> None:
    cache = tmp_path / "fake.npz"
    first = SyntheticDataset(fleet, per_class=3, seed=0, cache=cache)
    written = cache.read_bytes()
    again = SyntheticDataset(fleet, per_class=3, seed=0, cache=cache)
    assert torch.equal(again.images, first.images) and again.made.all() and cache.read_bytes() == written
    with pytest.raises(DataError, match=r"fake.npz: a cache of another set \(seed differ\)"):
        SyntheticDataset(fleet, per_class=3, seed=1, cache=cache)
    cache.write_bytes(b"not an npz")
    with pytest.raises(DataError, match="not a SyntheticDataset cache"):
        SyntheticDataset(fleet, per_class=3, seed=0, cache=cache)
    assert cache.read_bytes() == b"not an npz"  # the user's file is left as it was


def test_it_mixes_with_real_data_in_a_loader(fleet: Fleet) -> None:
    real = [(torch.rand(fleet.sample_shape), 0) for _ in range(6)]  # (image, int label), as torchvision's data sets
    loader = DataLoader(ConcatDataset([real, SyntheticDataset(fleet, per_class=2)]), batch_size=4, shuffle=True)
    images, labels = next(iter(loader))
    assert images.shape == (4, *fleet.sample_shape) and images.dtype == torch.float32 and labels.dtype == torch.int64
    assert sum(len(b[1]) for b in loader) == 12
