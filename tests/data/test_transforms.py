"""Fitting images to a power-of-two side: sizes, padding placement, resize invariants."""

from __future__ import annotations

import pytest
import torch

from ganfleet.data.transforms import default_image_size, fit_images


@pytest.mark.parametrize(
    ("native", "size"), [(1, 32), (8, 32), (16, 32), (17, 32), (28, 32), (32, 32), (33, 64), (64, 64)]
)
def test_default_image_size(native: int, size: int) -> None:
    assert default_image_size(native) == size


def ramp(n: int = 2, c: int = 1, side: int = 28) -> torch.Tensor:
    return (torch.arange(n * c * side * side) % 251).to(torch.uint8).reshape(n, c, side, side)


def test_same_size_is_returned_unchanged() -> None:
    x = ramp(side=32)
    assert fit_images(x, 32, "resize") is x
    assert fit_images(x, 32, "pad") is x


def test_pad_28_to_32_centres_with_zero_border() -> None:
    x = ramp(n=2, c=3)
    out = fit_images(x, 32, "pad")
    assert out.shape == (2, 3, 32, 32) and out.dtype == torch.uint8
    assert torch.equal(out[:, :, 2:30, 2:30], x)
    border = out.clone()
    border[:, :, 2:30, 2:30] = 0
    assert int(border.count_nonzero()) == 0


def test_pad_odd_difference_puts_extra_row_at_bottom_right() -> None:
    x = torch.full((1, 1, 13, 13), 9, dtype=torch.uint8)
    out = fit_images(x, 16, "pad")
    assert torch.equal(out[0, 0, 1:14, 1:14], x[0, 0])
    assert int(out.sum()) == 9 * 13 * 13


def test_pad_larger_image_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot pad 28x28 images to 16x16"):
        fit_images(ramp(), 16, "pad")


@pytest.mark.parametrize("size", [16, 32, 64])
def test_resize_keeps_constant_images_constant(size: int) -> None:
    x = torch.full((3, 2, 28, 28), 77, dtype=torch.uint8)
    x[1] = 0
    x[2] = 255
    out = fit_images(x, size, "resize")
    assert out.shape == (3, 2, size, size) and out.dtype == torch.uint8
    assert out[0].unique().tolist() == [77]
    assert out[1].unique().tolist() == [0]
    assert out[2].unique().tolist() == [255]


def test_resize_matches_float_interpolation_rounded() -> None:
    x = ramp(n=5)
    expected = torch.nn.functional.interpolate(
        x.float(), size=(32, 32), mode="bilinear", align_corners=False, antialias=True
    )
    assert torch.equal(fit_images(x, 32, "resize"), expected.round().clamp(0, 255).to(torch.uint8))


def test_resize_chunks_do_not_change_the_result() -> None:
    x = ramp(n=4097, side=8)  # one more than a chunk
    out = fit_images(x, 16, "resize")
    assert torch.equal(out[4096:], fit_images(x[4096:], 16, "resize"))
    assert torch.equal(out[:3], fit_images(x[:3], 16, "resize"))
