"""The adversarial step, written once for every way pairs are stepped.

A *step group* is K >= 1 pairs at one step whose networks are called as one:
a single `Pair` (K = 1; scores (N,), one loss) or a `PairPack` (K packed pairs;
scores (K, N), one loss per pair, summed for the backward pass: the pairs share
no parameter, so each gets its own gradient). The pieces below use only what
both provide, so the looped, packed and SGAN paths (messengers, the global
pair) share them:

- `discriminator_loss`: real and fake scoring (each image augmented first,
  DiffAugment), the loss, the gradient penalty, LeCam regularisation;
- `discriminator_update`: one optimiser step on it, then weight clipping
  (`discriminator_optimiser_step`);
- `generator_loss` / `generator_update`: the generator's loss against a
  frozen discriminator (on augmented images), one optimiser step, then the
  generator EMA's update (`generator_optimiser_step`);
- `adversarial_step`: n_critic discriminator updates, then one generator update.

Randomness: real batch i of step s is batch s*n_critic + i of each pair's
stream; every other draw (noise, augmentations, dropout masks, penalty points) comes from
each pair's own RNG seeded by (pair seed, s), in the same order whichever the
group, so a pair trains the same in a pack or alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import ClassVar, Protocol, cast

import torch
import torch.nn as nn

from ganfleet.data.augment import DiffAugment
from ganfleet.losses import AdversarialLoss, PointSampler, gradient_norm_penalty, lecam_penalty, mode_seeking_loss
from ganfleet.models.anchors import ScoreAnchors
from ganfleet.pairs.ema import EmaRule


@dataclass(frozen=True)
class StepRule:
    """How one adversarial step is taken: the loss and its hyper-parameters, augmentation, LeCam, generator EMA."""

    loss: AdversarialLoss
    n_critic: int = 1
    penalty_weight: float = 10.0
    clip_value: float = 0.01
    augment: DiffAugment | None = None  # DiffAugment of every image the discriminator sees
    lecam_weight: float = 0.0  # LeCam regularisation (0: off); needs the discriminator's ScoreAnchors
    lecam_decay: float = 0.99
    ema: EmaRule | None = None  # the generator's EMA (None: none)
    diversity_weight: float = 0.0  # MSGAN's mode-seeking term in the generator's loss (0: off)


class StepGroup(Protocol):
    """What the step's pieces need of K >= 1 pairs (`Networks`, `Pair` or `PairPack`)."""

    @property
    def generator(self) -> nn.Module: ...

    @property
    def discriminator(self) -> nn.Module: ...

    @property
    def opt_g(self) -> torch.optim.Optimizer | None: ...

    @property
    def opt_d(self) -> torch.optim.Optimizer | None: ...

    sample_dims: ClassVar[int]  # leading dims before a sample: 1 for (N, ...), 2 for (K, N, ...)

    def per_pair(self, fn: Callable[..., torch.Tensor], *scores: torch.Tensor) -> torch.Tensor: ...

    def penalty_points(self, sampler: PointSampler, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor: ...

    def noise(self, like: torch.Tensor) -> torch.Tensor: ...

    def augment(self, policy: DiffAugment, images: torch.Tensor) -> torch.Tensor: ...

    def after_generator_step(self, rule: StepRule) -> None: ...


class TrainingGroup(StepGroup, Protocol):
    """A step group with data and progress: what `adversarial_step` advances."""

    @property
    def step(self) -> int: ...

    def draws(self) -> AbstractContextManager[None]: ...

    def real_batch(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def finish(self, logs: dict[str, torch.Tensor]) -> StepLogs: ...


@dataclass(frozen=True)
class StepLogs:
    """What one step of a step group logs: every value a detached (K,) tensor on the device, one entry per pair.

    `names` are the group's K pairs in order; `step` is the step count they reached (the pairs of a group
    move together). Values are scores averaged over each pair's batch; nothing here synchronises the device.
    """

    names: tuple[str, ...]
    values: dict[str, torch.Tensor]
    step: int

    def by_pair(self) -> dict[str, dict[str, torch.Tensor]]:
        """{pair: {key: scalar tensor}}: one pair's view (for records and comparisons, not for the hot loop)."""
        return {name: {key: value[k] for key, value in self.values.items()} for k, name in enumerate(self.names)}


def by_pair(logs: Sequence[StepLogs]) -> dict[str, dict[str, torch.Tensor]]:
    """Every group's `StepLogs.by_pair`, merged."""
    return {name: values for group in logs for name, values in group.by_pair().items()}


@contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """`module` without parameter gradients (the other network's update needs none of its gradients); each
    parameter's own setting comes back after (a layer frozen for good stays frozen)."""
    trained = [p for p in module.parameters() if p.requires_grad]
    module.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in trained:
            parameter.requires_grad_(True)


def discriminator_loss(
    group: StepGroup, rule: StepRule, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss per pair with the rule's regularisers, scores of real, scores of fake); `fake` should come detached.

    With augmentation the scores, the penalty points and LeCam's anchors are
    all of the augmented images: those are what the discriminator sees.
    """
    d = group.discriminator
    if rule.augment is not None:
        real, fake = group.augment(rule.augment, real), group.augment(rule.augment, fake)
    d_real, d_fake = d(real, labels), d(fake, labels)
    loss = group.per_pair(rule.loss.discriminator, d_real, d_fake)
    if rule.loss.penalty is not None:
        points = group.penalty_points(rule.loss.penalty.points, real, fake)
        loss = loss + rule.penalty_weight * gradient_norm_penalty(lambda x: d(x, labels), points, group.sample_dims)
    if rule.lecam_weight:
        anchors = cast(ScoreAnchors, d.lecam_anchors)
        anchors.update(
            group.per_pair(torch.mean, d_real.detach()), group.per_pair(torch.mean, d_fake.detach()), rule.lecam_decay
        )
        loss = loss + rule.lecam_weight * group.per_pair(lecam_penalty, d_real, d_fake, anchors.ema)
    return loss, d_real, d_fake


def clip_weights(d: nn.Module, rule: StepRule) -> None:
    """Weight clipping (WGAN) after a discriminator update, when the rule's loss asks for it."""
    if rule.loss.clips_weights:
        with torch.no_grad():
            for p in d.parameters():
                p.clamp_(-rule.clip_value, rule.clip_value)


def discriminator_update(
    group: StepGroup, rule: StepRule, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One optimiser step of the discriminator(s) on `discriminator_loss`; returns its (loss, d_real, d_fake)."""
    loss, d_real, d_fake = discriminator_loss(group, rule, real, fake.detach(), labels)
    assert group.opt_d is not None
    group.opt_d.zero_grad(set_to_none=True)
    loss.sum().backward()
    discriminator_optimiser_step(group, rule)
    return loss, d_real, d_fake


def discriminator_optimiser_step(group: StepGroup, rule: StepRule) -> None:
    """The discriminator's optimiser step on the gradients it holds, then weight clipping when the loss asks."""
    assert group.opt_d is not None
    group.opt_d.step()
    clip_weights(group.discriminator, rule)


def generator_loss(
    group: StepGroup, rule: StepRule, fake: torch.Tensor, labels: torch.Tensor | None, z: torch.Tensor
) -> torch.Tensor:
    """The generator's loss per pair against the (frozen) discriminator, which sees the images augmented.

    `fake` are the images of noise `z`; with `rule.diversity_weight` the loss adds the mode-seeking term
    over the un-augmented images, each pair of samples of one condition.
    """
    diversity = None
    if rule.diversity_weight:
        same = same_condition(labels, z, group.sample_dims)
        diversity = rule.diversity_weight * group.per_pair(mode_seeking_loss, fake, z, same)
    if rule.augment is not None:
        fake = group.augment(rule.augment, fake)
    with frozen(group.discriminator):
        loss = group.per_pair(rule.loss.generator, group.discriminator(fake, labels))
    return loss if diversity is None else loss + diversity


def same_condition(labels: torch.Tensor | None, z: torch.Tensor, sample_dims: int) -> torch.Tensor:
    """(..., N, N) weights of the pairs of a batch of noise `z` (..., N, latent): 1 for two samples of one label
    (every pair without labels), 0 on the diagonal.
    """
    n = z.shape[sample_dims - 1]
    others = 1.0 - torch.eye(n, device=z.device, dtype=z.dtype)
    if labels is None:
        return others.expand(*z.shape[: sample_dims - 1], n, n)
    return (labels.unsqueeze(-1) == labels.unsqueeze(-2)).to(z.dtype) * others


def generator_update(
    group: StepGroup, rule: StepRule, fake: torch.Tensor, labels: torch.Tensor | None, z: torch.Tensor
) -> torch.Tensor:
    """One optimiser step of the generator(s), then their EMA's; returns the loss per pair."""
    loss = generator_loss(group, rule, fake, labels, z)
    assert group.opt_g is not None
    group.opt_g.zero_grad(set_to_none=True)
    loss.sum().backward()
    generator_optimiser_step(group, rule)
    return loss


def generator_optimiser_step(group: StepGroup, rule: StepRule) -> None:
    """The generator's optimiser step on the gradients it holds, then its EMA's update."""
    assert group.opt_g is not None
    group.opt_g.step()
    group.after_generator_step(rule)


def adversarial_step(group: TrainingGroup, rule: StepRule) -> StepLogs:
    """n_critic discriminator updates then one generator update of every pair in `group`; advances their steps.

    Returns the group's logged values, one (K,) tensor each, with no device sync: d_loss, g_loss, d_real, d_fake.
    """
    with group.draws():
        for i in range(rule.n_critic):
            real, labels = group.real_batch(group.step * rule.n_critic + i)
            z = group.noise(real)
            if i == rule.n_critic - 1:
                fake = group.generator(z, labels)  # kept with its graph for the generator update below
            else:
                with torch.no_grad():
                    fake = group.generator(z, labels)
            d_loss, d_real, d_fake = discriminator_update(group, rule, real, fake, labels)
        g_loss = generator_update(group, rule, fake, labels, z)
    return group.finish({"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake})
