"""CAS: a classifier trained on generated images only, tested on real ones;
real images score the classifier's own accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from sklearn.metrics import recall_score

from ganfleet.classifier import CANONICAL, load_classifier
from ganfleet.classifier.store import domain_config
from ganfleet.classifier.training import train_classifier
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.data.dataset import to_model_space
from ganfleet.evaluation import EvalOptions, evaluate_run
from ganfleet.evaluation.cas import cas_of_images, recipe_of
from tests.conftest import SMALL

DATA = DataConfig(name="digits", classes=[0, 1, 2])


def test_cas_of_real_images_is_the_classifiers_own_test_accuracy() -> None:
    train, test = load_dataset(domain_config(DATA, "train")), load_dataset(domain_config(DATA, "test"))
    cas = cas_of_images(train.samples, train.labels, test, SMALL)
    trained = train_classifier(train, test, SMALL, progress=False)
    assert cas["cas"] == trained.test_accuracy > 0.6  # chance: 1/3
    with torch.no_grad():  # per-class CAS is each real class's recall: scikit-learn's, on the same predictions
        predicted = trained.model.eval()(to_model_space(test.samples)).argmax(dim=1)
    recall = recall_score(test.labels.numpy(), predicted.numpy(), average=None)
    assert [cas[f"cas_class/{k}"] for k in range(3)] == pytest.approx(recall.tolist(), abs=1e-12)
    counts = torch.bincount(test.labels).tolist()  # and the class-weighted mean of the recalls is CAS itself
    assert sum(n * cas[f"cas_class/{k}"] for k, n in enumerate(counts)) / sum(counts) == pytest.approx(cas["cas"])


def test_cas_uses_the_recipe_of_the_evaluation_classifier(env, cache, tmp_path: Path) -> None:
    stored = load_classifier(env["classifier"])
    assert recipe_of(stored) == SMALL and recipe_of(load_classifier(Path(CANONICAL_DIR()))) == CANONICAL
    summary = json.loads(
        evaluate_run(
            env["class-parallel"],
            EvalOptions(n=60, cas_n=90, metrics=["fid", "cas"], progress=False, classifier=str(env["classifier"])),
            tmp_path,
        ).read_text()
    )
    model, floor = summary["metrics"], summary["real_floor"]
    assert 0.0 <= model["cas"] <= 1.0 and model["cas_n"] == 90
    assert 0.0 <= floor["cas"] <= 1.0 and floor["cas_n"] == 90  # the recipe trained on 90 real images: CAS's ceiling
    whole = json.loads(
        evaluate_run(
            env["class-parallel"],
            EvalOptions(n=60, metrics=["cas"], progress=False, classifier=str(env["classifier"])),
            tmp_path / "w",
        ).read_text()
    )
    assert whole["real_floor"]["cas"] == stored.test_accuracy  # at the train split's size it is the classifier itself
    assert {f"cas_class/{k}" for k in range(3)} <= set(whole["real_floor"]) & set(model)
    report = (tmp_path / "report.md").read_text()
    assert "| CAS: trained on generated, tested on real |" in report and "| CAS model | CAS real floor |" in report
    unconditional = json.loads(
        evaluate_run(
            env["gan"], EvalOptions(n=60, progress=False, classifier=str(env["classifier"])), tmp_path / "gan"
        ).read_text()
    )
    assert "cas" not in unconditional["metrics"]  # CAS needs images asked for by label


def CANONICAL_DIR() -> str:
    from ganfleet.classifier.store import SHIPPED

    return str(SHIPPED / "digits")
