"""DiffAugment: each operation against a hand-computed small tensor, differentiable,
and the same draws however grouped."""

from __future__ import annotations

import pytest
import torch

from ganfleet.data.augment import AugmentDraws, DiffAugment, cutout_mask, parse_policy, translate


def image(n: int = 1, c: int = 1, side: int = 4) -> torch.Tensor:
    return torch.arange(n * c * side * side, dtype=torch.float64).view(n, c, side, side) + 1.0


def test_translation_moves_content_and_fills_with_zeros() -> None:
    x = image()
    down_right = translate(x, torch.tensor([[1, 2]]))  # one row down, two columns right
    expected = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    expected[0, 0, 1:, 2:] = x[0, 0, :3, :2]
    torch.testing.assert_close(down_right, expected, rtol=0, atol=0)
    up_left = translate(x, torch.tensor([[-1, -1]]))
    expected = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    expected[0, 0, :3, :3] = x[0, 0, 1:, 1:]
    torch.testing.assert_close(up_left, expected, rtol=0, atol=0)
    torch.testing.assert_close(translate(x, torch.tensor([[0, 0]])), x, rtol=0, atol=0)


def test_cutout_zeroes_a_square_clipped_at_the_borders() -> None:
    x = image(2)
    mask = cutout_mask(x, torch.tensor([[2, 2], [0, 3]]), side=2)  # squares [1, 3) x [1, 3) and [-1, 1) x [2, 4)
    expected = torch.ones(2, 1, 4, 4, dtype=torch.float64)
    expected[0, 0, 1:3, 1:3] = 0
    expected[1, 0, 0:1, 2:4] = 0
    torch.testing.assert_close(mask, expected, rtol=0, atol=0)


def test_color_operations_by_hand() -> None:
    x = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]], dtype=torch.float64)  # mean 1.5
    policy = DiffAugment(("color",), channels=1, size=2)
    draws = AugmentDraws(
        brightness=torch.tensor([0.25], dtype=torch.float64), contrast=torch.tensor([2.0], dtype=torch.float64)
    )
    out = policy.apply(x, draws)  # (x + 0.25 - 1.75) * 2 + 1.75
    torch.testing.assert_close(out, (x + 0.25 - 1.75) * 2 + 1.75, rtol=0, atol=0)
    rgb = torch.tensor([[[[0.0]], [[1.0]], [[2.0]]]], dtype=torch.float64)  # one pixel, channel mean 1
    saturated = DiffAugment(("color",), 3, 1).apply(
        rgb, AugmentDraws(saturation=torch.tensor([0.5], dtype=torch.float64))
    )
    torch.testing.assert_close(saturated.flatten(), torch.tensor([0.5, 1.0, 1.5], dtype=torch.float64), rtol=0, atol=0)


def test_draws_by_policy_and_ranges() -> None:
    g = torch.Generator().manual_seed(0)
    grey = DiffAugment(parse_policy("cutout,color,translation"), channels=1, size=32).draw(
        500, torch.device("cpu"), torch.float32, g
    )
    assert grey.saturation is None  # saturation is for RGB only
    assert float(grey.brightness.min()) >= -0.5 and float(grey.brightness.max()) < 0.5
    assert float(grey.contrast.min()) >= 0.5 and float(grey.contrast.max()) < 1.5
    assert (
        int(grey.shift.abs().max()) == 4 and int(grey.cutout.min()) >= 0 and int(grey.cutout.max()) <= 31
    )  # 1/8 of 32
    assert parse_policy("translation,color") == ("color", "translation") and parse_policy("none") == ()
    with pytest.raises(ValueError, match="unknown augmentation 'flip'"):
        parse_policy("flip")


def test_every_operation_is_differentiable() -> None:
    policy = DiffAugment(("color", "translation", "cutout"), channels=3, size=4)
    draws = policy.draw(2, torch.device("cpu"), torch.float64, torch.Generator().manual_seed(1))
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: policy.apply(t, draws), (x,))


def test_draws_of_a_generator_equal_the_seeded_global_draws() -> None:
    policy = DiffAugment(("color", "translation", "cutout"), channels=3, size=8)
    x = torch.randn(5, 3, 8, 8)
    torch.manual_seed(7)
    alone = policy(x)
    from_generator = policy(x, torch.Generator().manual_seed(7))
    torch.testing.assert_close(alone, from_generator, rtol=0, atol=0)
