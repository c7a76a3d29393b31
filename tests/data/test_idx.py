"""IDX loader (MNIST, Fashion-MNIST) on small files written in the real format."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from ganfleet.config import DataConfig
from ganfleet.data import load_dataset, load_raw
from ganfleet.data.idx import FASHION_MNIST_CLASSES, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx
from ganfleet.errors import DataError

REAL_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """A uint8 IDX file: magic (type 0x08, ndim), big-endian uint32 dims, values."""
    if magic is None:
        magic = 0x0800 | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, magic: int | None = None) -> Path:
    data = idx_bytes(array, magic)
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def small_set(n_per_class: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(10, dtype=np.uint8), n_per_class)
    images = rng.integers(0, 256, size=(len(labels), 28, 28), dtype=np.uint8)
    return images, labels


def write_split(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray, gz: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)


def cfg(path: Path | None, name: str = "fashion-mnist", **kw) -> DataConfig:
    return DataConfig(name=name, path=None if path is None else str(path), **kw)


@pytest.mark.parametrize("gz", [True, False])
def test_loads_images_labels_and_names_exactly(tmp_path: Path, gz: bool) -> None:
    images, labels = small_set()
    write_split(tmp_path, "train", images, labels, gz)
    ds = load_raw(cfg(tmp_path))
    assert ds.samples.dtype == torch.uint8
    assert ds.sample_shape == (1, 28, 28)
    assert torch.equal(ds.samples[:, 0], torch.from_numpy(images))
    assert torch.equal(ds.labels, torch.from_numpy(labels.astype(np.int64)))
    assert ds.class_names == FASHION_MNIST_CLASSES
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    assert ds.counts == [2] * 10


def test_test_split_reads_t10k_files(tmp_path: Path) -> None:
    train_images, train_labels = small_set(2, seed=0)
    test_images, test_labels = small_set(1, seed=1)
    write_split(tmp_path, "train", train_images, train_labels, gz=True)
    write_split(tmp_path, "t10k", test_images, test_labels, gz=True)
    ds = load_raw(cfg(tmp_path, split="test"))
    assert len(ds) == 10
    assert torch.equal(ds.samples[:, 0], torch.from_numpy(test_images))


def test_raw_file_preferred_over_gz_when_both_exist(tmp_path: Path) -> None:
    images, labels = small_set()
    write_split(tmp_path, "train", images, labels, gz=False)
    # A different .gz copy beside it: the uncompressed file must be the one read.
    write_split(tmp_path, "train", 255 - images, labels, gz=True)
    ds = load_raw(cfg(tmp_path))
    assert torch.equal(ds.samples[:, 0], torch.from_numpy(images))


@pytest.mark.parametrize(
    ("name", "sub", "first_name"), [("fashion-mnist", "FashionMNIST/raw", "T-shirt/top"), ("mnist", "MNIST/raw", "0")]
)
def test_torchvision_layout_under_data_path(tmp_path: Path, name: str, sub: str, first_name: str) -> None:
    images, labels = small_set()
    write_split(tmp_path / sub, "train", images, labels, gz=True)
    ds = load_raw(cfg(tmp_path, name=name))
    assert len(ds) == 20
    assert ds.class_names[0] == first_name
    assert str(tmp_path / sub) in ds.source


def test_mnist_auto_found_under_dot_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images, labels = small_set()
    write_split(tmp_path / "data" / "MNIST" / "raw", "train", images, labels, gz=False)
    monkeypatch.chdir(tmp_path)
    ds = load_raw(cfg(None, name="mnist"))
    assert ds.class_names == [str(d) for d in range(10)]
    assert len(ds) == 20


def test_mnist_not_found_lists_searched_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        DataError, match=r"mnist: no train-images-idx3-ubyte\[\.gz\] in data/MNIST/raw \(set data.path\)"
    ):
        load_raw(cfg(None, name="mnist"))


# ---------------------------------------------------------------- bad input


def test_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(DataError, match=re.escape(f"{missing}: no such folder")):
        load_raw(cfg(missing))


def test_folder_without_files(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=re.escape(f"no train-images-idx3-ubyte[.gz] in {tmp_path}, {tmp_path / 'FashionMNIST/raw'}")
    ):
        load_raw(cfg(tmp_path))


def test_labels_file_missing(tmp_path: Path) -> None:
    images, _ = small_set()
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    with pytest.raises(
        DataError, match=re.escape(f"{tmp_path}: has train-images-idx3-ubyte.gz but no train-labels-idx1-ubyte[.gz]")
    ):
        load_raw(cfg(tmp_path))


def test_wrong_magic(tmp_path: Path) -> None:
    images, labels = small_set()
    write_split(tmp_path, "train", images, labels, gz=False)
    labels_path = write_idx(tmp_path / "train-labels-idx1-ubyte", labels, magic=0x00000D01)  # float type code
    with pytest.raises(DataError, match=re.escape(f"{labels_path}: IDX magic number 0x00000D01; expected 0x00000801")):
        load_raw(cfg(tmp_path))


def test_images_and_labels_swapped(tmp_path: Path) -> None:
    _images, labels = small_set()
    write_idx(tmp_path / "train-images-idx3-ubyte", labels)  # a labels file where images belong
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    with pytest.raises(
        DataError, match=re.escape("IDX magic number 0x00000801; expected 0x00000803 (uint8 images (N, H, W))")
    ):
        load_raw(cfg(tmp_path))


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_data(tmp_path: Path, gz: bool) -> None:
    images, labels = small_set()
    write_split(tmp_path, "train", images, labels, gz=gz)
    cut = idx_bytes(images)[:-5]
    path = tmp_path / ("train-images-idx3-ubyte" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(cut) if gz else cut)
    expected = 20 * 28 * 28
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{path}: truncated: {expected - 5} data bytes after the header; "
            f"expected {expected} for dimensions (20, 28, 28)"
        ),
    ):
        load_raw(cfg(tmp_path))


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(IDX_IMAGES_MAGIC.to_bytes(4, "big") + (20).to_bytes(4, "big"))
    with pytest.raises(
        DataError, match=re.escape(f"{path}: truncated IDX header (8 bytes); expected 16 bytes for 3 dimensions")
    ):
        read_idx(path, IDX_IMAGES_MAGIC)


def test_file_shorter_than_magic(tmp_path: Path) -> None:
    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(b"\x00\x00")
    with pytest.raises(
        DataError, match=re.escape(f"{path}: 2 bytes; expected an IDX header with magic number 0x00000801")
    ):
        read_idx(path, IDX_LABELS_MAGIC)


def test_trailing_bytes(tmp_path: Path) -> None:
    _, labels = small_set()
    path = tmp_path / "l-idx1-ubyte"
    path.write_bytes(idx_bytes(labels) + b"\x00")
    with pytest.raises(DataError, match=re.escape(f"{path}: too long: 21 data bytes after the header; expected 20")):
        read_idx(path, IDX_LABELS_MAGIC)


def test_cut_off_gzip_stream(tmp_path: Path) -> None:
    images, labels = small_set()
    write_split(tmp_path, "train", images, labels, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match=re.escape(f"{path}: cannot read IDX file")):
        load_raw(cfg(tmp_path))


def test_not_gzip(tmp_path: Path) -> None:
    images, labels = small_set()
    write_split(tmp_path, "train", images, labels, gz=True)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(idx_bytes(labels))  # raw bytes under a .gz name
    with pytest.raises(DataError, match=re.escape(f"{path}: cannot read IDX file")):
        load_raw(cfg(tmp_path))


def test_count_mismatch(tmp_path: Path) -> None:
    images, labels = small_set()
    write_split(tmp_path, "train", images, labels[:-1], gz=False)
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{tmp_path / 'train-images-idx3-ubyte'}: 20 images but {tmp_path / 'train-labels-idx1-ubyte'} "
            "has 19 labels"
        ),
    ):
        load_raw(cfg(tmp_path))


def test_label_out_of_range(tmp_path: Path) -> None:
    images, labels = small_set()
    labels[3] = 10
    write_split(tmp_path, "train", images, labels, gz=False)
    with pytest.raises(
        DataError, match=re.escape(f"{tmp_path / 'train-labels-idx1-ubyte'}: label 10 out of range; expected 0..9")
    ):
        load_raw(cfg(tmp_path))


def test_empty_class_names_folder_and_class(tmp_path: Path) -> None:
    images, labels = small_set()
    labels[labels == 8] = 0  # no "Bag" left
    write_split(tmp_path, "train", images, labels, gz=False)
    with pytest.raises(
        DataError, match=re.escape(f"fashion-mnist:train ({tmp_path}): class(es) 'Bag' have no samples")
    ):
        load_dataset(cfg(tmp_path))


# ---------------------------------------------------------------- the real files


@pytest.mark.slow
@pytest.mark.skipif(not REAL_FASHION_MNIST.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_real_fashion_mnist() -> None:
    train = load_dataset(DataConfig(name="fashion-mnist"))
    assert len(train) == 60000
    assert train.counts == [6000] * 10
    assert train.class_names == FASHION_MNIST_CLASSES
    assert train.sample_shape == (1, 32, 32)
    test = load_dataset(DataConfig(name="fashion-mnist", split="test"))
    assert len(test) == 10000
    assert test.counts == [1000] * 10
    assert test.sample_shape == (1, 32, 32)


def test_a_gzip_bomb_is_refused_from_its_header_without_being_expanded(tmp_path: Path) -> None:
    """A few kB of gzip declaring 60,000 x 4,096 x 4,096 images: refused before anything is read or allocated."""
    path = tmp_path / "train-images-idx3-ubyte.gz"
    header = IDX_IMAGES_MAGIC.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (60_000, 4096, 4096))
    with gzip.open(path, "wb") as f:
        f.write(header)
        f.write(bytes(1 << 24))  # 16 MB of zeros, compressed to a few kB: far less than declared
    with pytest.raises(DataError, match=re.escape("declare 1,006,632,960,000 bytes of data; expected at most")):
        read_idx(path, IDX_IMAGES_MAGIC)


@pytest.mark.parametrize(("extra", "said"), [(3, "23"), (5 << 20, "at least 1048596")])
def test_a_long_tail_is_counted_up_to_a_bound(tmp_path: Path, extra: int, said: str) -> None:
    _, labels = small_set()
    path = tmp_path / "l-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(labels) + bytes(extra)))
    with pytest.raises(
        DataError, match=re.escape(f"{path}: too long: {said} data bytes after the header; expected 20")
    ):
        read_idx(path, IDX_LABELS_MAGIC)
