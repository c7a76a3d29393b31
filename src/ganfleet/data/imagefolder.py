"""A folder with one subfolder of PNG/JPEG images per class (class names = sorted subfolder names).

If the folder has both `train/` and `test/` subfolders, the one named by
`data.split` is used. Grey images give one channel, colour images three; if a
class folder mixes them, grey images are repeated to three channels so that
every image has the same shape.

Each file is opened only as the format its name claims (`.png` as PNG,
`.jpg`/`.jpeg` as JPEG: Pillow's `formats=`), so a BMP, TIFF or EPS file named
`.png` is refused rather than handed to another decoder (EPS would reach
Ghostscript), and a PNG is verified (chunk checksums, the closing IEND chunk)
before it is decoded: a truncated one is refused, not half read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.data.options import DataOptions
from ganfleet.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}  # the one Pillow format each suffix may be read as
GREY_MODES = ("1", "L", "LA")
WIDE_GREY_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")  # 16-bit PNGs open as one of these

# Pillow signals a damaged file with OSError (UnidentifiedImageError is one), ValueError,
# SyntaxError (some plugins, e.g. a broken PNG chunk) or DecompressionBombError.
PIL_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def split_folder(root: Path, split: str) -> Path:
    """`root/split` when root has train/ and test/ subfolders, else root (split=train only)."""
    if not root.is_dir():
        raise DataError(f"{root}: no such folder; expected one subfolder of images per class")
    if (root / "train").is_dir() and (root / "test").is_dir():
        return root / split
    if split == "test":
        raise DataError(f"{root}: no train/ and test/ subfolders; expected {root / 'test'} for data.split=test")
    return root


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError as exc:
        raise DataError(f"{folder}: cannot list folder ({exc.strerror or exc})") from None


def class_folders(root: Path) -> list[Path]:
    """Sorted, non-hidden subfolders of `root`: one per class."""
    folders = sorted(p for p in _entries(root) if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"{root}: no class subfolders; expected one subfolder of PNG/JPEG images per class")
    return folders


def image_files(folder: Path) -> list[Path]:
    """Sorted PNG/JPEG files of one class folder (other files, e.g. .DS_Store, are ignored)."""
    files = sorted(
        p for p in _entries(folder) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise DataError(f"{folder}: no {'/'.join(IMAGE_SUFFIXES)} images; expected at least one per class folder")
    return files


def read_image(path: Path, size: int | None) -> np.ndarray:
    """One image as uint8 (H, W) for grey or (H, W, 3) for colour, resized to size x size if given."""
    fmt = FORMATS[path.suffix.lower()]
    try:
        if fmt == "PNG":
            with Image.open(path, formats=[fmt]) as im:
                im.verify()  # every chunk's CRC, up to IEND (load() would accept a file cut short after its data)
        with Image.open(path, formats=[fmt]) as im:
            im.load()
            if im.mode in WIDE_GREY_MODES:
                # 16-bit grey: keep the top 8 bits (Pillow's convert("L") would clip instead of scale).
                im = Image.fromarray((np.asarray(im, dtype=np.int64).clip(0, 65535) >> 8).astype(np.uint8))
            elif im.mode in GREY_MODES:
                im = im.convert("L")
            else:  # RGB, RGBA, P (palette), CMYK, ...
                im = im.convert("RGB")
            if size is not None and im.size != (size, size):
                im = im.resize((size, size), Image.Resampling.BILINEAR)
            return np.asarray(im, dtype=np.uint8)
    except PIL_ERRORS as exc:
        raise DataError(f"{path}: unreadable image ({exc}); expected a {fmt} file, as its name says") from None


def _to_chw(images: list[np.ndarray], channels: int) -> np.ndarray:
    """Stack (H, W) and (H, W, 3) arrays into (N, channels, H, W); grey ones repeated if channels is 3."""
    hwc = [im if im.ndim == 3 else np.repeat(im[:, :, None], channels, axis=2) for im in images]
    return np.ascontiguousarray(np.stack(hwc).transpose(0, 3, 1, 2))


def load_imagefolder(cfg: DataOptions) -> ClassPartitionedDataset:
    """Every image of every class folder; sizes must agree (and be square) unless data.image_size is set."""
    if not cfg.path:
        raise DataError("imagefolder: data.path (--data-dir) must name a folder with one subfolder of images per class")
    root = split_folder(Path(cfg.path), cfg.split)
    folders = class_folders(root)
    images: list[np.ndarray] = []
    labels: list[int] = []
    first: Path | None = None
    for label, folder in enumerate(folders):
        for path in image_files(folder):
            im = read_image(path, cfg.image_size)
            if first is None:
                first = path
                if im.shape[0] != im.shape[1]:
                    raise DataError(
                        f"{path}: {im.shape[1]}x{im.shape[0]} image is not square; "
                        "set data.image_size to resize every image"
                    )
            elif im.shape[:2] != images[0].shape[:2]:
                h, w = images[0].shape[:2]
                raise DataError(
                    f"{path}: {im.shape[1]}x{im.shape[0]} image, but {first} is {w}x{h}; "
                    "expected one size (or set data.image_size)"
                )
            images.append(im)
            labels.append(label)
    channels = 3 if any(im.ndim == 3 for im in images) else 1
    return ClassPartitionedDataset(
        samples=torch.from_numpy(_to_chw(images, channels)),
        labels=torch.tensor(labels, dtype=torch.int64),
        class_names=[f.name for f in folders],
        source=f"imagefolder:{cfg.split} ({root})",
    )
