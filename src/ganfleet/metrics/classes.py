"""Class metrics from a domain classifier's predictions on generated samples.

- conditional accuracy: share of samples the classifier assigns to the label they were generated for;
- class-distribution entropy (nats) of the predicted labels, and its maximum log K
  (SGAN's MNIST metric: a generator that drops classes has lower entropy);
- total variation between the predicted class distribution and the class prior,
  0.5 * sum_k |q_k - p_k| (SGAN compares with the uniform distribution; our
  prior is the training data's, uniform on balanced data).
"""

from __future__ import annotations

import math

import torch


def class_distribution(predicted: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Frequencies (K,) float64 of the predicted labels."""
    counts = torch.bincount(predicted.to(torch.int64), minlength=n_classes).to(torch.float64)
    return counts / counts.sum()


def entropy(distribution: torch.Tensor) -> float:
    """Shannon entropy in nats (0 log 0 = 0)."""
    p = distribution[distribution > 0].to(torch.float64)
    return float(-(p * p.log()).sum()) + 0.0  # + 0.0 turns -0.0 (one class) into 0.0


def total_variation(q: torch.Tensor, p: torch.Tensor) -> float:
    """0.5 * L1 distance between two distributions over the same classes."""
    return float(0.5 * (q.to(torch.float64) - p.to(torch.float64)).abs().sum())


def conditional_accuracy(predicted: torch.Tensor, requested: torch.Tensor) -> float:
    """Share of samples whose predicted label equals the requested one."""
    return float((predicted == requested).double().mean())


def class_metrics(class_logits: torch.Tensor, prior: list[float], requested: torch.Tensor | None) -> dict[str, float]:
    """Entropy and TV of the predicted class distribution; conditional accuracy when labels were requested."""
    predicted = class_logits.argmax(dim=1)
    q = class_distribution(predicted, len(prior))
    out = {
        "class_entropy": entropy(q),
        "class_entropy_max": math.log(len(prior)),
        "class_tv": total_variation(q, torch.tensor(prior, dtype=torch.float64)),
    }
    if requested is not None:
        out["conditional_accuracy"] = conditional_accuracy(predicted, requested)
    return out
