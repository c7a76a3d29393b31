"""Image grids: sample sheets with one row per class, written as PNG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ganfleet.data.dataset import to_uint8

LABEL_FONT_SIZE = 12  # pixels, of the class names beside the rows of a grid
LABEL_GAP = 6


def make_grid(images: torch.Tensor, ncol: int, pad: int = 2) -> np.ndarray:
    """uint8 or [-1, 1] float images (N, C, H, W) -> one (rows*H', ncol*W', C) uint8 array, row-major."""
    if images.dtype != torch.uint8:
        images = to_uint8(images.detach().cpu())
    n, c, h, w = images.shape
    rows = max(1, math.ceil(n / ncol))
    grid = np.full((rows * (h + pad) + pad, ncol * (w + pad) + pad, c), 255, dtype=np.uint8)
    arr = images.permute(0, 2, 3, 1).numpy()
    for i in range(n):
        r, col = divmod(i, ncol)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[top : top + h, left : left + w] = arr[i]
    return grid


def save_png(
    grid: np.ndarray, path: str | Path, scale: int = 1, row_names: Sequence[str] | None = None, pad: int = 2
) -> Path:
    """Write an (H, W, C) uint8 array as PNG, optionally upscaled (nearest) for small images.

    `row_names`: one text per row of a `make_grid` grid (padding `pad`), written
    in a margin on the left ("" leaves a row unnamed).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    if row_names and any(row_names):
        image = with_row_names(image, list(row_names), pad * scale)
    image.save(path)
    return path


MAX_LABEL_CHARS = 40  # a longer class name is cut in a grid's label


def with_row_names(image: Image.Image, names: list[str], pad: int) -> Image.Image:
    """`image` (a grid of len(names) equal rows with `pad` pixels around them) with each row's name to its left."""
    font = ImageFont.load_default(size=LABEL_FONT_SIZE)
    names = [" ".join(name.split())[:MAX_LABEL_CHARS] for name in names]  # one line each, whatever the folder names
    draw = ImageDraw.Draw(image)
    margin = int(max(draw.textlength(name, font=font) for name in names)) + 2 * LABEL_GAP
    canvas = Image.new(image.mode, (image.width + margin, image.height), 255 if image.mode == "L" else (255, 255, 255))
    canvas.paste(image, (margin, 0))
    draw = ImageDraw.Draw(canvas)
    row = (image.height - pad) / len(names)
    for i, name in enumerate(names):
        if name:
            draw.text(
                (margin - LABEL_GAP, pad + i * row + (row - pad) / 2),
                name,
                fill=0 if image.mode == "L" else (0, 0, 0),
                font=font,
                anchor="rm",
            )
    return canvas


def class_rows(
    images: torch.Tensor,
    labels: Sequence[int],
    class_names: Sequence[str],
    ncol: int,
    per_class: int | None = None,
    every_class: bool = False,
) -> tuple[torch.Tensor, list[str]]:
    """Images grouped by label, each class starting a row (blank cells fill its last row), and each row's name.

    At most `per_class` images of a class; `every_class` gives a class without
    images a blank row instead of none. The name is on the first row of each
    class, so `save_png(make_grid(x, ncol), ..., row_names=names)` draws the grid labelled by class.
    """
    label_of = torch.as_tensor(labels, dtype=torch.int64)
    blank = torch.full_like(images[:1], 255 if images.dtype == torch.uint8 else 1)
    cells, names = [], []
    for label in range(len(class_names)) if every_class else label_of.unique().tolist():
        mine = images[label_of == label][:per_class]
        rows = max(1, math.ceil(len(mine) / ncol))
        cells += [mine, blank.expand(rows * ncol - len(mine), *images.shape[1:])]
        names += [class_names[label]] + [""] * (rows - 1)
    return torch.cat(cells), names


def display_scale(side: int) -> int:
    """Upscale factor so small images (8-32 px) are still readable in a grid."""
    return max(1, 64 // side) if side < 64 else 1


def save_scatter(
    points: torch.Tensor,
    labels: torch.Tensor | None,
    path: str | Path,
    real: torch.Tensor | None = None,
    centers: torch.Tensor | None = None,
) -> Path:
    """2-D samples as a scatter plot PNG (toy data): real points grey, samples coloured by label,
    mode centres as crosses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    if real is not None:
        ax.scatter(real[:, 0].numpy(), real[:, 1].numpy(), s=2, c="0.8", label="real")
    pts = points.detach().cpu()
    colours = labels.cpu().numpy() if labels is not None else "tab:blue"
    ax.scatter(pts[:, 0].numpy(), pts[:, 1].numpy(), s=3, c=colours, cmap="tab20", label="generated")
    if centers is not None:
        ax.scatter(centers[:, 0].numpy(), centers[:, 1].numpy(), marker="x", c="k", s=30, label="modes")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
