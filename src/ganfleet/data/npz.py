"""NumPy archives with arrays `x` (N, H, W[, C]) uint8 and `y` (N,) integer labels."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import torch

from ganfleet.data.dataset import MAX_CLASSES, ClassPartitionedDataset
from ganfleet.data.options import DataOptions
from ganfleet.errors import DataError

MAX_ARRAY_BYTES = 8 << 30  # of one array of an .npz, as its header declares it: refused before it is allocated


def declared_bytes(archive: np.lib.npyio.NpzFile, key: str) -> int:
    """The bytes array `key` of an open .npz takes once read: its .npy header's shape x item size, read without
    the array (the zip's own record of the stored size when that is larger, or for a member that is not .npy)."""
    members = archive.zip
    if members is None:
        raise ValueError("the .npz archive is closed")
    name = f"{key}.npy" if f"{key}.npy" in members.namelist() else key
    stored = members.getinfo(name).file_size
    if not name.endswith(".npy"):
        return stored
    with members.open(name) as f:
        major, _ = np.lib.format.read_magic(f)
        header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, dtype = header(f)
    return max(math.prod(shape) * dtype.itemsize, stored)


def write_npz(path: Path, images: torch.Tensor, labels: np.ndarray, class_names: list[str]) -> None:
    """uint8 images (N, C, H, W) with their labels, as `load_npz` reads them: x (N, H, W) for one channel, else
    (N, H, W, C); y int64; class_names (compressed; written to `path` as given, no suffix added)."""
    x = images.permute(0, 2, 3, 1).numpy()
    with open(path, "wb") as f:
        np.savez_compressed(
            f, x=x[..., 0] if x.shape[-1] == 1 else x, y=labels.astype(np.int64), class_names=np.array(class_names)
        )


def load_npz(cfg: DataOptions) -> ClassPartitionedDataset:
    """Load `x`, `y` and optional `class_names` from the .npz at `data.path`."""
    if not cfg.path:
        raise DataError("npz: data.path (--data-dir) must name an .npz file with arrays x and y")
    path = Path(cfg.path)
    if not path.is_file():
        raise DataError(f"{path}: no such .npz file")
    try:
        # Our own file handle: np.load leaves the file it opened unclosed when the zip is corrupt.
        with open(path, "rb") as f:
            archive = np.load(f, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):  # a .npy file loads as one bare array
                raise DataError(
                    f"{path}: a single .npy array, not an .npz archive; expected arrays x and y saved with np.savez"
                )
            with archive:
                kept = [k for k in ("x", "y", "class_names") if k in archive.files]
                for key in kept:
                    if (size := declared_bytes(archive, key)) > MAX_ARRAY_BYTES:
                        raise DataError(
                            f"{path}: array {key} declares {size:,} bytes; expected at most {MAX_ARRAY_BYTES:,}"
                        )
                arrays = {k: archive[k] for k in kept}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # EOFError: an empty file
        raise DataError(
            f"{path}: not a readable .npz archive ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from None
    for key in ("x", "y"):
        if key not in arrays:
            raise DataError(
                f"{path}: missing array {key!r}; expected x (N,H,W[,C]) uint8 and y (N,) labels, found {sorted(arrays)}"
            )
    x, y = arrays["x"], arrays["y"]
    if x.dtype != np.uint8 or x.ndim not in (3, 4):
        raise DataError(f"{path}: x must be uint8 of shape (N,H,W) or (N,H,W,C), got {x.dtype} {x.shape}")
    if x.ndim == 4 and x.shape[-1] not in (1, 3):
        raise DataError(f"{path}: x must have 1 or 3 channels last, got shape {x.shape}")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{path}: y must be a 1-D integer array, got {y.dtype} {y.shape}")
    if x.shape[1] != x.shape[2]:
        raise DataError(f"{path}: images must be square, got {x.shape[1]}x{x.shape[2]}")
    if not len(y):
        raise DataError(f"{path}: x and y hold no samples; expected at least one image per class")
    if y.min() < 0 or y.max() >= MAX_CLASSES:
        bad = int(y.min()) if y.min() < 0 else int(y.max())
        raise DataError(
            f"{path}: label {bad} out of range; expected labels 0..{MAX_CLASSES - 1} (one class per label value)"
        )
    n_classes = int(y.max()) + 1
    names = [str(c) for c in range(n_classes)]
    if "class_names" in arrays:
        names = [str(s) for s in arrays["class_names"].tolist()]
    images = x[:, None] if x.ndim == 3 else np.transpose(x, (0, 3, 1, 2))
    return ClassPartitionedDataset(
        samples=torch.from_numpy(np.ascontiguousarray(images)),
        labels=torch.from_numpy(y.astype(np.int64)),
        class_names=names,
        source=str(path),
    )
