"""Fitting images to the power-of-two side the conv nets need."""

from __future__ import annotations

import torch
import torch.nn.functional as F

MIN_IMAGE_SIZE = 32


def default_image_size(native: int) -> int:
    """Next power of two >= the native side, at least 32 (see MIN_IMAGE_SIZE in models.ModelSpec)."""
    size = MIN_IMAGE_SIZE
    while size < native:
        size *= 2
    return size


def fit_images(images: torch.Tensor, size: int, mode: str = "resize") -> torch.Tensor:
    """Fit uint8 (N, C, H, W) square images to size x size.

    `resize`: bilinear with antialiasing (the paper's code resizes 28 -> 32);
    `pad`: centred zero border (black), only for images no larger than `size`.
    """
    n, c, h, w = images.shape
    if (h, w) == (size, size):
        return images
    if mode == "pad":
        if h > size or w > size:
            raise ValueError(f"cannot pad {h}x{w} images to {size}x{size}; use resize")
        top, left = (size - h) // 2, (size - w) // 2
        return F.pad(images, (left, size - w - left, top, size - h - top))
    out = torch.empty((n, c, size, size), dtype=torch.uint8)
    for start in range(0, n, 4096):  # chunks bound the float copy's memory
        chunk = images[start : start + 4096].to(torch.float32)
        chunk = F.interpolate(chunk, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out[start : start + 4096] = chunk.round().clamp(0, 255).to(torch.uint8)
    return out
