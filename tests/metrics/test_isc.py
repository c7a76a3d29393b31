"""Inception Score: one-hot uniform logits give K, torchmetrics agrees up to its n-1 std."""

from __future__ import annotations

import math

import pytest
import torch

from ganfleet.metrics.isc import inception_score
from tests.metrics.test_fid import Passthrough


def one_hot_logits(labels: torch.Tensor, k: int, scale: float = 60.0) -> torch.Tensor:
    return torch.nn.functional.one_hot(labels, k).to(torch.float64) * scale


def test_one_hot_uniform_logits_give_the_number_of_classes() -> None:
    labels = torch.arange(7).repeat(30)
    mean, std = inception_score(one_hot_logits(labels, 7), splits=1)
    torch.testing.assert_close(mean, 7.0, rtol=1e-12, atol=1e-12)
    assert std == 0.0


def test_samples_sorted_by_class_are_shuffled_into_the_splits() -> None:
    # grouped by class (as a conditional evaluation draws them): unshuffled splits would each hold one class (IS = 1)
    labels = torch.arange(10).repeat_interleave(1000)
    mean, std = inception_score(one_hot_logits(labels, 10), splits=10, seed=0)
    assert 9.8 < mean <= 10.0 and 0 < std < 0.1


def test_identical_predictions_give_one() -> None:
    logits = torch.randn(1, 5).expand(100, 5)
    mean, std = inception_score(logits, splits=10)
    torch.testing.assert_close(mean, 1.0, rtol=0, atol=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_torchmetrics_agrees_except_for_its_sample_std() -> None:
    from torchmetrics.image.inception import InceptionScore

    logits = torch.randn(1000, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    reference = InceptionScore(feature=Passthrough(10), splits=10)
    reference.update(logits)
    torch.manual_seed(5)  # torchmetrics permutes with the global RNG; ours with a generator of the same seed
    ref_mean, ref_std = reference.compute()
    mean, std = inception_score(logits, splits=10, seed=5)
    torch.testing.assert_close(mean, float(ref_mean), rtol=1e-10, atol=0)
    torch.testing.assert_close(std * math.sqrt(10 / 9), float(ref_std), rtol=1e-10, atol=0)


def test_too_few_samples() -> None:
    with pytest.raises(ValueError, match="N >= splits"):
        inception_score(torch.randn(5, 3), splits=10)
