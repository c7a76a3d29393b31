"""Adversarial losses as pure functions of discriminator outputs (logits), plus penalties.

Discriminators return raw scores. For the cross-entropy losses the paper's
Sigmoid is applied here, through softplus: -log sigmoid(x) = softplus(-x) and
-log(1 - sigmoid(x)) = softplus(x), the same values without overflow.

| name    | discriminator / critic                        | generator              | extra                  |
|---------|-----------------------------------------------|------------------------|------------------------|
| minimax | -1/2 E log D(x) - 1/2 E log(1 - D(G(z)))      | E log(1 - D(G(z)))     |                        |
| ns      | same as minimax (the paper's J_D)             | -E log D(G(z))         |                        |
| wgan    | E C(G(z)) - E C(x)                            | -E C(G(z))             | weight clipping        |
| wgan-gp | E C(G(z)) - E C(x)                            | -E C(G(z))             | + lambda E(|grad|-1)^2 |
| hinge   | E relu(1 - C(x)) + E relu(1 + C(G(z)))        | -E C(G(z))             |                        |
| dragan  | same as ns                                    | same as ns             | + lambda E(|grad|-1)^2 near real data |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from ganfleet.errors import ConfigError

Critic = Callable[[torch.Tensor], torch.Tensor]


def bce_discriminator_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """J_D = -1/2 E log D(x) - 1/2 E log(1 - D(G(z))), D = sigmoid(logit) (the paper's discriminator loss)."""
    return 0.5 * (F.softplus(-real).mean() + F.softplus(fake).mean())


def minimax_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    """E log(1 - D(G(z))): the original, saturating minimax generator loss."""
    return -F.softplus(fake).mean()


def ns_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    """-E log D(G(z)): the non-saturating generator loss the paper uses."""
    return F.softplus(-fake).mean()


def wasserstein_critic_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """E C(G(z)) - E C(x): minimising it maximises the critic's estimate of the W1 distance."""
    return fake.mean() - real.mean()


def wasserstein_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    """-E C(G(z))."""
    return -fake.mean()


def hinge_discriminator_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """E relu(1 - C(x)) + E relu(1 + C(G(z)))."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def gradient_norm_penalty(critic: Critic, points: torch.Tensor) -> torch.Tensor:
    """E (||grad_x C(x)|| - 1)^2 over `points`, differentiable (create_graph) for the critic's update."""
    points = points.detach().requires_grad_(True)
    scores = critic(points)
    (grad,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
    return (grad.flatten(1).norm(2, dim=1) - 1.0).pow(2).mean()


def wgan_gp_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al., 2017): the penalty on uniform interpolates of real and fake samples."""
    alpha = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), device=real.device, dtype=real.dtype)
    return gradient_norm_penalty(critic, alpha * real + (1.0 - alpha) * fake.detach())


def dragan_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """DRAGAN (Kodali et al., 2017): the penalty around real data, x + alpha * (0.5 std(x) * u), u ~ U[0, 1)."""
    del fake  # DRAGAN only looks near the real data
    perturbed = real + 0.5 * real.std() * torch.rand_like(real)
    alpha = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), device=real.device, dtype=real.dtype)
    return gradient_norm_penalty(critic, real + alpha * (perturbed - real))


Penalty = Callable[[Critic, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class AdversarialLoss:
    """One named loss: the discriminator and generator terms, an optional penalty, weight clipping."""

    name: str
    discriminator: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    generator: Callable[[torch.Tensor], torch.Tensor]
    penalty: Penalty | None = None
    clips_weights: bool = False


LOSSES: dict[str, AdversarialLoss] = {
    "minimax": AdversarialLoss("minimax", bce_discriminator_loss, minimax_generator_loss),
    "ns": AdversarialLoss("ns", bce_discriminator_loss, ns_generator_loss),
    "wgan": AdversarialLoss("wgan", wasserstein_critic_loss, wasserstein_generator_loss, clips_weights=True),
    "wgan-gp": AdversarialLoss("wgan-gp", wasserstein_critic_loss, wasserstein_generator_loss, penalty=wgan_gp_penalty),
    "hinge": AdversarialLoss("hinge", hinge_discriminator_loss, wasserstein_generator_loss),
    "dragan": AdversarialLoss("dragan", bce_discriminator_loss, ns_generator_loss, penalty=dragan_penalty),
}


def get_loss(name: str) -> AdversarialLoss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"train.loss: unknown loss {name!r}; expected one of {', '.join(LOSSES)}") from None
