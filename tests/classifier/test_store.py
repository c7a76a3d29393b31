"""Saved classifiers: round trip, refusal of other data, canonical recipes (shipped, cached),
errors that say what to run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import torch

import ganfleet.classifier.store as store
from ganfleet.classifier import CANONICAL, classifier_for, load_classifier, train_and_save
from ganfleet.classifier.store import (
    MANIFEST,
    SHIPPED,
    WEIGHTS,
    cache_dir,
    copy_to_cache,
    domain_config,
    shipped_for,
    train_command,
)
from ganfleet.classifier.training import ClassifierTraining, accuracy
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.errors import EvaluationError

SMALL = ClassifierTraining(epochs=0.1, min_steps=20, batch_size=16, width=4, feature_dim=8)
DIGITS_01 = DataConfig(name="digits", classes=[0, 1])


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("GANFLEET_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """One small digits 0/1 classifier, trained once for the module (its cache copy goes to a throwaway cache)."""
    folder = tmp_path_factory.mktemp("saved")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANFLEET_CACHE", str(folder / "cache"))
        train_and_save(DIGITS_01, folder / "clf", SMALL, progress=False)
    return folder / "clf"


def test_round_trip_and_cache_copy(saved: Path, tmp_path: Path, cache: Path) -> None:
    stored = load_classifier(saved)
    fingerprint = load_dataset(domain_config(DIGITS_01)).fingerprint()
    manifest = json.loads((saved / MANIFEST).read_text())
    assert manifest["data"]["fingerprint"] == fingerprint == stored.fingerprint
    assert manifest["data"]["source"] == "digits:train" and manifest["data"]["class_names"] == ["0", "1"]
    assert manifest["steps"] == 20
    assert manifest["test_accuracy"] == accuracy(stored.model, load_dataset(domain_config(DIGITS_01, "test")))
    again = load_classifier(saved, fingerprint)
    x = torch.rand(4, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(again.model(x), stored.model(x), rtol=0, atol=0)
    assert manifest["recipe"] == {"id": SMALL.recipe_id, "settings": {**SMALL.__dict__}} and not stored.canonical
    slot = cache_dir(fingerprint, SMALL.recipe_id)
    assert slot.name == f"{fingerprint[:16]}-{SMALL.recipe_id}" and slot != cache_dir(fingerprint)
    assert copy_to_cache(saved, fingerprint, SMALL.recipe_id) == slot
    assert (slot / WEIGHTS).is_file() and slot.parent == cache / "classifiers"
    assert copy_to_cache(saved, fingerprint, SMALL.recipe_id) is None  # the cache keeps the one it has


def test_only_the_canonical_recipe_is_found_without_being_named(saved: Path, cache: Path) -> None:
    with pytest.raises(
        EvaluationError,
        match=r"no canonical classifier for digits .* "
        r"train one with: ganfleet classifier train --data digits --classes 0,1",
    ):
        classifier_for(DIGITS_01, train_missing=False)
    with pytest.raises(EvaluationError, match="non-canonical recipe is only used when named"):
        train_and_save(DIGITS_01, None, SMALL, progress=False)  # never into the canonical slot
    named = classifier_for(DIGITS_01, folder=saved)
    assert named.path == saved and not named.canonical
    other = DataConfig(name="digits", classes=[0, 1, 2])
    with pytest.raises(
        EvaluationError,
        match=r"trained on other data \(digits:train, fingerprint [0-9a-f]{16}\).*leave out --classifier.*"
        r"ganfleet classifier train --data digits --classes 0,1,2 --out NEW_FOLDER",
    ):
        classifier_for(other, folder=saved)  # the hint names a new folder: the old one would refuse again


def test_the_canonical_classifiers_ship_with_the_package(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    digits = DataConfig(name="digits")
    fingerprint = load_dataset(domain_config(digits)).fingerprint()
    shipped = classifier_for(digits, train_missing=False)  # nothing is trained: it comes with ganfleet
    assert shipped.path == shipped_for(fingerprint) == SHIPPED / "digits" and shipped.canonical
    assert shipped.recipe_id == CANONICAL.recipe_id and shipped.test_accuracy > 0.98
    assert len(shipped.weights_sha256) == 64 and (SHIPPED / "fashion-mnist" / MANIFEST).is_file()
    # without the shipped copy, the canonical classifier is looked up in the cache, by fingerprint and recipe
    monkeypatch.setattr(store, "SHIPPED", cache / "nothing-ships")
    shutil.copytree(SHIPPED / "digits", cache_dir(fingerprint))
    found = classifier_for(digits, train_missing=False)
    assert found.path == cache_dir(fingerprint) and found.weights_sha256 == shipped.weights_sha256


def test_missing_or_broken_folders(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(
        EvaluationError, match=r"empty: no classifier here \(missing manifest.json\); train one with: .* --out .*empty"
    ):
        load_classifier(tmp_path / "empty", data=DIGITS_01)
    folder = Path(shutil.copytree(saved, tmp_path / "broken"))
    (folder / WEIGHTS).write_bytes(b"garbage")
    with pytest.raises(EvaluationError, match=re.escape("classifier.safetensors: cannot load the classifier weights")):
        load_classifier(folder)
    (folder / MANIFEST).write_text("{")
    with pytest.raises(EvaluationError, match=re.escape("manifest.json: unreadable")):
        load_classifier(folder)


def test_train_command_names_every_domain_option() -> None:
    data = DataConfig(
        name="npz", path="/d/x.npz", classes=[2, 5], image_size=64, fit="pad", max_per_class=3, split="test"
    )
    assert train_command(data, "out") == (
        "ganfleet classifier train --data npz --data-dir /d/x.npz --classes 2,5 "
        "--image-size 64 --set data.fit=pad --out out"
    )
    assert domain_config(data).split == "train" and domain_config(data).max_per_class is None
