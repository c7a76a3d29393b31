"""Stage one of every metric: images -> features (and logits), batched, deterministic.

Real and generated images take the same path: uint8 (N, C, H, W) -> [-1, 1]
(`to_model_space`) -> extractor. Generated samples are quantised to uint8
first (`to_uint8`), exactly as `ganfleet sample` saves them, so a metric sees
what a user would see. Extractors run in eval mode under no_grad; each image's
features depend on that image alone, so they do not depend on the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, cast

import torch

from ganfleet.data.dataset import to_model_space


@dataclass
class Features:
    """Per-image features (N, D) for FID/KID/precision-recall and logits (N, K) for IS / class metrics."""

    pool: torch.Tensor
    logits: torch.Tensor

    def __len__(self) -> int:
        return len(self.pool)


class FeatureExtractor(Protocol):
    """Maps a batch of images in [-1, 1] to (features, logits).

    `identity` names the exact extractor (its kind and a hash of its weights):
    features of two extractors with different identities are not comparable.
    """

    name: str
    identity: str

    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...

    def to(self, device: torch.device | str) -> Any: ...


class _WithFeatures(Protocol):
    def features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


class ClassifierExtractor:
    """The domain classifier's penultimate features and class logits."""

    def __init__(self, model: torch.nn.Module, name: str = "classifier", identity: str = "classifier") -> None:
        self.model = model.eval()
        self.name = name
        self.identity = identity

    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return cast(_WithFeatures, self.model).features(images)

    def to(self, device: torch.device | str) -> ClassifierExtractor:
        self.model.to(device)
        return self


@torch.no_grad()
def extract(
    extractor: FeatureExtractor, images: torch.Tensor, batch_size: int = 500, device: torch.device | str = "cpu"
) -> Features:
    """Features of uint8 images (N, C, H, W), `batch_size` at a time, returned float32 on the CPU."""
    if images.dtype != torch.uint8:
        raise TypeError(f"extract expects uint8 images (quantise generated ones with to_uint8), got {images.dtype}")
    pools, logits = [], []
    for start in range(0, len(images), batch_size):
        x = to_model_space(images[start : start + batch_size]).to(device)
        pool, logit = extractor(x)
        pools.append(pool.float().cpu())
        logits.append(logit.float().cpu())
    return Features(torch.cat(pools), torch.cat(logits))
