"""Feature extraction: deterministic, independent of the batch size, uint8 in."""

from __future__ import annotations

import pytest
import torch

from ganfleet.classifier.model import ClassifierSpec, DomainClassifier
from ganfleet.metrics.features import ClassifierExtractor, extract


@pytest.fixture(scope="module")
def extractor() -> ClassifierExtractor:
    torch.manual_seed(0)
    model = DomainClassifier(ClassifierSpec(channels=1, n_classes=4, width=8, feature_dim=16))
    model.train()
    for _ in range(2):  # move the BatchNorm running statistics off their defaults
        model(torch.randn(16, 1, 32, 32))
    return ClassifierExtractor(model)


def images(n: int) -> torch.Tensor:
    return torch.randint(0, 256, (n, 1, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


def test_batch_size_independent_and_deterministic(extractor: ClassifierExtractor) -> None:
    x = images(37)
    whole = extract(extractor, x, batch_size=500)
    assert whole.pool.shape == (37, 16) and whole.logits.shape == (37, 4)
    assert not extractor.model.training
    for batch_size in (1, 5, 36):
        parts = extract(extractor, x, batch_size=batch_size)
        torch.testing.assert_close(parts.pool, whole.pool, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(parts.logits, whole.logits, rtol=1e-5, atol=1e-6)
    again = extract(extractor, x, batch_size=500)
    assert torch.equal(again.pool, whole.pool) and torch.equal(again.logits, whole.logits)
    assert bool((whole.pool >= 0).all())  # ReLU features


def test_larger_images_use_the_same_architecture(extractor: ClassifierExtractor) -> None:
    big = torch.randint(0, 256, (3, 1, 64, 64), dtype=torch.uint8)
    assert extract(extractor, big).pool.shape == (3, 16)


def test_float_images_are_refused(extractor: ClassifierExtractor) -> None:
    with pytest.raises(TypeError, match="uint8"):
        extract(extractor, torch.zeros(2, 1, 32, 32))
