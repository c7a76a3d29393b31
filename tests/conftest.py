"""Shared fixtures: tiny real datasets and configs that train in well under a second."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from ganfleet.classifier import train_and_save
from ganfleet.classifier.training import ClassifierTraining
from ganfleet.config import DataConfig, RunConfig, apply_values
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.train import train

# Runs are compared bitwise at one thread per process, in this process and in subprocesses alike; train's
# auto thread policy (train.threads) would pick 1 or 2 threads depending on how busy the machine is.
os.environ["OMP_NUM_THREADS"] = "1"

# Subprocess timeouts only stop a job that hangs (a deadlocked process group), never one a loaded machine makes slow.
HANG_S = 1800


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stress",
        action="store_true",
        help="the fault suite's kill/resume cases many times over (random SIGKILLs, kills mid-write)",
    )


LONGEST = "tests/test_readme.py::test_every_readme_command_runs_in_order"  # ~5 min on 2 cores, a third of the suite


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The README walk first, then the other slow end-to-end tests, then the rest, each in its order: under
    `pytest -n N` (make test) the longest tests run beside the many short ones instead of trailing them on one
    worker (started last, the README walk alone added 6 minutes to the suite)."""
    items.sort(key=lambda item: (item.nodeid != LONGEST, item.get_closest_marker("slow") is None))


@pytest.fixture(scope="session")
def stress(request: pytest.FixtureRequest) -> bool:
    """Whether to run the fault suite's kill cases many times (pytest --stress) instead of a few (CI)."""
    return bool(request.config.getoption("--stress"))


def make_tiny_images() -> ClassPartitionedDataset:
    """3 classes of 32x32 grey images, different sizes (10, 7, 5) and each class a distinct brightness."""
    g = torch.Generator().manual_seed(0)
    counts = [10, 7, 5]
    xs = [
        torch.randint(60 * k, 60 * k + 40, (n, 1, 32, 32), dtype=torch.uint8, generator=g) for k, n in enumerate(counts)
    ]
    labels = torch.cat([torch.full((n,), k) for k, n in enumerate(counts)])
    return ClassPartitionedDataset(torch.cat(xs), labels, ["a", "b", "c"], "tiny")


@pytest.fixture
def tiny_images() -> ClassPartitionedDataset:
    return make_tiny_images()


def tiny_config(out: Path, **values: object) -> RunConfig:
    """A config for tiny_images: narrow dcgan, batch 4, a few steps, everything on CPU."""
    base = {
        "model.arch": "dcgan",
        "model.width": 0.125,
        "train.batch_size": 4,
        "budget.steps": 4,
        "cadence.log_every": 2,
        "cadence.grid_every": 0,
        "cadence.checkpoint_every": 2,
        "train.device": "cpu",
        "out": str(out),
    }
    base.update({k.replace("__", "."): v for k, v in values.items()})
    return apply_values(RunConfig(), base)


# ----------------------------------------------------------------------------- evaluation

DIGITS_012 = {"data__name": "digits", "data__classes": [0, 1, 2], "data__max_per_class": 16}
SMALL = ClassifierTraining(epochs=0.1, min_steps=40, batch_size=32, width=4, feature_dim=8)


@pytest.fixture(scope="session")
def env(tmp_path_factory) -> dict[str, Path]:
    """A small digits 0-2 classifier (not the canonical recipe: named wherever it is used),
    and one tiny run per kind of fleet."""
    root = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANFLEET_CACHE", str(root / "cache"))
        classifier = root / "classifier"
        train_and_save(DataConfig(name="digits", classes=[0, 1, 2]), classifier, SMALL, progress=False)
        runs = {"root": root, "classifier": classifier}
        for strategy in ("class-parallel", "gan"):
            extra = (
                {"eval__every": 2, "eval__n": 30, "eval__classifier": str(classifier)}
                if strategy == "class-parallel"
                else {}
            )
            runs[strategy] = root / strategy
            train(tiny_config(root / strategy, train__strategy=strategy, **DIGITS_012, **extra), progress=False)
        runs["sgan"] = (
            root / "sgan"
        )  # class-parallel locals and a conditional global generator, curve of the global one
        train(
            tiny_config(
                root / "sgan",
                train__strategy="sgan",
                sgan__split_by_class=True,
                eval__every=2,
                eval__n=30,
                eval__member="global",
                eval__classifier=str(classifier),
                **DIGITS_012,
            ),
            progress=False,
        )
        runs["toy"] = root / "toy"
        train(
            tiny_config(
                root / "toy",
                data__name="toy",
                data__toy_per_class=30,
                model__arch="mlp",
                train__batch_size=16,
                budget__steps=3,
            ),
            progress=False,
        )
        yield runs


@pytest.fixture
def cache(env, monkeypatch) -> None:
    monkeypatch.setenv("GANFLEET_CACHE", str(env["root"] / "cache"))
