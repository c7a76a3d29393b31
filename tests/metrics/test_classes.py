"""Class metrics: entropy, total variation and conditional accuracy on hand-made predictions."""

from __future__ import annotations

import math

import torch

from ganfleet.metrics.classes import class_distribution, class_metrics, entropy, total_variation


def logits_for(predicted: list[int], k: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(predicted), k).float() * 5


def test_uniform_predictions_have_maximal_entropy_and_no_tv() -> None:
    out = class_metrics(logits_for([0, 1, 2, 3] * 5, 4), [0.25] * 4, requested=None)
    torch.testing.assert_close(out["class_entropy"], math.log(4), rtol=1e-12, atol=0)
    assert out["class_entropy_max"] == math.log(4)
    assert out["class_tv"] == 0.0
    assert "conditional_accuracy" not in out  # unconditional samples have no requested label


def test_one_class_only() -> None:
    out = class_metrics(logits_for([2] * 10, 4), [0.25] * 4, requested=torch.tensor([0, 1, 2, 3, 0, 1, 2, 3, 0, 1]))
    assert out["class_entropy"] == 0.0 and math.copysign(1, out["class_entropy"]) == 1  # not -0.0
    assert out["class_tv"] == 0.75  # 0.5 (|1 - 0.25| + 3 x 0.25)
    assert out["conditional_accuracy"] == 0.2  # the two samples asked for class 2


def test_tv_against_a_non_uniform_prior() -> None:
    q = class_distribution(torch.tensor([0, 0, 1, 1]), 3)
    torch.testing.assert_close(q, torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64))
    torch.testing.assert_close(total_variation(q, torch.tensor([0.7, 0.2, 0.1])), 0.3, rtol=1e-7, atol=1e-7)
    torch.testing.assert_close(entropy(torch.tensor([0.5, 0.5, 0.0])), math.log(2), rtol=1e-12, atol=0)
