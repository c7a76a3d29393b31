"""W-CGAN: one `adversarial_step` with a Wasserstein critic, against the update computed by hand.

The W-CGAN paper's public code had the critic's signs reversed; here the whole
step (loss, penalty, clipping, optimiser) is checked on a model small enough to
solve by hand: real data is the point x = 1, the generator is a point mass at
b (G(z) = b), the critic is linear, C(x) = w x, and both optimisers are SGD.

critic loss  L_D = E C(G(z)) - E C(x) = w b - w      -> dL_D/dw = b - 1
generator    L_G = -E C(G(z)) = -w b                 -> dL_G/db = -w
So the critic raises w (scores real above fake) and the generator moves b towards 1.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ganfleet.data.stream import BatchStream
from ganfleet.losses import get_loss
from ganfleet.pairs import Pair, StepRule, adversarial_step
from ganfleet.strategies import Member

LR = 0.01


class PointMass(nn.Module):
    latent_dim = 1

    def __init__(self, b: float) -> None:
        super().__init__()
        self.b = nn.Parameter(torch.tensor([b]))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.b.expand(z.shape[0], 1)


class LinearCritic(nn.Module):
    def __init__(self, w: float) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.w * x[:, 0]


def toy_pair(w: float, b: float) -> Pair:
    g, d = PointMass(b), LinearCritic(w)
    return Pair(
        member=Member("toy", None, False, (0,)),
        generator=g,
        discriminator=d,
        opt_g=torch.optim.SGD(g.parameters(), lr=LR),
        opt_d=torch.optim.SGD(d.parameters(), lr=LR),
        stream=BatchStream(torch.ones(8, 1), None, 4, seed=0),
        seed=0,
        target_steps=1,
    )


def test_wgan_gp_step_matches_the_hand_computed_update() -> None:
    # |grad_x C| = |w| = 1 everywhere, so the penalty and its gradient vanish at w = 1.
    pair = toy_pair(w=1.0, b=-1.0)
    out = adversarial_step(pair, StepRule(get_loss("wgan-gp"), n_critic=1, penalty_weight=10.0)).by_pair()["toy"]
    w1 = 1.0 - LR * (-1.0 - 1.0)  # 1.02: the critic scores real higher than fake
    b1 = -1.0 - LR * (-w1)  # -0.9898: the generator moves towards the data
    torch.testing.assert_close(pair.discriminator.w.detach(), torch.tensor(w1), rtol=0, atol=1e-7)
    torch.testing.assert_close(pair.generator.b.detach(), torch.tensor([b1]), rtol=0, atol=1e-7)
    torch.testing.assert_close(
        out["d_loss"], torch.tensor(1.0 * -1.0 - 1.0 * 1.0), rtol=0, atol=1e-7
    )  # w b - w at w = 1
    torch.testing.assert_close(
        out["g_loss"], torch.tensor(-w1 * -1.0), rtol=0, atol=1e-7
    )  # -w1 b, after the critic step


def test_wgan_gp_penalty_pulls_a_steep_critic_back() -> None:
    # At w = 3 the penalty 10 (|w| - 1)^2 adds 10 * 2 * (3 - 1) = 40 to dL/dw.
    pair = toy_pair(w=3.0, b=-1.0)
    adversarial_step(pair, StepRule(get_loss("wgan-gp"), n_critic=1, penalty_weight=10.0))
    torch.testing.assert_close(pair.discriminator.w.detach(), torch.tensor(3.0 - LR * (-2.0 + 40.0)), rtol=0, atol=1e-6)


def test_wgan_clipping_bounds_the_critic_after_each_step() -> None:
    pair = toy_pair(w=0.005, b=-1.0)
    adversarial_step(pair, StepRule(get_loss("wgan"), n_critic=3, clip_value=0.01))
    # 0.005 + 0.02 per step, clipped to 0.01 after each; the generator then sees w = 0.01.
    torch.testing.assert_close(pair.discriminator.w.detach(), torch.tensor(0.01), rtol=0, atol=0)
    torch.testing.assert_close(pair.generator.b.detach(), torch.tensor([-1.0 + LR * 0.01]), rtol=0, atol=1e-7)


def test_reversed_signs_would_move_the_other_way() -> None:
    # The bug the paper's code had: maximising E C(G(z)) - E C(x) for the critic. The real
    # loss must *fall* when the critic separates real from fake better.
    loss = get_loss("wgan-gp")
    real, fake = torch.tensor([1.0, 1.0]), torch.tensor([-1.0, -1.0])
    assert float(loss.discriminator(real * 2, fake * 2)) < float(loss.discriminator(real, fake)) < 0
    assert float(loss.generator(fake + 1)) < float(loss.generator(fake))
