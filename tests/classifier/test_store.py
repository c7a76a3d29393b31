"""Saved classifiers: round trip, refusal of other data, the cache, and errors that say what to run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from ganfleet.classifier import classifier_for, load_classifier, train_and_save
from ganfleet.classifier.store import MANIFEST, WEIGHTS, cache_dir, copy_to_cache, domain_config, train_command
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
    assert not cache_dir(fingerprint).exists()
    assert copy_to_cache(saved, fingerprint) == cache_dir(fingerprint)  # what train_and_save does after saving
    assert (cache_dir(fingerprint) / WEIGHTS).is_file() and cache_dir(fingerprint).parent == cache / "classifiers"
    assert copy_to_cache(saved, fingerprint) is None  # the cache keeps the one it has


def test_classifier_for_finds_the_cached_one_and_refuses_other_data(saved: Path, cache: Path) -> None:
    with pytest.raises(EvaluationError, match=r"no classifier for digits .* train one with: ganfleet classifier train --data digits --classes 0,1"):
        classifier_for(DIGITS_01, train_missing=False)
    shutil.copytree(saved, cache_dir(load_classifier(saved).fingerprint))
    found = classifier_for(DIGITS_01, train_missing=False)
    assert found.path == cache_dir(found.fingerprint)
    other = DataConfig(name="digits", classes=[0, 1, 2])
    with pytest.raises(EvaluationError, match=r"trained on other data \(digits:train, fingerprint [0-9a-f]{16}\).*--classes 0,1,2"):
        classifier_for(other, folder=found.path)


def test_missing_or_broken_folders(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match=r"empty: no classifier here \(missing manifest.json\); train one with: .* --out .*empty"):
        load_classifier(tmp_path / "empty", data=DIGITS_01)
    folder = Path(shutil.copytree(saved, tmp_path / "broken"))
    (folder / WEIGHTS).write_bytes(b"garbage")
    with pytest.raises(EvaluationError, match="classifier.safetensors: cannot load the classifier weights"):
        load_classifier(folder)
    (folder / MANIFEST).write_text("{")
    with pytest.raises(EvaluationError, match="manifest.json: unreadable"):
        load_classifier(folder)


def test_train_command_names_every_domain_option() -> None:
    data = DataConfig(name="npz", path="/d/x.npz", classes=[2, 5], image_size=64, fit="pad", max_per_class=3, split="test")
    assert train_command(data, "out") == ("ganfleet classifier train --data npz --data-dir /d/x.npz --classes 2,5 "
                                          "--image-size 64 --set data.fit=pad --out out")
    assert domain_config(data).split == "train" and domain_config(data).max_per_class is None
