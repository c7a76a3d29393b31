"""Training K pairs as one: a `PairPack` is the packed step group, `PackedPairs` the executor of a run's packs.

A `PairPack` takes K pairs of one architecture at one step, packs their
generators, discriminators (each architecture's own `pack`, see
models/packed.py) and Adam states (packing/optim.py), and is stepped by the
one `adversarial_step` (pairs/step.py) as a group with a pair axis:

- each pair's noise, dropout masks and penalty points are drawn from its own
  generator seeded by (pair seed, step), in the order a single pair draws them
  from the global RNG, so pair k sees the same random numbers either way;
- per-pair losses come from the ordinary loss functions through `vmap`; their
  sum is back-propagated: the pairs share no parameter, so the gradient of the
  sum with respect to pair k's weights is pair k's own gradient;
- one Adam over the packed tensors makes the update K separate Adams make,
  since all K pairs of a pack are at the same step.

`write_back()` copies weights and optimiser states into each Pair's own modules
and optimisers, so checkpoints, grids and the fleet artifact stay per pair.
`PackedPairs` keeps the packs of a run and rebuilds a pack when one of its
pairs reaches its budget (a pair must not move once done: Adam with a zero
gradient would still change its weights).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import ClassVar, cast

import torch
from torch.func import vmap

from ganfleet.data.augment import AugmentDraws, DiffAugment
from ganfleet.losses import PointSampler
from ganfleet.models import pack_networks
from ganfleet.packing.optim import pack_optimizer, unpack_optimizer
from ganfleet.pairs import Pair, StepLogs, StepRule, adversarial_step
from ganfleet.pairs.ema import update_ema
from ganfleet.pairs.executor import compile_networks
from ganfleet.seeds import step_generator


class PairPack:
    """K pairs at one step trained through packed networks and one optimiser per side (a step group)."""

    sample_dims: ClassVar[int] = 2  # batches are (K, N, ...)

    def __init__(self, pairs: Sequence[Pair], channels_last: bool) -> None:
        self.pairs = list(pairs)
        self.names = tuple(p.name for p in self.pairs)
        if len({p.step for p in self.pairs}) != 1:
            raise ValueError("a pack holds pairs at the same step (their Adam bias corrections must agree)")
        gens, discs = [p.generator for p in self.pairs], [p.discriminator for p in self.pairs]
        self.generator = pack_networks(gens, channels_last)
        self.discriminator = pack_networks(discs, channels_last)
        self.opt_g = pack_optimizer([p.opt_g for p in self.pairs], gens, self.generator)
        self.opt_d = pack_optimizer([p.opt_d for p in self.pairs], discs, self.discriminator)
        emas = [p.ema for p in self.pairs if p.ema is not None]
        if emas and len(emas) < len(self.pairs):
            raise ValueError("a pack holds pairs that all keep a generator EMA, or none")
        self.ema = pack_networks(emas, channels_last).requires_grad_(False) if emas else None
        self._rngs: list[torch.Generator] | None = None

    @property
    def step(self) -> int:
        return self.pairs[0].step

    def write_back(self) -> None:
        """Make every pair's own modules and optimisers current."""
        gens, discs = [p.generator for p in self.pairs], [p.discriminator for p in self.pairs]
        self.generator.write_back(gens)
        self.discriminator.write_back(discs)
        if self.ema is not None:
            self.ema.write_back([p.ema for p in self.pairs if p.ema is not None])
        unpack_optimizer(self.opt_g, self.generator, [p.opt_g for p in self.pairs], gens)
        unpack_optimizer(self.opt_d, self.discriminator, [p.opt_d for p in self.pairs], discs)

    # ------------------------------------------------------------------ the step group

    @contextmanager
    def draws(self) -> Iterator[None]:
        """Pair k's draws of this step from its own generator seeded by (its seed, step)."""
        device = next(self.generator.parameters()).device
        self._rngs = [step_generator(p.seed, p.step, device) for p in self.pairs]
        self.discriminator.set_generators(self._rngs)
        try:
            yield
        finally:
            self.discriminator.set_generators(None)
            self._rngs = None

    def _generators(self) -> list[torch.Generator]:
        if self._rngs is None:
            raise RuntimeError("PairPack: random draws happen inside draws()")
        return self._rngs

    def real_batch(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Batch `index` of every pair's stream, stacked: (K, N, ...) and labels (K, N) or None."""
        batches = [p.stream.batch(index) for p in self.pairs]
        labels = [y for _, y in batches if y is not None]  # all of them, or none (unconditional pairs)
        return torch.stack([x for x, _ in batches]), (torch.stack(labels) if labels else None)

    def noise(self, like: torch.Tensor) -> torch.Tensor:
        """(K, N, latent) noise, pair k's from its own generator."""
        return torch.stack(
            [
                torch.randn(
                    like.shape[1],
                    cast(int, self.generator.latent_dim),
                    device=like.device,
                    dtype=like.dtype,
                    generator=r,
                )
                for r in self._generators()
            ]
        )

    def augment(self, policy: DiffAugment, images: torch.Tensor) -> torch.Tensor:
        """(K, N, C, H, W) images, pair k's augmentations drawn from its own generator, applied as one batch."""
        n = images.shape[1]
        draws = AugmentDraws.cat([policy.draw(n, images.device, images.dtype, r) for r in self._generators()])
        return policy.apply(images.flatten(0, 1), draws).reshape(images.shape)

    def after_generator_step(self, rule: StepRule) -> None:
        """Every pair's generator EMA, elementwise on the packed tensors (the pairs share step and batch size)."""
        if self.ema is not None and rule.ema is not None:
            batch = self.pairs[0].stream.batch_size
            update_ema(self.ema, self.generator, rule.ema.beta(self.step * batch, batch))

    def per_pair(self, fn: Callable[..., torch.Tensor], *scores: torch.Tensor) -> torch.Tensor:
        """`fn` (a loss of one pair's scores) of each pair: (K,)."""
        return vmap(fn)(*scores)

    def penalty_points(self, sampler: PointSampler, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return torch.stack([sampler(real[k], fake[k], r) for k, r in enumerate(self._generators())])

    def finish(self, logs: dict[str, torch.Tensor]) -> StepLogs:
        """Count the step of every pair; their detached values as (K,) tensors (scores averaged over each batch)."""
        for pair in self.pairs:
            pair.step += 1
        k = len(self.pairs)
        return StepLogs(
            self.names, {key: value.detach().reshape(k, -1).mean(dim=1) for key, value in logs.items()}, self.step
        )


def pack_key(pair: Pair) -> tuple:
    """Pairs with equal keys can share a pack: same networks, optimiser settings, batch size and step."""
    hyper = [{k: v for k, v in o.param_groups[0].items() if k != "params"} for o in (pair.opt_g, pair.opt_d)]
    return (
        repr(pair.generator),
        repr(pair.discriminator),
        repr(hyper),
        pair.stream.batch_size,
        pair.step,
        pair.device,
        pair.stream.labels is not None,
        pair.ema is not None,
    )


def group_pairs(pairs: Sequence[Pair], size: int) -> list[list[Pair]]:
    """`pairs` split into packs of at most `size` compatible pairs, in order."""
    by_key: dict[tuple, list[Pair]] = {}
    for pair in pairs:
        by_key.setdefault(pack_key(pair), []).append(pair)
    return [group[i : i + size] for group in by_key.values() for i in range(0, len(group), size)]


class PackedPairs:
    """Steps a run's pairs in packs of at most `size`; a pack whose pair is done is written back and rebuilt."""

    def __init__(self, size: int, channels_last: bool, compile: bool = False) -> None:
        if size < 1:
            raise ValueError(f"pack size must be >= 1, got {size}")
        self.size = size
        self.channels_last = channels_last
        self.compile = compile  # torch.compile each pack's networks (in place: names and tensors stay)
        self.packs: list[PairPack] = []
        self._due: Sequence[Pair] | None = None  # the pairs the packs were made for

    def step(self, due: Sequence[Pair], rule: StepRule) -> list[StepLogs]:
        if not (isinstance(due, tuple) and due is self._due):  # the loop passes one tuple until the due pairs change
            self._regroup(due)
            self._due = due
        return [adversarial_step(pack, rule) for pack in self.packs]

    def sync(self) -> None:
        for pack in self.packs:
            pack.write_back()

    def _regroup(self, due: Sequence[Pair]) -> None:
        due_ids = {id(p) for p in due}
        kept = []
        for pack in self.packs:
            if all(id(p) in due_ids for p in pack.pairs):
                kept.append(pack)
            else:
                pack.write_back()  # its pairs that are still due are repacked below
        packed = {id(p) for pack in kept for p in pack.pairs}
        loose = [p for p in due if id(p) not in packed]
        new = [PairPack(group, self.channels_last) for group in group_pairs(loose, self.size)]
        if self.compile:
            for pack in new:
                compile_networks(pack)
        self.packs = kept + new
