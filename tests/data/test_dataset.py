"""ClassPartitionedDataset: validation, class index, subset, limit, fingerprint, value ranges."""

from __future__ import annotations

import re

import pytest
import torch

from ganfleet.data.dataset import ClassPartitionedDataset, to_model_space, to_uint8
from ganfleet.errors import DataError


def images(n: int) -> torch.Tensor:
    return torch.arange(n * 4, dtype=torch.int64).remainder(256).to(torch.uint8).reshape(n, 1, 2, 2)


def make(labels: list[int], names: list[str] | None = None, **kw) -> ClassPartitionedDataset:
    names = names if names is not None else [f"c{i}" for i in range(max(labels) + 1)]
    return ClassPartitionedDataset(images(len(labels)), torch.tensor(labels), names, "test-src", **kw)


def test_class_index_counts_prior() -> None:
    ds = make([2, 0, 2, 1, 2, 0])
    assert [ix.tolist() for ix in ds.class_index] == [[1, 5], [3], [0, 2, 4]]
    assert ds.counts == [2, 1, 3]
    assert ds.prior == [2 / 6, 1 / 6, 3 / 6]
    assert (len(ds), ds.n_classes, ds.is_image, ds.sample_shape) == (6, 3, True, (1, 2, 2))
    assert torch.equal(ds.class_samples(2), ds.samples[[0, 2, 4]])


def test_labels_become_int64_vector() -> None:
    ds = ClassPartitionedDataset(images(2), torch.tensor([[0], [1]], dtype=torch.int32), ["a", "b"], "s")
    assert ds.labels.dtype == torch.int64 and ds.labels.shape == (2,)


@pytest.mark.parametrize(
    ("samples", "labels", "message"),
    [
        (
            torch.zeros(2, 1, 2, 2, dtype=torch.int16),
            [0, 1],
            "test-src: samples must be uint8 images or float32 points, got torch.int16",
        ),
        (
            torch.zeros(2, 2, 2, dtype=torch.uint8),
            [0, 1],
            "test-src: images must have shape (N, C, H, W) with sides >= 1, got (2, 2, 2)",
        ),
        (torch.zeros(2, 2, 1), [0, 1], "test-src: points must have shape (N, D), got (2, 2, 1)"),
        (images(3), [0, 1], "test-src: 3 samples but 2 labels; expected one label per sample"),
        (images(2), [0, 2], "test-src: label 2 out of range; expected 0..1 for 2 classes"),
        (images(2), [-1, 1], "test-src: label -1 out of range; expected 0..1 for 2 classes"),
    ],
)
def test_invalid_input_raises_data_error(samples: torch.Tensor, labels: list[int], message: str) -> None:
    with pytest.raises(DataError, match=re.escape(message)):
        ClassPartitionedDataset(samples, torch.tensor(labels), ["a", "b"], "test-src")


def test_empty_class_is_reported_when_required() -> None:
    ds = ClassPartitionedDataset(images(2), torch.tensor([1, 1]), ["a", "b"], "test-src")
    with pytest.raises(
        DataError, match=re.escape("test-src: class(es) 'a' have no samples; expected at least one per class")
    ):
        ds.require_every_class()
    assert ds.subset([1]).require_every_class().counts == [2]


def test_subset_relabels_in_given_order_and_keeps_names() -> None:
    ds = make([0, 1, 2, 3, 1, 3], names=["zero", "one", "two", "three"])
    sub = ds.subset([3, 1])
    assert sub.class_names == ["three", "one"]
    assert sub.labels.tolist() == [1, 0, 1, 0]
    assert torch.equal(sub.samples, ds.samples[[1, 3, 4, 5]])
    assert sub.source == "test-src"


def test_subset_out_of_range() -> None:
    with pytest.raises(DataError, match=re.escape("test-src: class 4 out of range; expected 0..3")):
        make([0, 1, 2, 3]).subset([0, 4])


def test_subset_carries_matching_mode_centres() -> None:
    pts = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    centers = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    ds = ClassPartitionedDataset(
        pts, torch.tensor([0, 1, 2]), ["a", "b", "c"], "pts", mode_centers=centers, mode_std=0.5
    )
    sub = ds.subset([2, 0])
    assert torch.equal(sub.mode_centers, centers[[2, 0]])
    assert sub.mode_std == 0.5


def test_limit_per_class_keeps_first_in_original_order() -> None:
    ds = make([1, 0, 1, 1, 0, 2, 1])
    lim = ds.limit_per_class(2)
    assert lim.labels.tolist() == [1, 0, 1, 0, 2]
    assert torch.equal(lim.samples, ds.samples[[0, 1, 2, 4, 5]])
    assert lim.counts == [2, 2, 1]


def test_fingerprint_depends_on_samples_labels_and_names() -> None:
    a = make([0, 1, 0])
    assert a.fingerprint() == make([0, 1, 0]).fingerprint()
    assert len(a.fingerprint()) == 64
    assert a.fingerprint() != make([1, 0, 0]).fingerprint()
    assert a.fingerprint() != make([0, 1, 0], names=["x", "c1"]).fingerprint()
    changed = ClassPartitionedDataset(a.samples.clone(), a.labels, a.class_names, a.source)
    changed.samples[0, 0, 0, 0] += 1
    assert a.fingerprint() != changed.fingerprint()


def test_model_space_round_trip_is_exact_for_every_byte() -> None:
    x = torch.arange(256, dtype=torch.int64).to(torch.uint8).reshape(1, 1, 16, 16)
    f = to_model_space(x)
    assert f.dtype == torch.float32
    assert (float(f.min()), float(f.max())) == (-1.0, 1.0)
    assert torch.equal(to_uint8(f), x)


def test_to_uint8_clamps_and_points_pass_through() -> None:
    assert to_uint8(torch.tensor([-3.0, -1.0, 0.0, 1.0, 5.0])).tolist() == [0, 0, 128, 255, 255]
    pts = torch.tensor([[0.25, -7.0]])
    assert torch.equal(to_model_space(pts), pts)
