"""Each loss on hand-computed values, with the signs the papers define."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from ganfleet.config import LossConfig
from ganfleet.errors import ConfigError
from ganfleet.losses import (
    LOSSES,
    bce_discriminator_loss,
    dragan_penalty,
    dragan_points,
    get_loss,
    gradient_norm_penalty,
    hinge_discriminator_loss,
    minimax_generator_loss,
    mode_seeking_loss,
    ns_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
    wgan_gp_penalty,
    wgan_gp_points,
)
from ganfleet.pairs.step import same_condition
from tests.config.test_parse import field_choices


def penalty(name: str, critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The named loss's penalty as the step takes it: points drawn from the global RNG, then the gradient norm."""
    sampler = get_loss(name).penalty
    assert sampler is not None
    return gradient_norm_penalty(critic, sampler.points(real, fake, None))


REAL = torch.tensor([2.0, -1.0])  # logits on real images
FAKE = torch.tensor([0.5, -3.0])  # logits on generated images


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def close(actual: torch.Tensor, expected: float) -> None:
    torch.testing.assert_close(actual, torch.tensor(expected), rtol=1e-6, atol=1e-7)


def test_paper_discriminator_loss() -> None:
    # J_D = -1/2 E log D(x) - 1/2 E log(1 - D(G(z))), D = sigmoid
    real_term = -(math.log(sigmoid(2.0)) + math.log(sigmoid(-1.0))) / 2
    fake_term = -(math.log(1 - sigmoid(0.5)) + math.log(1 - sigmoid(-3.0))) / 2
    close(bce_discriminator_loss(REAL, FAKE), 0.5 * real_term + 0.5 * fake_term)


def test_generator_losses() -> None:
    close(ns_generator_loss(FAKE), -(math.log(sigmoid(0.5)) + math.log(sigmoid(-3.0))) / 2)
    close(minimax_generator_loss(FAKE), (math.log(1 - sigmoid(0.5)) + math.log(1 - sigmoid(-3.0))) / 2)


def test_wasserstein_signs() -> None:
    # critic: E C(G(z)) - E C(x) = (0.5 - 3)/2 - (2 - 1)/2 = -1.75; generator: -E C(G(z)) = 1.25
    close(wasserstein_critic_loss(REAL, FAKE), -1.75)
    close(wasserstein_generator_loss(FAKE), 1.25)


def test_wasserstein_critic_loss_falls_when_real_scores_rise() -> None:
    # A critic that scores real higher and fake lower must get a *lower* loss (the sign the
    # W-CGAN reference code got wrong).
    better = wasserstein_critic_loss(REAL + 1.0, FAKE - 1.0)
    assert float(better) < float(wasserstein_critic_loss(REAL, FAKE))
    close(better - wasserstein_critic_loss(REAL, FAKE), -2.0)


def test_hinge() -> None:
    # relu(1 - 2) = 0, relu(1 + 1) = 2 -> 1; relu(1 + 0.5) = 1.5, relu(1 - 3) = 0 -> 0.75
    close(hinge_discriminator_loss(REAL, FAKE), 1.75)


def test_losses_are_stable_for_extreme_logits() -> None:
    big = torch.tensor([1e4, -1e4])
    assert torch.isfinite(bce_discriminator_loss(big, -big))
    assert torch.isfinite(ns_generator_loss(-big))
    close(bce_discriminator_loss(torch.tensor([1e4]), torch.tensor([-1e4])), 0.0)


def test_gradient_penalty_of_a_linear_critic_is_closed_form() -> None:
    # C(x) = <w, x>: the gradient is w everywhere, so the penalty is (|w| - 1)^2 at every point.
    w = torch.tensor([3.0, 4.0])
    critic = lambda x: x @ w  # noqa: E731
    points = torch.randn(16, 2)
    close(gradient_norm_penalty(critic, points), (5.0 - 1.0) ** 2)
    close(penalty("wgan-gp", critic, torch.randn(8, 2), torch.randn(8, 2)), 16.0)
    close(penalty("dragan", critic, torch.randn(8, 2), torch.randn(8, 2)), 16.0)


