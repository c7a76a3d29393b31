"""Seeds derived from names, so a pair's randomness never depends on scheduling.

Every random draw of a pair at step s (noise, dropout masks, penalty
interpolation, data order) comes from seeds that are a pure function of the
run's base seed, the pair's identity and s. Two pairs can therefore be trained
in any order, in one process or on different ranks, and resuming at step s
replays exactly what an uninterrupted run would have drawn.
"""

from __future__ import annotations

import hashlib

import torch


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any sequence of ints/strings (stable across processes and Python versions)."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def step_seed(pair_seed: int, step: int) -> int:
    """The seed of every random draw of one pair at one step."""
    return derive_seed(pair_seed, "step", step)


def seed_step(pair_seed: int, step: int) -> None:
    """Seed torch's global RNGs (CPU and every CUDA device) for one step of one pair."""
    torch.manual_seed(step_seed(pair_seed, step))


def step_generator(pair_seed: int, step: int, device: torch.device) -> torch.Generator:
    """A private generator on `device` starting the stream `seed_step` starts there.

    Packed pairs draw pair k's noise, dropout masks and penalty points from its
    own generator in the order a single pair draws them from the global RNG,
    so both paths see the same random numbers.
    """
    return torch.Generator(device=device).manual_seed(step_seed(pair_seed, step))
