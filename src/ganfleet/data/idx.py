"""MNIST and Fashion-MNIST from their IDX files (gzip-compressed or raw).

An IDX file is a 4-byte big-endian magic number (0x00000803 for uint8 images,
0x00000801 for uint8 labels: two zero bytes, the type code 0x08 for unsigned
byte, the number of dimensions), one big-endian uint32 per dimension, then the
values row-major.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from pathlib import Path

import numpy as np
import torch

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.data.options import DataOptions
from ganfleet.errors import DataError

IDX_IMAGES_MAGIC = 0x00000803  # uint8, 3 dimensions (N, H, W)
IDX_LABELS_MAGIC = 0x00000801  # uint8, 1 dimension (N,)

FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
MNIST_CLASSES = [str(d) for d in range(10)]

# Where each source is looked for when data.path is not given: Debian's
# dataset-fashion-mnist package, then torchvision's download layout under ./data.
DEFAULT_FOLDERS = {
    "fashion-mnist": ("/usr/share/datasets/fashion-mnist", "data/FashionMNIST/raw"),
    "mnist": ("data/MNIST/raw",),
}
# torchvision's layout below a root folder given as data.path.
TORCHVISION_SUBFOLDER = {"fashion-mnist": "FashionMNIST/raw", "mnist": "MNIST/raw"}
MAX_IDX_BYTES = 1 << 32  # of values in one IDX file: 4 GiB, about 90x the largest MNIST-format set (EMNIST's)
EXTRA_BYTES_COUNTED = 1 << 20  # beyond the declared size, counted for the error (a longer tail is "at least")


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Read one uint8 IDX file (gzip if the name ends in .gz) and check its magic number and size.

    The header is read first and the size it declares bounded (`MAX_IDX_BYTES`) before anything is
    allocated; then exactly that many bytes are read, so a small gzip file that would expand to gigabytes
    is refused without being expanded.
    """
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as f:
            return _read_idx_stream(f, path, magic)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; a cut-off gzip stream is an EOFError
        raise DataError(f"{path}: cannot read IDX file ({exc})") from None


def _read_idx_stream(f: io.BufferedIOBase, path: Path, magic: int) -> np.ndarray:
    head = f.read(4)
    if len(head) < 4:
        raise DataError(f"{path}: {len(head)} bytes; expected an IDX header with magic number 0x{magic:08X}")
    found = int.from_bytes(head, "big")
    if found != magic:
        raise DataError(f"{path}: IDX magic number 0x{found:08X}; expected 0x{magic:08X} ({_kind(magic)})")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DataError(
            f"{path}: truncated IDX header ({4 + len(sizes)} bytes); expected {header} bytes for {ndim} dimensions"
        )
    dims = tuple(int(d) for d in np.frombuffer(sizes, dtype=">u4"))
    expected = math.prod(dims)
    if expected > MAX_IDX_BYTES:
        raise DataError(
            f"{path}: dimensions {dims} declare {expected:,} bytes of data; expected at most {MAX_IDX_BYTES:,}"
        )
    data = f.read(expected)
    if len(data) < expected:
        raise DataError(
            f"{path}: truncated: {len(data)} data bytes after the header; expected {expected} for dimensions {dims}"
        )
    extra = len(f.read(EXTRA_BYTES_COUNTED))
    if extra:
        shown = f"at least {expected + extra}" if extra == EXTRA_BYTES_COUNTED else str(expected + extra)
        raise DataError(f"{path}: too long: {shown} data bytes after the header; expected {expected}")
    # Copy so the tensor built on it owns writable memory (frombuffer views of bytes are read-only).
    return np.frombuffer(data, dtype=np.uint8).reshape(dims).copy()


def _kind(magic: int) -> str:
    return "uint8 images (N, H, W)" if magic == IDX_IMAGES_MAGIC else "uint8 labels (N,)"


def _find_file(folder: Path, stem: str) -> Path | None:
    """The raw file if present (no decompression), else the .gz one."""
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def candidate_folders(name: str, path: str | None) -> list[Path]:
    """Folders searched, in order, for the IDX files of source `name`."""
    if path:
        root = Path(path)
        return [root, root / TORCHVISION_SUBFOLDER[name]]
    return [Path(p) for p in DEFAULT_FOLDERS[name]]


def find_idx_files(name: str, split: str, path: str | None) -> tuple[Path, Path]:
    """(images, labels) paths for `split`; the error lists every folder searched."""
    prefix = "train" if split == "train" else "t10k"
    images_stem, labels_stem = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
    folders = candidate_folders(name, path)
    if path and not Path(path).is_dir():
        raise DataError(f"{path}: no such folder; expected a folder holding {images_stem}[.gz] for {name}")
    for folder in folders:
        images = _find_file(folder, images_stem)
        if images is None:
            continue
        labels = _find_file(folder, labels_stem)
        if labels is None:
            raise DataError(f"{folder}: has {images.name} but no {labels_stem}[.gz]; expected both IDX files")
        return images, labels
    hint = ""
    if not path:
        hint = (
            " (install Debian's dataset-fashion-mnist or set data.path)"
            if name == "fashion-mnist"
            else " (set data.path)"
        )
    raise DataError(f"{name}: no {images_stem}[.gz] in {', '.join(map(str, folders))}{hint}")


def load_idx_pair(images_path: Path, labels_path: Path, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 1, H, W) uint8 and labels (N,) int64, checked against each other."""
    images = read_idx(images_path, IDX_IMAGES_MAGIC)
    labels = read_idx(labels_path, IDX_LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path}: {len(images)} images but {labels_path} has {len(labels)} labels; expected equal counts"
        )
    if len(labels) and int(labels.max()) >= n_classes:
        raise DataError(f"{labels_path}: label {int(labels.max())} out of range; expected 0..{n_classes - 1}")
    return images[:, None], labels.astype(np.int64)


def _load(name: str, class_names: list[str], cfg: DataOptions) -> ClassPartitionedDataset:
    images_path, labels_path = find_idx_files(name, cfg.split, cfg.path)
    images, labels = load_idx_pair(images_path, labels_path, len(class_names))
    return ClassPartitionedDataset(
        samples=torch.from_numpy(images),
        labels=torch.from_numpy(labels),
        class_names=list(class_names),
        source=f"{name}:{cfg.split} ({images_path.parent})",
    )


def load_fashion_mnist(cfg: DataOptions) -> ClassPartitionedDataset:
    """Fashion-MNIST (60,000 train / 10,000 test 28x28 grey images, 10 clothing classes)."""
    return _load("fashion-mnist", FASHION_MNIST_CLASSES, cfg)


def load_mnist(cfg: DataOptions) -> ClassPartitionedDataset:
    """MNIST (60,000 train / 10,000 test 28x28 grey digits, classes '0'..'9')."""
    return _load("mnist", MNIST_CLASSES, cfg)
