"""Image-folder loader on small PNG/JPEG trees."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganfleet.config import DataConfig
from ganfleet.data import load_dataset, load_raw
from ganfleet.errors import DataError


def grey(value: int, size: tuple[int, int] = (8, 8)) -> Image.Image:
    """A grey image whose pixel (row r, column c) is value + r + 2c: orientation errors show."""
    w, h = size
    rows, cols = np.mgrid[0:h, 0:w]
    return Image.fromarray(((value + rows + 2 * cols) % 256).astype(np.uint8), mode="L")


def colour(value: int, size: tuple[int, int] = (8, 8)) -> Image.Image:
    w, h = size
    rows, cols = np.mgrid[0:h, 0:w]
    rgb = np.stack([(value + rows) % 256, (value + 2 * cols) % 256, np.full((h, w), 200)], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8), mode="RGB")


def save(path: Path, image: Image.Image) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def cfg(path: Path | None, **kw) -> DataConfig:
    return DataConfig(name="imagefolder", path=None if path is None else str(path), **kw)


def test_grey_pngs_classes_sorted_and_pixels_exact(tmp_path: Path) -> None:
    save(tmp_path / "zebra" / "1.png", grey(10))
    save(tmp_path / "zebra" / "0.png", grey(20))
    save(tmp_path / "ant" / "a.png", grey(30))
    ds = load_raw(cfg(tmp_path))
    assert ds.class_names == ["ant", "zebra"]
    assert ds.labels.tolist() == [0, 1, 1]
    assert ds.sample_shape == (1, 8, 8)
    # files of a class are read in sorted order: zebra/0.png (20) before zebra/1.png (10)
    for i, value in enumerate([30, 20, 10]):
        assert torch.equal(ds.samples[i, 0], torch.from_numpy(np.array(grey(value))))
    assert int(ds.samples[0, 0, 1, 0]) == 31 and int(ds.samples[0, 0, 0, 1]) == 32


def test_colour_png_and_jpeg(tmp_path: Path) -> None:
    save(tmp_path / "a" / "x.png", colour(5))
    jpeg = save(tmp_path / "b" / "y.JPG", colour(50))
    save(tmp_path / "b" / "z.jpeg", colour(90))
    ds = load_raw(cfg(tmp_path))
    assert ds.sample_shape == (3, 8, 8)
    assert ds.counts == [1, 2]
    assert torch.equal(ds.samples[0], torch.from_numpy(np.array(colour(5))).permute(2, 0, 1))
    # JPEG is lossy: compare with Pillow's own decoding of the same file
    decoded = np.array(Image.open(jpeg).convert("RGB"))
    assert torch.equal(ds.samples[1], torch.from_numpy(decoded).permute(2, 0, 1))


def test_rgba_and_palette_become_rgb(tmp_path: Path) -> None:
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2], rgba[..., 3] = 10, 20, 30, 40
    save(tmp_path / "a" / "rgba.png", Image.fromarray(rgba, mode="RGBA"))
    save(tmp_path / "b" / "pal.png", colour(7).convert("P"))
    ds = load_raw(cfg(tmp_path))
    assert ds.sample_shape == (3, 8, 8)
    assert ds.samples[0, :, 3, 3].tolist() == [10, 20, 30]  # alpha dropped, colour kept
    expected = np.array(Image.open(tmp_path / "b" / "pal.png").convert("RGB"))
    assert torch.equal(ds.samples[1], torch.from_numpy(expected).permute(2, 0, 1))


def test_grey_beside_colour_is_repeated_to_three_channels(tmp_path: Path) -> None:
    save(tmp_path / "a" / "g.png", grey(3))
    save(tmp_path / "b" / "c.png", colour(3))
    ds = load_raw(cfg(tmp_path))
    assert ds.sample_shape == (3, 8, 8)
    g = torch.from_numpy(np.array(grey(3)))
    for c in range(3):
        assert torch.equal(ds.samples[0, c], g)


def test_sixteen_bit_grey_keeps_top_byte(tmp_path: Path) -> None:
    save(tmp_path / "a" / "w.png", Image.fromarray(np.full((8, 8), 0x12FF, np.uint16)))
    ds = load_raw(cfg(tmp_path))
    assert ds.sample_shape == (1, 8, 8)
    assert ds.samples.unique().tolist() == [0x12]


def test_ignores_hidden_and_non_image_entries(tmp_path: Path) -> None:
    save(tmp_path / "a" / "x.png", grey(1))
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    (tmp_path / "a" / ".DS_Store").write_bytes(b"\x00")
    save(tmp_path / ".ipynb_checkpoints" / "x.png", grey(1))
    (tmp_path / "README").write_text("top-level file")
    ds = load_raw(cfg(tmp_path))
    assert ds.class_names == ["a"]
    assert len(ds) == 1


def test_train_and_test_subfolders(tmp_path: Path) -> None:
    save(tmp_path / "train" / "a" / "0.png", grey(0))
    save(tmp_path / "train" / "b" / "0.png", grey(1))
    save(tmp_path / "train" / "b" / "1.png", grey(2))
    save(tmp_path / "test" / "a" / "0.png", grey(3))
    save(tmp_path / "test" / "b" / "0.png", grey(4))
    train = load_raw(cfg(tmp_path))
    test = load_raw(cfg(tmp_path, split="test"))
    assert (train.class_names, train.counts) == (["a", "b"], [1, 2])
    assert (test.class_names, test.counts) == (["a", "b"], [1, 1])
    assert torch.equal(test.samples[0, 0], torch.from_numpy(np.array(grey(3))))


def test_image_size_resizes_every_image_on_load(tmp_path: Path) -> None:
    save(tmp_path / "a" / "wide.png", grey(0, size=(40, 20)))
    save(tmp_path / "b" / "small.png", grey(0, size=(8, 8)))
    ds = load_raw(cfg(tmp_path, image_size=32))
    assert ds.sample_shape == (1, 32, 32)
    expected = np.array(grey(0, size=(40, 20)).resize((32, 32), Image.Resampling.BILINEAR))
    assert torch.equal(ds.samples[0, 0], torch.from_numpy(expected))
    assert load_dataset(cfg(tmp_path, image_size=64)).sample_shape == (1, 64, 64)


# ---------------------------------------------------------------- bad input


def test_path_required() -> None:
    with pytest.raises(DataError, match=r"imagefolder: data.path \(--data-dir\) must name a folder"):
        load_raw(cfg(None))


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=re.escape(f"{tmp_path / 'x'}: no such folder; expected one subfolder of images per class")
    ):
        load_raw(cfg(tmp_path / "x"))


def test_no_class_subfolders(tmp_path: Path) -> None:
    grey(0).save(tmp_path / "loose.png")
    with pytest.raises(DataError, match=re.escape(f"{tmp_path}: no class subfolders")):
        load_raw(cfg(tmp_path))


def test_test_split_without_subfolders(tmp_path: Path) -> None:
    save(tmp_path / "a" / "0.png", grey(0))
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{tmp_path}: no train/ and test/ subfolders; expected {tmp_path / 'test'} for data.split=test"
        ),
    ):
        load_raw(cfg(tmp_path, split="test"))


def test_class_folder_without_images(tmp_path: Path) -> None:
    save(tmp_path / "a" / "0.png", grey(0))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("x")
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'b'}: no .png/.jpg/.jpeg images")):
        load_raw(cfg(tmp_path))


def test_unreadable_image(tmp_path: Path) -> None:
    save(tmp_path / "a" / "0.png", grey(0))
    bad = tmp_path / "a" / "1.png"
    bad.write_bytes(b"this is not a png")
    with pytest.raises(DataError, match=re.escape(f"{bad}: unreadable image")):
        load_raw(cfg(tmp_path))


def test_truncated_png(tmp_path: Path) -> None:
    good = save(tmp_path / "a" / "0.png", colour(0, size=(32, 32)))
    cut = tmp_path / "a" / "1.png"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(DataError, match=re.escape(f"{cut}: unreadable image")):
        load_raw(cfg(tmp_path))


def test_mixed_sizes_without_image_size(tmp_path: Path) -> None:
    first = save(tmp_path / "a" / "0.png", grey(0, size=(8, 8)))
    other = save(tmp_path / "b" / "0.png", grey(0, size=(16, 16)))
    with pytest.raises(
        DataError,
        match=re.escape(f"{other}: 16x16 image, but {first} is 8x8; expected one size (or set data.image_size)"),
    ):
        load_raw(cfg(tmp_path))


def test_non_square_without_image_size(tmp_path: Path) -> None:
    path = save(tmp_path / "a" / "0.png", grey(0, size=(12, 8)))
    with pytest.raises(DataError, match=re.escape(f"{path}: 12x8 image is not square; set data.image_size")):
        load_raw(cfg(tmp_path))
