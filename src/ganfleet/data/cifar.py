"""CIFAR-10 and CIFAR-100 from the original "python version" pickle batches.

Accepted at `data.path`: the extracted folder (`cifar-10-batches-py`,
`cifar-100-python`), a folder holding it, a folder holding the original
`.tar.gz`, or the `.tar.gz` itself (read directly, nothing is extracted).

Security: these files are Python pickles, and unpickling can run code chosen
by whoever wrote the file. There is no other official format for them, so only
load trusted local copies. As a second line of defence the unpickler below
resolves only the few numpy names an array needs and refuses anything else.
"""

from __future__ import annotations

import codecs
import io
import pickle
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.data.options import DataOptions
from ganfleet.errors import DataError


@dataclass(frozen=True)
class CifarLayout:
    """File names and keys of one CIFAR variant."""

    folder: str
    archive: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    meta: str
    names_key: bytes
    labels_key: bytes


CIFAR10 = CifarLayout(
    folder="cifar-10-batches-py",
    archive="cifar-10-python.tar.gz",
    train=tuple(f"data_batch_{i}" for i in range(1, 6)),
    test=("test_batch",),
    meta="batches.meta",
    names_key=b"label_names",
    labels_key=b"labels",
)
CIFAR100 = CifarLayout(
    folder="cifar-100-python",
    archive="cifar-100-python.tar.gz",
    train=("train",),
    test=("test",),
    meta="meta",
    names_key=b"fine_label_names",
    labels_key=b"fine_labels",
)

IMAGE_BYTES = 3 * 32 * 32  # one row of b"data": 1024 red, then green, then blue values
MAX_FILE_BYTES = 1 << 30  # of one batch file: 1 GiB, about 6x CIFAR-100's train file (checked before it is read)


def _numpy_globals() -> dict[tuple[str, str], Any]:
    """The only globals a CIFAR pickle (or a re-pickled copy) needs, taken from numpy's own reducers.

    Taking them from `__reduce__` avoids importing `numpy.core`, which numpy 2
    renamed, while still accepting files that name either module.
    """
    reconstruct = np.ndarray(0).__reduce__()[0]
    frombuffer = np.zeros(1, np.uint8).__reduce_ex__(5)[0]
    scalar = np.int64(0).__reduce__()[0]
    allowed: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core", "numpy._core"):
        allowed[(f"{module}.multiarray", "_reconstruct")] = reconstruct
        allowed[(f"{module}.multiarray", "scalar")] = scalar
        allowed[(f"{module}.numeric", "_frombuffer")] = frombuffer
    # Python 3 writes bytes as _codecs.encode(str, "latin1") at pickle protocol 2.
    allowed[("_codecs", "encode")] = codecs.encode
    return allowed


class _ArrayOnlyUnpickler(pickle.Unpickler):
    allowed = _numpy_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}") from None


def unpickle(blob: bytes, where: str) -> dict[bytes, Any]:
    """Unpickle one CIFAR file; `encoding="bytes"` because the files were written by Python 2."""
    try:
        obj = _ArrayOnlyUnpickler(io.BytesIO(blob), encoding="bytes").load()
    except Exception as exc:  # unpickling arbitrary bytes can fail with almost any exception type
        raise DataError(f"{where}: not a CIFAR pickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a pickled dict with byte-string keys, got {type(obj).__name__}")
    return obj


def _check_size(size: int, where: str) -> None:
    if size > MAX_FILE_BYTES:
        raise DataError(f"{where}: {size:,} bytes; expected a CIFAR batch file of at most {MAX_FILE_BYTES:,}")


def _read_folder(folder: Path, names: list[str]) -> dict[str, tuple[bytes, str]]:
    blobs = {}
    for name in names:
        path = folder / name
        try:
            _check_size(path.stat().st_size, str(path))
            blobs[name] = (path.read_bytes(), str(path))
        except OSError as exc:
            raise DataError(
                f"{path}: cannot read CIFAR file ({exc.strerror or exc}); expected {', '.join(names)} in {folder}"
            ) from None
    return blobs


