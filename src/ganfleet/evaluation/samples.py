"""Samples from anywhere, as uint8 images on the real data's scale: an .npz, an image folder, or a run directory.

    x.npz            arrays x (uint8 N,H,W or N,H,W,C with C 1 or 3; or finite floats in [-1, 1]) and, optionally,
                     y (one integer class index per image; all negative: unlabelled); anything else is refused
    DIR/             one subfolder of PNG/JPEG images per class, in sorted order = class order (ImageFolder's
                     convention; what `ganfleet sample --per-class N --out DIR/` writes), or images directly (no labels)
    RUN/             a ganfleet run directory: its fleet is sampled, labels in the test split's proportions

Every image is fitted to the real test split's side with the data's own fit
(28 -> 32 resize, as the data itself), so any generator's samples go through
the same extractors, on the same scale, as a fleet's.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ganfleet.data.dataset import ClassPartitionedDataset, stratified_labels, to_uint8
from ganfleet.data.imagefolder import IMAGE_SUFFIXES, class_folders, image_files, read_image
from ganfleet.data.npz import MAX_ARRAY_BYTES, declared_bytes
from ganfleet.data.transforms import fit_images
from ganfleet.errors import EvaluationError
from ganfleet.fleet import Fleet

MIN_IMAGES = 10


@dataclass
class Samples:
    """uint8 images (N, C, H, W) fitted to the real data, their labels (None: unconditional) and what they are."""

    images: torch.Tensor
    labels: torch.Tensor | None
    description: dict


def _stack(arrays: list[np.ndarray], where: Path) -> torch.Tensor:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise EvaluationError(f"{where}: images of different sizes {sorted(shapes)[:3]}; expected one size")
    x = torch.from_numpy(np.stack(arrays))
    return x[:, None] if x.ndim == 3 else x.permute(0, 3, 1, 2)


def read_npz(path: Path) -> tuple[torch.Tensor, torch.Tensor | None]:
    """x and y of an .npz, by the rule in the module docstring; EvaluationError naming the array otherwise."""
    if not path.is_file():
        raise EvaluationError(f"{path}: not a regular file; expected an .npz archive of arrays x and y")
    try:
        with open(path, "rb") as handle:
            f = np.load(handle, allow_pickle=False)
            if not isinstance(f, np.lib.npyio.NpzFile):  # a bare .npy loads as one array
                raise EvaluationError(f"{path}: a single .npy array, not an .npz archive of arrays x and y")
            with f:
                if "x" not in f:
                    raise EvaluationError(f"{path}: no array 'x'; expected x (images) and optionally y (labels)")
                for key in ("x", "y"):
                    if key in f and declared_bytes(f, key) > MAX_ARRAY_BYTES:
                        raise EvaluationError(f"{path}: array {key} is over {MAX_ARRAY_BYTES >> 30} GiB")
                x, y = f["x"], f.get("y")
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise EvaluationError(f"{path}: unreadable .npz ({' '.join(str(exc).split())})") from None
    images = _checked_images(x, path)
    return images, _checked_labels(y, len(images), path)


def _checked_images(x: np.ndarray, path: Path) -> torch.Tensor:
    """uint8 (N, C, H, W) of x: uint8 as it is, floats when finite and in [-1, 1] (a generator's output)."""
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3)) or 0 in x.shape[1:3]:
        raise EvaluationError(
            f"{path}: x has shape {x.shape}; expected images (N, H, W) or (N, H, W, C) with C 1 or 3, sides >= 1"
        )
    if x.dtype != np.uint8 and x.dtype.kind != "f":
        raise EvaluationError(f"{path}: x is {x.dtype}; expected uint8 images or floats in [-1, 1]")
    if x.dtype.kind == "f" and x.size and not (np.isfinite(x).all() and x.min() >= -1.0 and x.max() <= 1.0):
        raise EvaluationError(f"{path}: x holds floats outside [-1, 1] or not finite; expected a generator's range")
    images = torch.from_numpy(np.ascontiguousarray(x))
    images = images[:, None] if images.ndim == 3 else images.permute(0, 3, 1, 2)
    return images if images.dtype == torch.uint8 else to_uint8(images.float())


