"""Sample grids with class names: one label per row, whatever the names hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ganfleet.grids import MAX_LABEL_CHARS, save_png


def test_names_with_newlines_or_of_any_length_label_one_row_each(tmp_path: Path) -> None:
    """A name with line breaks is drawn as its words on one line; a very long one is cut."""
    grid = np.zeros((2 * 10 + 2, 10 + 4), dtype=np.uint8)  # two rows of 8x8 images with 2 px padding
    tidy, odd = tmp_path / "tidy.png", tmp_path / "odd.png"
    save_png(grid, tidy, row_names=["shirt line two", "b" * MAX_LABEL_CHARS])
    save_png(grid, odd, row_names=["shirt\nline two\r\x0b", "b" * 500])
    assert np.array_equal(np.asarray(Image.open(odd)), np.asarray(Image.open(tidy)))
