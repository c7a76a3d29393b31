"""The SGAN global pair's update (Chavdarova & Fleuret, "SGAN", Algorithm 1, lines 14-31).

Each iteration, for every local pair n this process holds:

- a *messenger* discriminator is loaded from D_n (weights and Adam state) and
  trained I_D steps against the global generator G_0 (lines 14-21);
- G_0's loss against that messenger is back-propagated into G_0's gradient
  buffers (lines 22-25);
- D_0's loss on real data and samples of G_n is back-propagated into D_0's
  gradient buffers (lines 27-30).

Only then are G_0 and D_0 stepped, once each (lines 26, 31). The gradients are
*sums* over local pairs, so a process that holds some local pairs computes a
partial sum: all-reducing (sum) G_0's and D_0's gradients across processes
between `accumulate_global_gradients` and `apply_global_step` gives every
replica the same step (`reduce.py`).

The losses, penalties, clipping and optimiser steps are the step pieces every
pair uses (`ganfleet.pairs.step`): a messenger is a step group of G_0 and a
copy of D_n, D_0's update a step group of G_n and D_0.

Nothing here writes to a local pair: messengers are separate modules, the local
generators run under `buffers_kept` (BatchNorm running statistics restored),
the data streams are the global pair's own and every random draw comes from
seeds of the global pair, keyed by the local pair's name and the step. So the
local pairs train exactly as they would without the global pair, and the global
step does not depend on which process holds which local pair.

Conditional global pair (class-parallel locals): local pair n generates class
k_n, so messenger n judges G_0(z, k_n) against class k_n's images, and D_0 sees
class k_n's real and generated images with label k_n.

G_0 against its messengers and D_0 (`sgan.g0_against` messengers-and-d0): a
variant outside Algorithm 1. D_0 judges G_0's own samples (the ones G_0's loss
is taken on, detached) instead of the local generators', and G_0's loss per view
adds its loss against D_0. The messengers are re-created from D_n every
iteration and barely adapt to G_0; D_0 persists, so a G_0 that settles on one
image per class is found out. `d0`: against D_0 alone, no messengers (the
control that says what the messengers add).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn as nn

from ganfleet.data.stream import BatchStream
from ganfleet.pairs import (
    Networks,
    Pair,
    StepRule,
    discriminator_loss,
    discriminator_optimiser_step,
    discriminator_update,
    generator_loss,
    generator_optimiser_step,
)
from ganfleet.seeds import derive_seed, seed_step

G0Against = Literal["messengers", "messengers-and-d0", "d0"]  # sgan.g0_against


@contextmanager
def buffers_kept(module: nn.Module) -> Iterator[None]:
    """Run `module` (e.g. in train mode) and restore its buffers (BatchNorm running statistics) after."""
    saved = [b.detach().clone() for b in module.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, value in zip(module.buffers(), saved):
                buffer.copy_(value)


class Messenger:
    """A discriminator and Adam optimiser reloaded from a local pair's D_n at every iteration."""

    def __init__(self, local: Pair) -> None:
        self.discriminator = copy.deepcopy(local.discriminator)
        self.optimizer = type(local.opt_d)(self.discriminator.parameters(), **local.opt_d.defaults)

    def load_from(self, local: Pair) -> None:
        """Become a copy of the local discriminator as it is now (copies, never aliases, its tensors)."""
        self.discriminator.load_state_dict(local.discriminator.state_dict())
        # Optimizer.load_state_dict keeps the given tensors: copy them, or the
        # messenger's Adam steps would write into the local pair's moments.
        self.optimizer.load_state_dict(copy.deepcopy(local.opt_d.state_dict()))


@dataclass
class LocalView:
    """What the global pair uses of one local pair: its networks (read only), its class, data and seed."""

    local: Pair
    messenger: Messenger
    stream: BatchStream  # the local pair's images, in an order of the global pair's own
    label: int | None  # the class G_n generates when the global pair is conditional, else None
    seed: int

    def labels(self, n: int, device: torch.device) -> torch.Tensor | None:
        return None if self.label is None else torch.full((n,), self.label, dtype=torch.int64, device=device)


