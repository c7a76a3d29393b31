"""2-D toy mixtures of the SGAN paper (section 4, appendix A): each mixture component is a class.

The SGAN paper names the data sets (Gaussians "regularly positioned either on
a circle or a grid" with M = 8, 10 or 25, and the Swiss roll) but gives no
radius, spacing or standard deviation anywhere (section 4, 4.1, appendix A).
It says it follows related work, [9] (WGAN-GP) among them, so we use the
values of WGAN-GP's toy data, which are also the usual ones:

- ring8 / ring10: means on a circle of radius 2, std 0.02 (WGAN-GP "8gaussians";
  ring10 is the same circle with 10 means, the paper's 10-GMM);
- grid25: means at {-4, -2, 0, 2, 4}^2 (spacing 2), std 0.05 (WGAN-GP "25gaussians");
- swissroll: the classical roll t = 1.5*pi*(1 + 2u), (t cos t, t sin t), noise
  std 0.25, divided by 7.5 (WGAN-GP "swissroll"); one class, no mode centres.

WGAN-GP also divides the Gaussian mixtures by their overall std; we do not, so
the mode centres and std above are exactly those of the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.data.options import DataOptions
from ganfleet.errors import DataError

RING_RADIUS = 2.0
RING_STD = 0.02
GRID_SPACING = 2.0
GRID_STD = 0.05
SWISSROLL_NOISE = 0.25
SWISSROLL_SCALE = 7.5

# Fixed seeds so every run sees the same points; the test split gets fresh draws.
SPLIT_SEEDS = {"train": 20180101, "test": 20180102}


def ring_centers(k: int, radius: float = RING_RADIUS) -> np.ndarray:
    """k means evenly spaced on a circle, the first at (radius, 0), counter-clockwise."""
    angles = 2.0 * math.pi * np.arange(k) / k
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    centers[np.abs(centers) < 1e-12] = 0.0  # exact zeros instead of 1e-16 (and no "-0.00" names)
    return centers


def grid_centers(side: int = 5, spacing: float = GRID_SPACING) -> np.ndarray:
    """side x side means centred on the origin, row-major (x varies slowest)."""
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    return np.array([(x, y) for x in ticks for y in ticks], dtype=np.float64)


def gaussian_mixture(
    centers: np.ndarray, std: float, per_class: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """per_class points around each centre; labels are the centre indices, class after class."""
    labels = np.repeat(np.arange(len(centers)), per_class)
    points = centers[labels] + std * rng.standard_normal((len(labels), 2))
    return points, labels


def swiss_roll(n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the 2-D Swiss roll, scaled as in WGAN-GP."""
    t = 1.5 * math.pi * (1.0 + 2.0 * rng.random(n))
    points = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) + SWISSROLL_NOISE * rng.standard_normal((n, 2))
    return points / SWISSROLL_SCALE


# name -> (mode centres (K, 2), mode std) of a Gaussian mixture; None for the Swiss roll, which has no modes
MIXTURES: dict[str, Callable[[], tuple[np.ndarray, float] | None]] = {
    "ring8": lambda: (ring_centers(8), RING_STD),
    "ring10": lambda: (ring_centers(10), RING_STD),
    "grid25": lambda: (grid_centers(5), GRID_STD),
    "swissroll": lambda: None,
}


def mixture_centers(mixture: str) -> tuple[np.ndarray, float] | None:
    """(mode centres (K, 2), mode std) of a Gaussian mixture; None for the Swiss roll."""
    try:
        return MIXTURES[mixture]()
    except KeyError:
        raise DataError(f"data.mixture: unknown mixture {mixture!r}; expected one of {', '.join(MIXTURES)}") from None


def load_toy(cfg: DataOptions) -> ClassPartitionedDataset:
    """`toy_per_class` float32 points per component of `data.mixture`, deterministic per split."""
    rng = np.random.default_rng(SPLIT_SEEDS[cfg.split])
    source = f"toy:{cfg.mixture}:{cfg.split}"
    spec = mixture_centers(cfg.mixture)
    if spec is None:
        points = swiss_roll(cfg.toy_per_class, rng)
        return ClassPartitionedDataset(
            samples=torch.from_numpy(points.astype(np.float32)),
            labels=torch.zeros(cfg.toy_per_class, dtype=torch.int64),
            class_names=["swissroll"],
            source=source,
        )
    centers, std = spec
    points, labels = gaussian_mixture(centers, std, cfg.toy_per_class, rng)
    return ClassPartitionedDataset(
        samples=torch.from_numpy(points.astype(np.float32)),
        labels=torch.from_numpy(labels.astype(np.int64)),
        class_names=[f"({x:.2f}, {y:.2f})" for x, y in centers],
        source=source,
        mode_centers=torch.from_numpy(centers.astype(np.float32)),
        mode_std=std,
    )
