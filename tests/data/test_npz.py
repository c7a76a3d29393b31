"""NumPy-archive loader: layouts and bad input."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from ganfleet.config import DataConfig
from ganfleet.data import load_dataset, load_raw
from ganfleet.errors import DataError, EvaluationError
from ganfleet.evaluation.samples import read_npz


def cfg(path: Path | None, **kw) -> DataConfig:
    return DataConfig(name="npz", path=None if path is None else str(path), **kw)


def write(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def test_grey_images_and_default_names(tmp_path: Path) -> None:
    x = np.arange(3 * 4 * 4, dtype=np.uint8).reshape(3, 4, 4)
    path = write(tmp_path / "d.npz", x=x, y=np.array([1, 0, 1]))
    ds = load_raw(cfg(path))
    assert ds.sample_shape == (1, 4, 4)
    assert torch.equal(ds.samples[:, 0], torch.from_numpy(x))
    assert ds.labels.tolist() == [1, 0, 1]
    assert ds.class_names == ["0", "1"]
    assert ds.source == str(path)


def test_channels_last_colour_and_class_names(tmp_path: Path) -> None:
    x = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    path = write(tmp_path / "d.npz", x=x, y=np.array([0, 1], dtype=np.int32), class_names=np.array(["cat", "dog"]))
    ds = load_raw(cfg(path))
    assert ds.sample_shape == (3, 4, 4)
    assert torch.equal(ds.samples, torch.from_numpy(x).permute(0, 3, 1, 2))
    assert ds.class_names == ["cat", "dog"]


def test_path_required() -> None:
    with pytest.raises(DataError, match=re.escape("npz: data.path (--data-dir) must name an .npz file")):
        load_raw(cfg(None))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'no.npz'}: no such .npz file")):
        load_raw(cfg(tmp_path / "no.npz"))


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b""], ids=["not-a-zip", "zero-bytes"])
def test_not_an_archive(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(f"{path}: not a readable .npz archive")):
        load_raw(cfg(path))


def test_npy_file_is_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(DataError, match=re.escape(f"{path}: a single .npy array, not an .npz archive")):
        load_raw(cfg(path))


def test_object_arrays_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.npz",
        x=np.zeros((1, 4, 4), np.uint8),
        y=np.array([0]),
        class_names=np.array([{"a": 1}], dtype=object),
    )
    with pytest.raises(DataError, match=re.escape(f"{path}: not a readable .npz archive")):
        load_raw(cfg(path))


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((1, 4, 4), np.uint8)}, "missing array 'y'"),
        (
            {"x": np.zeros((1, 4, 4), np.float32), "y": np.array([0])},
            "x must be uint8 of shape (N,H,W) or (N,H,W,C), got float32 (1, 4, 4)",
        ),
        (
            {"x": np.zeros((1, 4, 4, 2), np.uint8), "y": np.array([0])},
            "x must have 1 or 3 channels last, got shape (1, 4, 4, 2)",
        ),
        ({"x": np.zeros((1, 4, 4), np.uint8), "y": np.array([0.0])}, "y must be a 1-D integer array, got float64 (1,)"),
        ({"x": np.zeros((1, 4, 6), np.uint8), "y": np.array([0])}, "images must be square, got 4x6"),
        (
            {"x": np.zeros((2, 4, 4), np.uint8), "y": np.array([0, -1])},
            "label -1 out of range; expected labels 0..99999",
        ),
        (
            {"x": np.zeros((2, 4, 4), np.uint8), "y": np.array([0, 2**40])},
            "label 1099511627776 out of range",
        ),  # no 2^40 names
        ({"x": np.zeros((0, 4, 4), np.uint8), "y": np.zeros(0, np.int64)}, "x and y hold no samples"),
    ],
)
def test_bad_arrays(tmp_path: Path, arrays: dict, message: str) -> None:
    path = write(tmp_path / "d.npz", **arrays)
    with pytest.raises(DataError, match=re.escape(f"{path}: {message}")):
        load_raw(cfg(path))


def test_count_mismatch_and_empty_class(tmp_path: Path) -> None:
    path = write(tmp_path / "a.npz", x=np.zeros((3, 4, 4), np.uint8), y=np.array([0, 1]))
    with pytest.raises(DataError, match=re.escape(f"{path}: 3 samples but 2 labels")):
        load_raw(cfg(path))
    path = write(tmp_path / "b.npz", x=np.zeros((2, 4, 4), np.uint8), y=np.array([0, 2]))
    with pytest.raises(DataError, match=re.escape(f"{path}: class(es) '1' have no samples")):
        load_dataset(cfg(path))
    assert load_dataset(cfg(path, classes=[0, 2])).counts == [1, 1]  # a subset may leave empty classes out


def test_label_beyond_class_names(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.npz", x=np.zeros((2, 4, 4), np.uint8), y=np.array([0, 2]), class_names=np.array(["a", "b"])
    )
    with pytest.raises(DataError, match=re.escape(f"{path}: label 2 out of range; expected 0..1 for 2 classes")):
        load_raw(cfg(path))


def npz_declaring(path: Path, shape: tuple[int, ...]) -> Path:
    """An .npz whose x.npy header declares `shape` (uint8) but holds 16 bytes, and a valid y: a few hundred bytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    y = io.BytesIO()
    np.lib.format.write_array(y, np.zeros(4, np.int64))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.npy", header.getvalue() + bytes(16))
        z.writestr("y.npy", y.getvalue())
    return path


def test_an_array_declaring_terabytes_is_refused_before_it_is_allocated(tmp_path: Path) -> None:
    path = npz_declaring(tmp_path / "big.npz", (1_000_000, 1024, 1024))
    with pytest.raises(
        DataError, match=re.escape(f"{path}: array x declares 1,048,576,000,000 bytes; expected at most")
    ):
        load_raw(cfg(path))
    with pytest.raises(EvaluationError, match=re.escape(f"{path}: array x is over 8 GiB")):
        read_npz(path)
