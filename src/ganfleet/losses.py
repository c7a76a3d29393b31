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
| dragan  | same as ns                                    | same as ns             | + lambda E(|grad|-1)^2 (*) |

(*) DRAGAN takes the penalty at points near the real data.

Any loss can add MSGAN's mode-seeking term to the generator's (`mode_seeking_loss`, `loss.diversity_weight`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


def gradient_norm_penalty(critic: Critic, points: torch.Tensor, sample_dims: int = 1) -> torch.Tensor:
    """E (||grad_x C(x)|| - 1)^2 over `points`, differentiable (create_graph) for the critic's update.

    `points` is (N, ...) and the result a scalar; for K packed pairs `points` is
    (K, N, ...), `sample_dims=2`, and the result the K per-pair penalties (the
    pairs' scores are independent, so one gradient of their sum gives each
    pair's own gradient).
    """
    points = points.detach().requires_grad_(True)
    scores = critic(points)
    (grad,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
    return (grad.flatten(sample_dims).norm(2, dim=-1) - 1.0).pow(2).mean(-1)


def lecam_penalty(real: torch.Tensor, fake: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """LeCam regularisation (Tseng et al., 2021): E relu(D(x) - a_fake)^2 + E relu(a_real - D(G(z)))^2.

    `anchors` = (a_real, a_fake), running averages of the discriminator's mean
    scores (`models.anchors.ScoreAnchors`); as the authors' code, only scores
    on the far side of the other kind's average are pulled back.
    """
    return F.relu(real - anchors[1]).pow(2).mean() + F.relu(anchors[0] - fake).pow(2).mean()


def mode_seeking_loss(fake: torch.Tensor, z: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """1 / (d_image / d_z + 1e-5): MSGAN's mode-seeking term (Mao et al., 2019), over every pair of one batch.

    `fake` (N, ...) are images of noise `z` (N, latent); `same` (N, N) weighs
    each pair of samples (1 where two samples have the same condition, 0 on the
    diagonal). d_image and d_z are the weighted means of the pairs' root-mean-
    square distances. Minimising the term pushes images of different noise
    apart, against mode collapse.
    """
    d_image = _pairwise_rms_distance(fake.flatten(1))
    d_z = _pairwise_rms_distance(z)
    ratio = (d_image * same).sum() / (d_z * same).sum()
    return 1.0 / (ratio + 1e-5)


def _pairwise_rms_distance(x: torch.Tensor) -> torch.Tensor:
    """(N, N) root-mean-square distances between the rows of `x` (N, D), through one Gram matrix."""
    squared = x.pow(2).sum(-1)
    gram = x @ x.transpose(-1, -2)
    return ((squared[:, None] + squared[None, :] - 2 * gram).clamp_min(1e-12) / x.shape[-1]).sqrt()


def _per_sample_uniform(real: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    return torch.rand(shape, device=real.device, dtype=real.dtype, generator=generator)


def wgan_gp_points(real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al., 2017): uniform interpolates of real and fake samples, one alpha per sample."""
    alpha = _per_sample_uniform(real, generator)
    return alpha * real + (1.0 - alpha) * fake.detach()


def dragan_points(real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """DRAGAN (Kodali et al., 2017): points around real data, x + alpha * (0.5 std(x) * u), u ~ U[0, 1)."""
    del fake  # DRAGAN only looks near the real data
    noise = torch.rand(real.shape, device=real.device, dtype=real.dtype, generator=generator)
    perturbed = real + 0.5 * real.std() * noise
    alpha = _per_sample_uniform(real, generator)
    return real + alpha * (perturbed - real)


PointSampler = Callable[[torch.Tensor, torch.Tensor, torch.Generator | None], torch.Tensor]


@dataclass(frozen=True)
class GradientPenalty:
    """The gradient-norm penalty taken at points drawn by `points` from one real and one fake batch.

    The step (`pairs/step.py`) draws the points with `points(real, fake,
    generator)` (packed pairs: each pair's from its own generator) and takes
    the penalty with `gradient_norm_penalty` at them.
    """

    points: PointSampler


wgan_gp_penalty = GradientPenalty(wgan_gp_points)
dragan_penalty = GradientPenalty(dragan_points)


@dataclass(frozen=True)
class AdversarialLoss:
    """One named loss: the discriminator and generator terms, an optional penalty, weight clipping.

    `n_critic` is its usual number of discriminator steps per generator step
    (5 for the Wasserstein critics, as WGAN and WGAN-GP; `loss.n_critic` overrides it).
    """

    name: str
    discriminator: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    generator: Callable[[torch.Tensor], torch.Tensor]
    penalty: GradientPenalty | None = None
    clips_weights: bool = False
    n_critic: int = 1
    wasserstein: bool = (
        False  # a critic's score, not a logit: per-sample normalisation in conv critics (model.d_norm auto)
    )


LOSSES: dict[str, AdversarialLoss] = {
    "minimax": AdversarialLoss("minimax", bce_discriminator_loss, minimax_generator_loss),
    "ns": AdversarialLoss("ns", bce_discriminator_loss, ns_generator_loss),
    "wgan": AdversarialLoss(
        "wgan", wasserstein_critic_loss, wasserstein_generator_loss, clips_weights=True, n_critic=5, wasserstein=True
    ),
    "wgan-gp": AdversarialLoss(
        "wgan-gp",
        wasserstein_critic_loss,
        wasserstein_generator_loss,
        penalty=wgan_gp_penalty,
        n_critic=5,
        wasserstein=True,
    ),
    "hinge": AdversarialLoss("hinge", hinge_discriminator_loss, wasserstein_generator_loss),
    "dragan": AdversarialLoss("dragan", bce_discriminator_loss, ns_generator_loss, penalty=dragan_penalty),
}


def get_loss(name: str) -> AdversarialLoss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"loss.name: unknown loss {name!r}; expected one of {', '.join(LOSSES)}") from None