def _read_archive(archive: Path, names: list[str]) -> dict[str, tuple[bytes, str]]:
    """Read the wanted members in one pass (a .tar.gz cannot seek backwards cheaply)."""
    blobs = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in names and base not in blobs:
                    _check_size(member.size, f"{archive}:{member.name}")
                    f = tar.extractfile(member)
                    if f is not None:
                        blobs[base] = (f.read(), f"{archive}:{member.name}")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{archive}: not a readable .tar.gz archive ({exc})") from None
    missing = [n for n in names if n not in blobs]
    if missing:
        raise DataError(f"{archive}: archive lacks {', '.join(missing)}; expected the original CIFAR python archive")
    return blobs


def _locate(root: Path, layout: CifarLayout) -> tuple[str, Path]:
    """('folder' | 'archive', path) for the first layout found at `root`."""
    if root.is_file():
        return "archive", root
    if not root.is_dir():
        raise DataError(f"{root}: no such file or folder; expected {layout.folder}/ or {layout.archive}")
    for folder in (root, root / layout.folder):
        if (folder / layout.meta).is_file():
            return "folder", folder
    if (root / layout.archive).is_file():
        return "archive", root / layout.archive
    raise DataError(
        f"{root}: no {layout.meta} here or in {layout.folder}/, and no {layout.archive}; "
        "expected the CIFAR python version"
    )


def _decode_batch(
    batch: dict[bytes, Any], where: str, labels_key: bytes, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    for key in (b"data", labels_key):
        if key not in batch:
            raise DataError(
                f"{where}: missing key {key!r}; expected b'data' and {labels_key!r}, found {sorted(map(repr, batch))}"
            )
    data, labels = batch[b"data"], batch[labels_key]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != IMAGE_BYTES:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{where}: b'data' must be a uint8 array of shape (N, {IMAGE_BYTES}), got {got}")
    try:
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        raise DataError(f"{where}: {labels_key!r} must be a list of integers") from None
    if len(labels) != len(data):
        raise DataError(f"{where}: {len(data)} images but {len(labels)} labels; expected equal counts")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        bad = int(labels.min()) if labels.min() < 0 else int(labels.max())
        raise DataError(f"{where}: label {bad} out of range; expected 0..{n_classes - 1}")
    return data.reshape(-1, 3, 32, 32), labels


def _class_names(meta: dict[bytes, Any], where: str, key: bytes) -> list[str]:
    names = meta.get(key)
    if not isinstance(names, list) or not names or not all(isinstance(n, (bytes, str)) for n in names):
        raise DataError(f"{where}: expected {key!r} to be a list of class names")
    return [n.decode("utf-8", "replace") if isinstance(n, bytes) else n for n in names]


def _load(name: str, layout: CifarLayout, cfg: DataOptions) -> ClassPartitionedDataset:
    if not cfg.path:
        raise DataError(
            f"{name}: data.path (--data-dir) must name {layout.folder}/, {layout.archive} or a folder holding one"
        )
    kind, location = _locate(Path(cfg.path), layout)
    batches = list(layout.train if cfg.split == "train" else layout.test)
    wanted = [layout.meta, *batches]
    blobs = _read_folder(location, wanted) if kind == "folder" else _read_archive(location, wanted)
    meta_blob, meta_where = blobs[layout.meta]
    class_names = _class_names(unpickle(meta_blob, meta_where), meta_where, layout.names_key)
    images, labels = [], []
    for batch in batches:
        blob, where = blobs[batch]
        x, y = _decode_batch(unpickle(blob, where), where, layout.labels_key, len(class_names))
        images.append(x)
        labels.append(y)
    return ClassPartitionedDataset(
        samples=torch.from_numpy(np.ascontiguousarray(np.concatenate(images))),
        labels=torch.from_numpy(np.concatenate(labels)),
        class_names=class_names,
        source=f"{name}:{cfg.split} ({location})",
    )


def load_cifar10(cfg: DataOptions) -> ClassPartitionedDataset:
    """CIFAR-10: 50,000 train / 10,000 test 32x32 colour images, 10 classes."""
    return _load("cifar10", CIFAR10, cfg)


def load_cifar100(cfg: DataOptions) -> ClassPartitionedDataset:
    """CIFAR-100 with its 100 fine labels: 50,000 train / 10,000 test 32x32 colour images."""
    return _load("cifar100", CIFAR100, cfg)