def make_view(global_pair: Pair, local: Pair, batch_size: int) -> LocalView:
    """The global pair's view of `local`: a messenger, a data stream and a seed, all keyed by local's name."""
    seed = derive_seed(global_pair.seed, "view", local.name)
    label = local.member.label if global_pair.member.conditional else None
    stream = BatchStream(local.stream.samples, None, batch_size, derive_seed(seed, "data"))
    return LocalView(local, Messenger(local), stream, label, seed)


def train_messenger(view: LocalView, global_pair: Pair, rule: StepRule, steps: int, first_batch: int) -> None:
    """Reload the messenger from D_n and train it `steps` times against G_0 (Algorithm 1, lines 14-21)."""
    msg, g0 = view.messenger, global_pair.generator
    msg.load_from(view.local)
    group = Networks(g0, msg.discriminator, None, msg.optimizer)
    for j in range(steps):
        real, _ = view.stream.batch(first_batch + j)
        labels = view.labels(real.shape[0], real.device)
        with torch.no_grad():
            fake = g0(group.noise(real), labels)
        discriminator_update(group, rule, real, fake, labels)


def accumulate_global_gradients(
    global_pair: Pair,
    views: Sequence[LocalView],
    rule: StepRule,
    messenger_steps: int,
    g0_against: G0Against = "messengers",
) -> dict[str, torch.Tensor]:
    """Zero G_0's and D_0's gradients, then add each view's contribution; returns detached sums.

    Sums (not means) over views, so per-process sums add up to the total. `g0_against` (`sgan.g0_against`): what
    G_0 trains against; with D_0 among them, D_0 judges G_0's samples instead of the local generators'.
    """
    g0, d0 = global_pair.generator, global_pair.discriminator
    device = next(g0.parameters()).device
    g0.zero_grad(set_to_none=True)
    d0.zero_grad(set_to_none=True)
    sums = {key: torch.zeros((), device=device) for key in ("d_loss", "g_loss", "d_real", "d_fake")}
    without_diversity = replace(rule, diversity_weight=0.0)
    with_messengers, with_d0 = g0_against != "d0", g0_against != "messengers"
    against_d0 = Networks(g0, d0, None, None)
    for view in views:
        seed_step(view.seed, global_pair.step)
        first_batch = global_pair.step * (messenger_steps + 1)  # the messenger's real batches, then D_0's
        if with_messengers:
            train_messenger(view, global_pair, rule, messenger_steps, first_batch)
        real, _ = view.stream.batch(first_batch + messenger_steps)
        labels = view.labels(real.shape[0], device)

        critics = [Networks(g0, view.messenger.discriminator, None, None)] if with_messengers else []  # lines 22-25
        critics += [against_d0] if with_d0 else []
        z = global_pair.noise(real)
        g0_fake = g0(z, labels)
        g_loss = generator_loss(critics[0], rule, g0_fake, labels, z)
        for critic in critics[1:]:  # the diversity term, if any, counted once
            g_loss = g_loss + generator_loss(critic, without_diversity, g0_fake, labels, z)
        g_loss.backward()

        if with_d0:
            judged = against_d0
            fake = g0_fake.detach()
        else:  # lines 27-30: D_0 against G_n
            judged = Networks(view.local.generator, d0, None, None)
            with torch.no_grad(), buffers_kept(view.local.generator):
                fake = view.local.generator(judged.noise(real))
        d_loss, d_real, d_fake = discriminator_loss(judged, rule, real, fake, labels)
        d_loss.backward()

        for key, value in (
            ("g_loss", g_loss),
            ("d_loss", d_loss),
            ("d_real", d_real.mean()),
            ("d_fake", d_fake.mean()),
        ):
            sums[key] += value.detach()
    return sums


def apply_global_step(global_pair: Pair, rule: StepRule) -> None:
    """One optimiser step of G_0 (then its EMA's) and of D_0 (then clipping) on their summed, possibly
    all-reduced, gradients: the step pieces every pair uses."""
    generator_optimiser_step(global_pair, rule)
    discriminator_optimiser_step(global_pair, rule)
    global_pair.step += 1