def test_penalty_is_differentiable_for_the_critic_update() -> None:
    lin = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 4.0]]))
    penalty = gradient_norm_penalty(lambda x: lin(x).squeeze(1), torch.randn(4, 2))
    penalty.backward()
    # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w| = 2 * 4 * (3, 4) / 5
    torch.testing.assert_close(lin.weight.grad, torch.tensor([[4.8, 6.4]]))


def test_penalties_of_packed_pairs_are_per_pair() -> None:
    # K linear critics C_k(x) = <w_k, x> evaluated at once on (K, N, 2) points: penalty k is (|w_k| - 1)^2.
    w = torch.tensor([[3.0, 4.0], [0.6, 0.8], [0.0, 2.0]])
    critic = lambda x: (x * w[:, None, :]).sum(-1)  # noqa: E731  (K, N, 2) -> (K, N)
    penalties = gradient_norm_penalty(critic, torch.randn(3, 5, 2), sample_dims=2)
    torch.testing.assert_close(penalties, torch.tensor([16.0, 0.0, 1.0]), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("points", [wgan_gp_points, dragan_points])
def test_penalty_points_from_a_generator_equal_the_seeded_global_draws(points) -> None:
    real, fake = torch.randn(8, 3, 4, 4), torch.randn(8, 3, 4, 4)
    torch.manual_seed(5)
    expected = points(real, fake, None)
    assert torch.equal(points(real, fake, torch.Generator().manual_seed(5)), expected)


def test_wgan_gp_interpolates_between_real_and_fake() -> None:
    seen = []

    def critic(x: torch.Tensor) -> torch.Tensor:
        seen.append(x.detach().clone())
        return x.sum(dim=1)

    real, fake = torch.zeros(64, 1), torch.ones(64, 1)
    penalty("wgan-gp", critic, real, fake)
    assert float(seen[0].min()) >= 0.0 and float(seen[0].max()) <= 1.0
    assert float(seen[0].std()) > 0.1  # one alpha per sample


def test_registry_matches_config_and_rejects_unknown_names() -> None:
    assert tuple(LOSSES) == field_choices(LossConfig, "name")
    assert get_loss("wgan").clips_weights and not get_loss("wgan-gp").clips_weights
    assert get_loss("wgan-gp").penalty is wgan_gp_penalty and get_loss("dragan").penalty is dragan_penalty
    with pytest.raises(
        ConfigError, match="unknown loss 'nope'; expected one of minimax, ns, wgan, wgan-gp, hinge, dragan"
    ):
        get_loss("nope")


def test_mode_seeking_loss_equals_a_loop_over_the_pairs_of_one_condition() -> None:
    """1 / (mean image distance / mean noise distance + 1e-5), the pairs of equal labels, each distance an RMS."""
    gen = torch.Generator().manual_seed(0)
    fake, z = torch.randn(6, 1, 3, 3, generator=gen, dtype=torch.float64), torch.randn(6, 4, generator=gen)
    z = z.double()
    labels = torch.tensor([0, 1, 0, 1, 1, 2])
    pairs = [(i, j) for i in range(6) for j in range(6) if i != j and labels[i] == labels[j]]
    d_image = sum(math.sqrt(((fake[i] - fake[j]) ** 2).mean().item()) for i, j in pairs) / len(pairs)
    d_z = sum(math.sqrt(((z[i] - z[j]) ** 2).mean().item()) for i, j in pairs) / len(pairs)
    same = same_condition(labels, z, 1)
    assert mode_seeking_loss(fake, z, same).item() == pytest.approx(1 / (d_image / d_z + 1e-5), rel=1e-9)
    assert torch.equal(same_condition(None, z, 1), 1 - torch.eye(6, dtype=torch.float64))


def test_mode_seeking_loss_falls_as_images_of_different_noise_move_apart() -> None:
    z = torch.randn(4, 8)
    same = same_condition(None, z, 1)
    collapsed = torch.zeros(4, 2, 2).requires_grad_(True)
    spread = torch.randn(4, 2, 2)
    assert mode_seeking_loss(collapsed, z, same) > mode_seeking_loss(spread, z, same)
    mode_seeking_loss(collapsed + 0.01 * spread, z, same).backward()
    assert torch.isfinite(collapsed.grad).all()
