"""Image grids: sample sheets with one row per class, written as PNG."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganfleet.data.dataset import to_uint8


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


def save_png(grid: np.ndarray, path: str | Path, scale: int = 1) -> Path:
    """Write an (H, W, C) uint8 array as PNG, optionally upscaled (nearest) for small images."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    image.save(path)
    return path


def display_scale(side: int) -> int:
    """Upscale factor so small images (8-32 px) are still readable in a grid."""
    return max(1, 64 // side) if side < 64 else 1


def save_scatter(points: torch.Tensor, labels: torch.Tensor | None, path: str | Path,
                 real: torch.Tensor | None = None, centers: torch.Tensor | None = None) -> Path:
    """2-D samples as a scatter plot PNG (toy data): real points grey, samples coloured by label, mode centres as crosses."""
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
