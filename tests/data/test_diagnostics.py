"""Class counts and the per-channel one-way ANOVA, checked against a closed form."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.data.diagnostics import ClassCount, anova_by_class, channel_observations, class_counts, format_report


def closed_form_f(values: np.ndarray, labels: np.ndarray) -> tuple[float, int, int]:
    """F = (SSB / (K - 1)) / (SSW / (N - K)) from the between- and within-class sums of squares."""
    grand = values.mean()
    classes = np.unique(labels)
    ssb = sum((labels == k).sum() * (values[labels == k].mean() - grand) ** 2 for k in classes)
    ssw = sum(((values[labels == k] - values[labels == k].mean()) ** 2).sum() for k in classes)
    df_b, df_w = len(classes) - 1, len(values) - len(classes)
    return (ssb / df_b) / (ssw / df_w), df_b, df_w


@pytest.fixture
def rgb_set() -> ClassPartitionedDataset:
    """3 classes (sizes 4, 3, 5) of 3x2x2 images; labels interleaved so grouping is exercised."""
    rng = np.random.default_rng(7)
    labels = np.array([0, 1, 2, 0, 2, 1, 2, 0, 2, 1, 0, 2])
    base = np.array([[40, 100, 160], [60, 90, 200], [80, 110, 120]])  # class x channel offsets
    images = base[labels][:, :, None, None] + rng.integers(0, 50, size=(len(labels), 3, 2, 2))
    return ClassPartitionedDataset(
        samples=torch.from_numpy(images.astype(np.uint8)),
        labels=torch.from_numpy(labels),
        class_names=["a", "bb", "c"],
        source="constructed",
    )


def test_channel_observations_are_per_image_channel_means(rgb_set: ClassPartitionedDataset) -> None:
    obs = channel_observations(rgb_set)
    expected = rgb_set.samples.double().mean(dim=(2, 3)).numpy()
    assert obs.shape == (12, 3)
    np.testing.assert_allclose(obs, expected, rtol=0, atol=1e-12)


def test_anova_matches_closed_form(rgb_set: ClassPartitionedDataset) -> None:
    results = anova_by_class(rgb_set)
    assert [r.channel for r in results] == ["red", "green", "blue"]
    labels = rgb_set.labels.numpy()
    means = rgb_set.samples.double().mean(dim=(2, 3)).numpy()
    for c, r in enumerate(results):
        f, df_b, df_w = closed_form_f(means[:, c], labels)
        assert (r.df_between, r.df_within) == (df_b, df_w) == (2, 9)
        np.testing.assert_allclose(r.f, f, rtol=1e-10, atol=0)
        np.testing.assert_allclose(r.p, stats.f.sf(f, df_b, df_w), rtol=1e-8, atol=0)
    assert results[2].f > 1.0  # the blue offsets (160, 200, 120) dominate the noise


def test_anova_on_hand_computed_grey_set() -> None:
    # per-image means: class 0 -> 1, 3 ; class 1 -> 5, 7 (each image is constant)
    images = torch.tensor([1, 3, 5, 7], dtype=torch.uint8).reshape(4, 1, 1, 1).expand(4, 1, 2, 2).contiguous()
    ds = ClassPartitionedDataset(images, torch.tensor([0, 0, 1, 1]), ["lo", "hi"], "hand")
    (r,) = anova_by_class(ds)
    # grand mean 4; SSB = 2*(2-4)^2 + 2*(6-4)^2 = 16; SSW = 4*1 = 4; F = (16/1) / (4/2) = 8
    assert (r.channel, r.df_between, r.df_within) == ("grey", 1, 2)
    assert r.f == pytest.approx(8.0, rel=1e-12, abs=0)
    assert r.p == pytest.approx(stats.f.sf(8.0, 1, 2), rel=1e-12, abs=0)


def test_points_use_coordinates() -> None:
    pts = torch.tensor([[0.0, 1.0], [0.5, 1.5], [3.0, 0.0], [3.5, 0.25]])
    ds = ClassPartitionedDataset(pts, torch.tensor([0, 0, 1, 1]), ["p", "q"], "pts")
    results = anova_by_class(ds)
    assert [r.channel for r in results] == ["x", "y"]
    for c, r in enumerate(results):
        f, _, _ = closed_form_f(pts[:, c].double().numpy(), np.array([0, 0, 1, 1]))
        np.testing.assert_allclose(r.f, f, rtol=1e-10, atol=0)


def test_single_class_has_no_anova() -> None:
    ds = ClassPartitionedDataset(torch.zeros(3, 2), torch.zeros(3, dtype=torch.int64), ["only"], "one")
    assert anova_by_class(ds) == []
    assert format_report(ds).endswith("one-way ANOVA by class: needs at least 2 classes")


def test_class_counts(rgb_set: ClassPartitionedDataset) -> None:
    assert class_counts(rgb_set) == [
        ClassCount(0, "a", 4, 4 / 12),
        ClassCount(1, "bb", 3, 3 / 12),
        ClassCount(2, "c", 5, 5 / 12),
    ]


def test_format_report_exact() -> None:
    images = torch.tensor([1, 3, 5, 7, 9], dtype=torch.uint8).reshape(5, 1, 1, 1)
    ds = ClassPartitionedDataset(images, torch.tensor([0, 0, 1, 1, 1]), ["lo", "high"], "hand")
    f, _, _ = closed_form_f(np.array([1.0, 3, 5, 7, 9]), np.array([0, 0, 1, 1, 1]))
    p = stats.f.sf(f, 1, 3)
    # by hand: means 2 and 7, grand mean 5; SSB = 2*9 + 3*4 = 30, SSW = 2 + 8 = 10; F = 30 / (10/3) = 9
    assert (f"{f:.2f}", f"{p:.3g}") == ("9.00", "0.0577")
    assert format_report(ds) == "\n".join(
        [
            "source: hand",
            "5 samples, 2 classes, 1x1x1 uint8 images",
            "",
            "class  name      count    share",
            "    0  lo            2   40.00%",
            "    1  high          3   60.00%",
            "       total         5  100.00%",
            "",
            "one-way ANOVA of the per-image channel mean by class (df between 1, within 3)",
            "channel              F           p",
            "grey              9.00      0.0577",
        ]
    )