def _checked_labels(y: np.ndarray | None, n: int, path: Path) -> torch.Tensor | None:
    """y as int64 class indices, one per image; None without y or when every entry is negative (unlabelled)."""
    if y is None:
        return None
    if y.dtype.kind not in "iu" or y.ndim != 1 or len(y) != n:
        raise EvaluationError(f"{path}: y is {y.dtype} of shape {y.shape}; expected {n} integer labels, one per image")
    if n and (y < 0).all():
        return None
    return torch.from_numpy(y.astype(np.int64))


def read_folder(path: Path, test: ClassPartitionedDataset) -> tuple[torch.Tensor, torch.Tensor | None, list[str]]:
    """A folder of class subfolders (labels by sorted order) or of images directly (no labels); the folder names."""
    loose = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if loose:
        return _stack([read_image(p, None) for p in sorted(loose)], path), None, []
    folders = class_folders(path)
    if len(folders) != test.n_classes:
        raise EvaluationError(f"{path}: {len(folders)} class folders, but {test.source} has {test.n_classes} classes")
    arrays, labels = [], []
    for k, folder in enumerate(folders):
        files = image_files(folder)
        arrays += [read_image(p, None) for p in files]
        labels += [k] * len(files)
    return _stack(arrays, path), torch.tensor(labels), [f.name for f in folders]


def fit_to(images: torch.Tensor, test: ClassPartitionedDataset, fit: str, where: Path) -> torch.Tensor:
    """`images` with the test split's channels and side (grey repeated to RGB; colour for grey data is an error)."""
    channels, side = test.sample_shape[0], test.sample_shape[-1]
    if images.shape[1] != channels:
        if images.shape[1] == 1 and channels == 3:
            images = images.expand(-1, 3, -1, -1)
        else:
            raise EvaluationError(f"{where}: {images.shape[1]}-channel images, but {test.source} has {channels}")
    if images.shape[-2] != images.shape[-1]:
        raise EvaluationError(f"{where}: {images.shape[-2]}x{images.shape[-1]} images; expected square ones")
    return images if images.shape[-1] == side else fit_images(images.contiguous(), side, fit)


def load_samples(path: str | Path, test: ClassPartitionedDataset, fit: str, n: int | None, seed: int) -> Samples:
    """The samples at `path` on the scale of `test` (the real data's test split); a run directory gives `n` samples."""
    path = Path(path)
    if (path / "manifest.json").is_file():
        fleet = Fleet.load(path)
        count = n or 10_000
        labels = stratified_labels(count, test.prior) if fleet.is_conditional else None
        images = to_uint8(fleet.sample(count, labels=labels, seed=seed))
        return Samples(fit_to(images, test, fit, path), labels, {"path": str(path), "kind": "run", "n": count})
    folders: list[str]
    if path.suffix == ".npz":
        images, labels = read_npz(path)
        kind, folders = "npz", list[str]()
    elif path.is_dir():
        images, labels, folders = read_folder(path, test)
        kind = "image folder"
    else:
        raise EvaluationError(f"{path}: expected an .npz file, an image folder or a ganfleet run directory")
    if len(images) < MIN_IMAGES:
        raise EvaluationError(
            f"{path}: {len(images)} images; the metrics need at least {MIN_IMAGES} (IS uses 10 splits)"
        )
    if labels is not None and (
        len(labels) != len(images) or int(labels.min()) < 0 or int(labels.max()) >= test.n_classes
    ):
        raise EvaluationError(
            f"{path}: y must hold one label per image in 0..{test.n_classes - 1} ({test.source} has "
            f"{test.n_classes} classes)"
        )
    description = {"path": str(path), "kind": kind, "n": len(images), "native_size": list(images.shape[1:])}
    if folders:
        description["folders"] = dict(zip(folders, test.class_names))
    return Samples(fit_to(images, test, fit, path), labels, description)
