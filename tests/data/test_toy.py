"""Toy 2-D mixtures: centres, spread, labels, determinism."""

from __future__ import annotations

import math

import pytest
import torch

from ganfleet.config import DataConfig
from ganfleet.data import load_dataset, load_raw
from ganfleet.data.toy import GRID_STD, RING_RADIUS, RING_STD, SWISSROLL_NOISE, SWISSROLL_SCALE


def toy(mixture: str, per_class: int = 400, split: str = "train"):
    return load_raw(DataConfig(name="toy", mixture=mixture, toy_per_class=per_class, split=split))


@pytest.mark.parametrize(("mixture", "k"), [("ring8", 8), ("ring10", 10)])
def test_ring_centres_on_circle_of_radius_two(mixture: str, k: int) -> None:
    ds = toy(mixture)
    assert ds.n_classes == k
    assert ds.mode_std == RING_STD == 0.02
    assert RING_RADIUS == 2.0
    angles = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
    expected = 2.0 * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    torch.testing.assert_close(ds.mode_centers.double(), expected, rtol=0, atol=1e-6)
    assert ds.class_names[0] == "(2.00, 0.00)"


def test_grid_centres() -> None:
    ds = toy("grid25")
    assert ds.n_classes == 25
    assert ds.mode_std == GRID_STD == 0.05
    ticks = [-4.0, -2.0, 0.0, 2.0, 4.0]
    expected = torch.tensor([(x, y) for x in ticks for y in ticks])
    assert torch.equal(ds.mode_centers, expected)
    assert ds.class_names[0] == "(-4.00, -4.00)" and ds.class_names[24] == "(4.00, 4.00)"


@pytest.mark.parametrize("mixture", ["ring8", "ring10", "grid25"])
def test_points_spread_around_their_centre(mixture: str) -> None:
    n = 400
    ds = toy(mixture, per_class=n)
    assert ds.samples.dtype == torch.float32
    assert ds.samples.shape == (n * ds.n_classes, 2)
    assert ds.counts == [n] * ds.n_classes
    for k in range(ds.n_classes):
        pts = ds.class_samples(k).double()
        offset = pts - ds.mode_centers[k].double()
        # the per-class mean is within 5 standard errors of the centre
        assert offset.mean(0).abs().max() < 5 * ds.mode_std / math.sqrt(n)
        # the per-class std is within 5 of its standard errors (about std/sqrt(2n)) of mode_std
        std = offset.std(0)
        assert ((std - ds.mode_std).abs() < 5 * ds.mode_std / math.sqrt(2 * n)).all()


def test_swissroll_is_one_class_without_centres() -> None:
    ds = toy("swissroll", per_class=1000)
    assert ds.class_names == ["swissroll"]
    assert ds.mode_centers is None and ds.mode_std is None
    assert ds.samples.shape == (1000, 2)
    # noiseless radius t lies in [1.5 pi, 4.5 pi]; 6 noise std either side covers the noise
    r = ds.samples.double().norm(dim=1) * SWISSROLL_SCALE
    slack = 6 * SWISSROLL_NOISE * math.sqrt(2)
    assert r.min() > 1.5 * math.pi - slack and r.max() < 4.5 * math.pi + slack
    # and it spans the whole roll, not a piece of it
    assert r.min() < 1.5 * math.pi + 1.0 and r.max() > 4.5 * math.pi - 1.0


def test_deterministic_and_test_split_differs() -> None:
    a, b = toy("ring8"), toy("ring8")
    assert torch.equal(a.samples, b.samples) and torch.equal(a.labels, b.labels)
    test = toy("ring8", split="test")
    assert test.samples.shape == a.samples.shape
    assert not torch.equal(test.samples, a.samples)
    assert torch.equal(test.mode_centers, a.mode_centers)


def test_load_dataset_leaves_points_unchanged_and_subsets_centres() -> None:
    cfg = DataConfig(name="toy", mixture="ring8", toy_per_class=50, classes=[6, 2], max_per_class=10)
    ds = load_dataset(cfg)
    full = toy("ring8", per_class=50)
    assert ds.counts == [10, 10]
    assert torch.equal(ds.mode_centers, full.mode_centers[[6, 2]])
    assert torch.equal(ds.class_samples(0), full.class_samples(6)[:10])
    assert ds.class_names == [full.class_names[6], full.class_names[2]]
