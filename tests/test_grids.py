"""Sample grids with class names: one label per row, whatever the names hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ganfleet.grids import MAX_LABEL_CHARS, save_png


def test_names_with_newlines_or_of_any_length_label_one_row_each(tmp_path: Path) -> None:
    grid = np.zeros((2 * 10 + 2, 10 + 4), dtype=np.uint8)  # two rows of 8x8 images with 2 px padding
    plain, odd = tmp_path / "plain.png", tmp_path / "odd.png"
    save_png(grid, plain, row_names=["shirt", "bag"])
    save_png(grid, odd, row_names=["shirt\nline two\r\x0b", "b" * 500])
    plain_image, odd_image = Image.open(plain), Image.open(odd)
    assert odd_image.height == plain_image.height  # drawn as one line (PIL refuses an anchored multi-line text)
    assert odd_image.width <= plain_image.width + MAX_LABEL_CHARS * 20  # a 500-character name is cut
