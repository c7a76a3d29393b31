"""Classifier training: learns separable data, deterministic per seed; the shift augmentation moves pixels as drawn."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganfleet.classifier.model import ClassifierSpec, DomainClassifier
from ganfleet.classifier.training import ClassifierTraining, accuracy, random_shift, train_classifier
from tests.conftest import make_tiny_images

TINY = ClassifierTraining(min_steps=60, batch_size=8, width=4, feature_dim=8, lr=1e-2)


def test_learns_separable_classes_and_is_deterministic() -> None:
    data = make_tiny_images()  # 3 classes of distinct brightness
    first = train_classifier(data, data, TINY, progress=False)
    assert first.steps == 60 and first.train_accuracy == 1.0 and first.test_accuracy == 1.0
    second = train_classifier(data, data, TINY, progress=False)
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key
    other = train_classifier(
        data, data, ClassifierTraining(**{**TINY.__dict__, "seed": 1, "min_steps": 1}), progress=False
    )
    once = train_classifier(data, data, ClassifierTraining(**{**TINY.__dict__, "min_steps": 1}), progress=False)
    assert not torch.equal(other.model.head.weight, once.model.head.weight)


def test_budget_is_epochs_with_a_floor_of_steps() -> None:
    settings = ClassifierTraining(epochs=4, min_steps=250, batch_size=128)
    assert settings.steps(60_000) == 1875  # 4 passes over Fashion-MNIST
    assert settings.steps(1_437) == 250  # digits: the floor
    assert ClassifierTraining(fixed_steps=7).steps(60_000) == 7


def test_random_shift_moves_each_image_by_its_drawn_offset() -> None:
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6)
    out = random_shift(x, 2, torch.Generator().manual_seed(3))
    dy, dx = torch.randint(0, 5, (2, 2), generator=torch.Generator().manual_seed(3))
    padded = F.pad(x, (2, 2, 2, 2), mode="replicate")
    for i in range(2):
        torch.testing.assert_close(out[i], padded[i, :, dy[i] : dy[i] + 6, dx[i] : dx[i] + 6], rtol=0, atol=0)


def test_accuracy_counts_correct_predictions() -> None:
    data = make_tiny_images()
    model = DomainClassifier(ClassifierSpec(channels=1, n_classes=3, width=4, feature_dim=8))
    with torch.no_grad():
        model.head.bias.copy_(torch.tensor([1e6, 0.0, 0.0]))  # predicts class 0 for everything
    assert accuracy(model, data) == 10 / 22
