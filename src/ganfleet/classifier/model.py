"""The domain classifier: a small CNN on the GANs' own images (32 px and up, [-1, 1]).

Three conv blocks (conv 3x3, BatchNorm, ReLU, max-pool 2) take a 32 px image
to 4x4x(64w); a linear layer makes the `feature_dim` penultimate features
(ReLU, so non-negative like Inception's pool features) that FID, KID and
precision/recall use; a last linear layer gives the class logits (IS, class
metrics). For images larger than 32 px the last maps are average-pooled to
4x4, so one architecture serves every image size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class ClassifierSpec:
    """Architecture of a domain classifier: input channels, classes, width multiplier, feature size."""

    channels: int
    n_classes: int
    width: int = 32
    feature_dim: int = 128

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ClassifierSpec:
        return cls(int(d["channels"]), int(d["n_classes"]), int(d["width"]), int(d["feature_dim"]))


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), nn.MaxPool2d(2)
    )


class DomainClassifier(nn.Module):
    """CNN classifier whose penultimate layer is the feature space of the metrics."""

    def __init__(self, spec: ClassifierSpec) -> None:
        super().__init__()
        self.spec = spec
        w = spec.width
        self.body = nn.Sequential(_block(spec.channels, w), _block(w, 2 * w), _block(2 * w, 4 * w))
        self.embed = nn.Linear(4 * w * 16, spec.feature_dim)
        self.head = nn.Linear(spec.feature_dim, spec.n_classes)

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(penultimate features (N, feature_dim), logits (N, n_classes)) of images in [-1, 1]."""
        h = self.body(x)
        if h.shape[-1] != 4:
            h = F.adaptive_avg_pool2d(h, 4)
        feats = F.relu(self.embed(h.flatten(1)))
        return feats, self.head(feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)[1]
