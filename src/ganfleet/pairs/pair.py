"""One generator/discriminator pair: its networks, optimisers, data stream, seed and progress.

A pair is also the smallest *step group* (`ganfleet.pairs.step`): K = 1 pair
at one step, its random draws made from torch's global RNG seeded by (pair
seed, step). A pack of K pairs (`ganfleet.packing.PairPack`) is the other
kind; the adversarial step is written once for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar, cast

import torch
import torch.nn as nn

from ganfleet.data.augment import DiffAugment
from ganfleet.data.stream import BatchStream
from ganfleet.losses import PointSampler
from ganfleet.pairs.ema import update_ema
from ganfleet.pairs.step import StepLogs, StepRule
from ganfleet.seeds import seed_step
from ganfleet.strategies import Member


@dataclass(eq=False)
class Networks:
    """A step group of one pair's networks (K = 1): what the step's pieces use.

    Scores and losses have no pair axis: `per_pair(fn, ...)` is `fn(...)`, and
    random draws come from torch's global RNG (the caller seeds it).
    """

    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer | None
    opt_d: torch.optim.Optimizer | None

    sample_dims: ClassVar[int] = 1  # leading dims of a batch before a sample: (N, ...)

    @property
    def device(self) -> torch.device:
        """Where the networks are (the generator's first parameter)."""
        return next(self.generator.parameters()).device

    def per_pair(self, fn: Callable[..., torch.Tensor], *scores: torch.Tensor) -> torch.Tensor:
        """`fn` (a loss of one pair's scores) of this pair: a scalar."""
        return fn(*scores)

    def penalty_points(self, sampler: PointSampler, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return sampler(real, fake, None)

    def noise(self, like: torch.Tensor) -> torch.Tensor:
        """Noise for a batch like `like` (N, ...): (N, latent) in its dtype, on its device."""
        return torch.randn(like.shape[0], cast(int, self.generator.latent_dim), device=like.device, dtype=like.dtype)

    def augment(self, policy: DiffAugment, images: torch.Tensor) -> torch.Tensor:
        return policy(images)

    def after_generator_step(self, rule: StepRule) -> None:
        """Bare networks keep no generator average."""


@dataclass(eq=False)
class Pair(Networks):
    """A member's networks, optimisers, data stream, seed and progress (equal only to itself)."""

    opt_g: torch.optim.Optimizer  # a pair always has both optimisers
    opt_d: torch.optim.Optimizer
    member: Member = field(kw_only=True)
    stream: BatchStream = field(kw_only=True)
    seed: int = field(kw_only=True)
    target_steps: int = field(kw_only=True)
    step: int = field(default=0, kw_only=True)
    ema: nn.Module | None = field(default=None, kw_only=True)  # the generator's moving average (pairs/ema.py)
    diverged: dict | None = field(default=None, kw_only=True)  # {step, reason} once stopped on non-finite values
    latent_dim: int = field(init=False)
    names: tuple[str, ...] = field(init=False)  # as a step group's (K = 1)

    def __post_init__(self) -> None:
        self.latent_dim = int(cast(int, self.generator.latent_dim))
        self.names = (self.member.name,)

    @property
    def name(self) -> str:
        return self.member.name

    @property
    def done(self) -> bool:
        """Reached its budget, or stopped because its values stopped being finite."""
        return self.step >= self.target_steps or self.diverged is not None

    def to_dtype(self, dtype: torch.dtype) -> Pair:
        """Networks, EMA and batches in `dtype`, in place (the optimisers keep their parameters); float64
        comparisons use it."""
        self.generator.to(dtype), self.discriminator.to(dtype)
        if self.ema is not None:
            self.ema.to(dtype)
        self.stream.dtype = dtype
        return self

    @property
    def sampler(self) -> nn.Module:
        """The generator samples come from: the EMA when the pair keeps one."""
        return self.ema if self.ema is not None else self.generator

    def after_generator_step(self, rule: StepRule) -> None:
        """Move the generator's EMA (this step's images not counted yet, as StyleGAN2-ADA)."""
        if self.ema is not None and rule.ema is not None:
            batch = self.stream.batch_size
            update_ema(self.ema, self.generator, rule.ema.beta(self.step * batch, batch))

    @contextmanager
    def draws(self) -> Iterator[None]:
        """This step's random draws (noise, dropout, penalty points) from the global RNG seeded by (seed, step)."""
        seed_step(self.seed, self.step)
        yield

    def real_batch(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.stream.batch(index)

    def finish(self, logs: dict[str, torch.Tensor]) -> StepLogs:
        """Count the step; this pair's detached values (scores averaged over the batch), each of shape (1,)."""
        self.step += 1
        return StepLogs(self.names, {key: value.detach().mean().reshape(1) for key, value in logs.items()}, self.step)
