"""Extractors by name, and the real test split's features cached per (data fingerprint, extractors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganfleet.classifier import classifier_for
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.errors import EvaluationError
from ganfleet.evaluation import EvalOptions, evaluate_run
from ganfleet.evaluation.extractors import EXTRACTORS, build_extractors, read_features
from ganfleet.metrics.features import ClassifierExtractor

DATA = DataConfig(name="digits", classes=[0, 1, 2], split="test")


def test_extractors_by_name(env, cache) -> None:
    assert list(EXTRACTORS) == ["classifier", "inception"]
    extractors = build_extractors(
        DATA, True, classifier_dir=str(env["classifier"]), train_classifier=False, progress=False
    )
    stored = classifier_for(DATA, env["classifier"], train_missing=False)
    assert extractors.features is extractors.classifier
    assert extractors.identity == f"classifier-{stored.weights_sha256[:16]}"
    assert extractors.classifier_info["weights_sha256"] == stored.weights_sha256
    with pytest.raises(EvaluationError, match="unknown extractor 'nope'; expected one of classifier, inception"):
        build_extractors(DATA, True, features="nope")


def test_real_features_are_computed_once_then_read_back(cache, env, monkeypatch: pytest.MonkeyPatch) -> None:
    test = load_dataset(DATA)
    for earlier in (env["root"] / "cache" / "features").glob(f"{test.fingerprint()[:16]}-*"):
        earlier.unlink()  # the fixture's runs evaluated this data already
    extractors = build_extractors(
        DATA, True, classifier_dir=str(env["classifier"]), train_classifier=False, progress=False
    )
    first, cached = extractors.real_set(test)
    assert not cached
    calls = {"n": 0}
    real_call = ClassifierExtractor.__call__

    def counting(self, images):
        calls["n"] += 1
        return real_call(self, images)

    monkeypatch.setattr(ClassifierExtractor, "__call__", counting)
    second, cached = extractors.real_set(test)
    assert cached and calls["n"] == 0
    for key in ("features", "logits", "class_logits", "labels"):
        assert torch.equal(getattr(first, key), getattr(second, key)), key
    # other extractors (another identity) or other data never read this entry
    path = next((env["root"] / "cache" / "features").glob(f"{test.fingerprint()[:16]}-*.safetensors"))
    assert read_features(path, test.fingerprint(), "classifier-0000") is None
    assert read_features(path, "0" * 64, extractors.identity) is None


def test_a_second_evaluate_reuses_the_real_features(env, cache, tmp_path: Path) -> None:
    options = EvalOptions(
        n=60,
        progress=False,
        train_classifier=False,
        floor=False,
        metrics=["fid", "is"],
        classifier=str(env["classifier"]),
    )
    a = json.loads(evaluate_run(env["class-parallel"], options, tmp_path / "a").read_text())
    b = json.loads(evaluate_run(env["class-parallel"], options, tmp_path / "b").read_text())
    assert "real_features_cached" in b["timing_s"] and a["metrics"] == b["metrics"]
    assert a["extractors"] == b["extractors"] and a["extractors"].startswith("classifier-")
