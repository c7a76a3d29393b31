"""DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", 2020).

Every image the discriminator sees, real or generated, in its update and in the
generator's, goes through the same random, differentiable transformations, so
a discriminator that sees few images cannot simply memorise them (each class
pair sees only its class). The operations, in this order, each drawn per image:

- `color`: brightness (add U[-0.5, 0.5)), saturation (scale the deviation from
  the per-pixel channel mean by U[0, 2); RGB only), contrast (scale the
  deviation from the image mean by U[0.5, 1.5));
- `translation`: shift by whole pixels, up to 1/8 of the side in each
  direction, the uncovered border filled with 0 (mid-grey in [-1, 1]);
- `cutout`: zero a square of half the side, centred anywhere on the image
  (clipped at the borders).

Draws and their application are separate (`draw`, `apply`): a single pair
draws from torch's global RNG (seeded per step), pair k of a pack from its own
generator, in the same order, and the per-image operations are then applied to
the whole (packed) batch at once, so a pair sees the same augmentations packed
or alone. The gradient flows through every operation to the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

OPERATIONS = ("color", "translation", "cutout")
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


@dataclass(frozen=True)
class AugmentDraws:
    """One batch's random parameters, one row per image."""

    brightness: torch.Tensor | None = None  # (N,)
    saturation: torch.Tensor | None = None  # (N,)
    contrast: torch.Tensor | None = None  # (N,)
    shift: torch.Tensor | None = None  # (N, 2) rows, columns
    cutout: torch.Tensor | None = None  # (N, 2) centre row, column

    @staticmethod
    def cat(draws: list[AugmentDraws]) -> AugmentDraws:
        """The draws of several batches, in order (pair k's rows after pair k-1's)."""
        fields = AugmentDraws.__dataclass_fields__
        return AugmentDraws(
            **{f: None if getattr(draws[0], f) is None else torch.cat([getattr(d, f) for d in draws]) for f in fields}
        )


def parse_policy(policy: str) -> tuple[str, ...]:
    """`color,translation,cutout` -> its operations in the canonical order; '' or 'none' -> ()."""
    names = [p.strip() for p in policy.split(",") if p.strip() and p.strip() != "none"]
    unknown = [n for n in names if n not in OPERATIONS]
    if unknown:
        raise ValueError(
            f"unknown augmentation {unknown[0]!r}; expected a comma-separated subset of {', '.join(OPERATIONS)}"
        )
    return tuple(op for op in OPERATIONS if op in names)


@dataclass(frozen=True)
class DiffAugment:
    """A DiffAugment policy for images of `channels` x `size` x `size`."""

    operations: tuple[str, ...]
    channels: int
    size: int

    def draw(
        self, n: int, device: torch.device, dtype: torch.dtype, generator: torch.Generator | None = None
    ) -> AugmentDraws:
        """Parameters of `n` images from `generator` (None: torch's global RNG)."""

        def uniform(*shape: int) -> torch.Tensor:
            return torch.rand(shape, device=device, dtype=dtype, generator=generator)

        def integers(low: int, high: int) -> torch.Tensor:
            return torch.randint(low, high, (n, 2), device=device, generator=generator)

        values: dict[str, torch.Tensor] = {}
        if "color" in self.operations:
            values["brightness"] = uniform(n) - 0.5
            if self.channels == 3:
                values["saturation"] = uniform(n) * 2.0
            values["contrast"] = uniform(n) + 0.5
        if "translation" in self.operations:
            shift = int(self.size * TRANSLATION_RATIO + 0.5)
            values["shift"] = integers(-shift, shift + 1)
        if "cutout" in self.operations:
            values["cutout"] = integers(0, self.size)
        return AugmentDraws(**values)

    def apply(self, x: torch.Tensor, draws: AugmentDraws) -> torch.Tensor:
        """Images (N, C, H, W) transformed by `draws` (differentiable in `x`)."""
        if draws.brightness is not None:
            x = x + draws.brightness.view(-1, 1, 1, 1)
        if draws.saturation is not None:
            mean = x.mean(dim=1, keepdim=True)
            x = (x - mean) * draws.saturation.view(-1, 1, 1, 1) + mean
        if draws.contrast is not None:
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            x = (x - mean) * draws.contrast.view(-1, 1, 1, 1) + mean
        if draws.shift is not None:
            x = translate(x, draws.shift)
        if draws.cutout is not None:
            x = x * cutout_mask(x, draws.cutout, int(self.size * CUTOUT_RATIO + 0.5))
        return x

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.apply(x, self.draw(x.shape[0], x.device, x.dtype, generator))


def translate(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Image i moved by shift[i] = (rows, columns) pixels; pixels from outside the image are 0."""
    n, c, h, w = x.shape
    padded = F.pad(x, (1, 1, 1, 1))  # a ring of zeros that every out-of-range index lands on
    rows = (torch.arange(h, device=x.device).view(1, h) - shift[:, :1] + 1).clamp(0, h + 1)  # (N, H)
    cols = (torch.arange(w, device=x.device).view(1, w) - shift[:, 1:] + 1).clamp(0, w + 1)  # (N, W)
    out = padded.gather(2, rows.view(n, 1, h, 1).expand(n, c, h, w + 2))
    return out.gather(3, cols.view(n, 1, 1, w).expand(n, c, h, w))


def cutout_mask(x: torch.Tensor, centres: torch.Tensor, side: int) -> torch.Tensor:
    """(N, 1, H, W) mask, 0 on a `side` x `side` square centred at centres[i] (clipped), 1 elsewhere."""
    n, _, h, w = x.shape
    start = centres - side // 2  # (N, 2)
    rows = torch.arange(h, device=x.device).view(1, h)
    cols = torch.arange(w, device=x.device).view(1, w)
    in_rows = (rows >= start[:, :1]) & (rows < start[:, :1] + side)  # (N, H)
    in_cols = (cols >= start[:, 1:]) & (cols < start[:, 1:] + side)  # (N, W)
    covered = in_rows.view(n, h, 1) & in_cols.view(n, 1, w)
    return (~covered).to(x.dtype).unsqueeze(1)
