"""One generator/discriminator pair and the adversarial update every strategy uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn

from ganfleet.losses import AdversarialLoss
from ganfleet.train.seeds import seed_step
from ganfleet.train.stream import BatchStream


@dataclass(frozen=True)
class Member:
    """A pair a strategy trains: its name, the class it generates and the classes it learns from.

    `label` is the class a class-parallel pair generates (None for a pair over
    several classes); `conditional` says whether its networks take labels.
    """

    name: str
    label: int | None
    conditional: bool
    classes: tuple[int, ...]


@dataclass(frozen=True)
class StepRule:
    """How one adversarial step is taken: the loss and its hyper-parameters."""

    loss: AdversarialLoss
    n_critic: int = 1
    penalty_weight: float = 10.0
    clip_value: float = 0.01


@dataclass
class Pair:
    """A member's networks, optimisers, data stream, seed and progress."""

    member: Member
    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    stream: BatchStream
    seed: int
    target_steps: int
    step: int = 0
    latent_dim: int = field(init=False)

    def __post_init__(self) -> None:
        self.latent_dim = self.generator.latent_dim

    @property
    def name(self) -> str:
        return self.member.name

    @property
    def done(self) -> bool:
        return self.step >= self.target_steps


def discriminator_loss(d: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None,
                       rule: StepRule) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss with the rule's penalty, scores of real, scores of fake) of discriminator `d`; `fake` is not detached here."""
    d_real, d_fake = d(real, labels), d(fake, labels)
    loss = rule.loss.discriminator(d_real, d_fake)
    if rule.loss.penalty is not None:
        loss = loss + rule.penalty_weight * rule.loss.penalty(lambda x: d(x, labels), real, fake)
    return loss, d_real, d_fake


def clip_weights(d: nn.Module, rule: StepRule) -> None:
    """Weight clipping (WGAN) after a discriminator update, when the rule's loss asks for it."""
    if rule.loss.clips_weights:
        with torch.no_grad():
            for p in d.parameters():
                p.clamp_(-rule.clip_value, rule.clip_value)


def adversarial_step(pair: Pair, rule: StepRule) -> dict[str, torch.Tensor]:
    """n_critic discriminator updates then one generator update; advances `pair.step`.

    Real batch i of step s is batch s*n_critic + i of the pair's stream; noise,
    dropout and penalty draws come from RNGs seeded by (pair seed, s). Returns
    detached scalars (no device sync): d_loss, g_loss, d_real, d_fake.
    """
    seed_step(pair.seed, pair.step)
    g, d = pair.generator, pair.discriminator
    device = next(g.parameters()).device
    for i in range(rule.n_critic):
        real, labels = pair.stream.batch(pair.step * rule.n_critic + i)
        z = torch.randn(real.shape[0], pair.latent_dim, device=device, dtype=real.dtype)
        if i == rule.n_critic - 1:
            fake = g(z, labels)  # kept with its graph for the generator update below
        else:
            with torch.no_grad():
                fake = g(z, labels)
        d_loss, d_real, d_fake = discriminator_loss(d, real, fake.detach(), labels, rule)
        pair.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        pair.opt_d.step()
        clip_weights(d, rule)
    d.requires_grad_(False)  # the generator update needs no discriminator gradients
    g_loss = rule.loss.generator(d(fake, labels))
    pair.opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    pair.opt_g.step()
    d.requires_grad_(True)
    pair.step += 1
    return {
        "d_loss": d_loss.detach(),
        "g_loss": g_loss.detach(),
        "d_real": d_real.detach().mean(),
        "d_fake": d_fake.detach().mean(),
    }
