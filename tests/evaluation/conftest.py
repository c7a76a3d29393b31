"""Shared by the evaluation tests: a cache with a small digits classifier, and one tiny run per kind of fleet."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganfleet.classifier import train_and_save
from ganfleet.classifier.training import ClassifierTraining
from ganfleet.config import DataConfig
from ganfleet.train import train
from tests.conftest import tiny_config

DIGITS_012 = {"data__name": "digits", "data__classes": [0, 1, 2], "data__max_per_class": 16}
SMALL = ClassifierTraining(epochs=0.1, min_steps=40, batch_size=32, width=4, feature_dim=8)


@pytest.fixture(scope="package")
def env(tmp_path_factory) -> dict[str, Path]:
    """A cache holding a small digits 0-2 classifier, and one tiny run per kind of fleet."""
    root = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANFLEET_CACHE", str(root / "cache"))
        train_and_save(DataConfig(name="digits", classes=[0, 1, 2]), None, SMALL, progress=False)
        runs = {"root": root}
        for strategy in ("class-parallel", "gan"):
            extra = {"eval__every": 2, "eval__n": 30} if strategy == "class-parallel" else {}
            runs[strategy] = root / strategy
            train(tiny_config(root / strategy, train__strategy=strategy, **DIGITS_012, **extra), progress=False)
        runs["sgan"] = root / "sgan"  # class-parallel locals and a conditional global generator, curve of the global one
        train(tiny_config(root / "sgan", train__strategy="sgan", sgan__split_by_class=True, eval__every=2, eval__n=30,
                          eval__member="global", **DIGITS_012), progress=False)
        runs["toy"] = root / "toy"
        train(tiny_config(root / "toy", data__name="toy", data__toy_per_class=30, model__arch="mlp", train__batch_size=16,
                          budget__steps=3), progress=False)
        yield runs


@pytest.fixture
def cache(env, monkeypatch) -> None:
    monkeypatch.setenv("GANFLEET_CACHE", str(env["root"] / "cache"))


