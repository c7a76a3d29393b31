"""CAS, the classification accuracy score (Ravuri & Vinyals, "Classification Accuracy Score for Conditional
Generative Models", 2019): can a classifier learn the classes from generated images alone?

A classifier of the domain classifier's architecture and recipe is trained on
`n` generated images only (labels as asked of the generator, in the training
data's class proportions) and tested on the real test split. `cas_class/<k>`
is the share of the real test images of class k that it labels k: which
classes the samples teach wrongly. The same recipe trained on the real
training images is the canonical classifier itself, so its test accuracy is
CAS's ceiling, reported beside it.
"""

from __future__ import annotations

import torch

from ganfleet.classifier import (
    CANONICAL,
    NO_CAPS,
    ClassifierTraining,
    DomainClassifier,
    StoredClassifier,
    TrainingCaps,
    class_recall,
    predict,
    share_correct,
)
from ganfleet.classifier.training import train_classifier
from ganfleet.data.dataset import ClassPartitionedDataset, stratified_labels, to_uint8
from ganfleet.fleet import Fleet
from ganfleet.metrics import Figure
from ganfleet.seeds import derive_seed

CAS_FIGURE = Figure("cas", "CAS: trained on generated, tested on real", "higher")  # beside the metrics' own


def recipe_of(classifier: StoredClassifier) -> ClassifierTraining:
    """The recipe `classifier` was trained with (the canonical one for manifests that do not say)."""
    settings = classifier.manifest.get("recipe", {}).get("settings")
    return ClassifierTraining(**settings) if settings else CANONICAL


def cas_of_images(
    images: torch.Tensor,
    labels: torch.Tensor,
    test: ClassPartitionedDataset,
    recipe: ClassifierTraining,
    progress: bool = False,
    caps: TrainingCaps = NO_CAPS,
) -> dict[str, float]:
    """CAS of uint8 `images` with their `labels`: `recipe` trained on them alone, its accuracy on `test`
    (overall and per class) and on its own training images."""
    generated = ClassPartitionedDataset(images, labels, list(test.class_names), "generated")
    result = train_classifier(generated, None, recipe, progress, caps)  # tested below, both figures in one pass
    return {**cas_on_test(result.model, test, caps), "cas_train_accuracy": result.train_accuracy}


def cas_on_test(
    model: DomainClassifier, test: ClassPartitionedDataset, caps: TrainingCaps = NO_CAPS
) -> dict[str, float]:
    """`cas`: the share of `test` that `model` (trained for CAS) labels right; `cas_class/<k>`: the share of
    its class-k images. One pass over `test`."""
    predicted = predict(model, test, limit=caps.accuracy_images)
    truth = test.labels[: len(predicted)]
    per_class = {f"cas_class/{k}": r for k, r in class_recall(predicted, truth).items()}
    return {"cas": share_correct(predicted, truth), **per_class}


def classification_accuracy_score(
    fleet: Fleet,
    member: str | None,
    n: int,
    prior: list[float],
    test: ClassPartitionedDataset,
    recipe: ClassifierTraining,
    seed: int,
    progress: bool = False,
    caps: TrainingCaps = NO_CAPS,
) -> dict[str, float]:
    """CAS of `n` samples of the fleet, labels in the proportions `prior`."""
    labels = stratified_labels(n, prior)
    images = to_uint8(fleet.sample(n, labels=labels, seed=derive_seed(seed, "cas"), member=member))
    return cas_of_images(images, labels, test, recipe, progress, caps)
