"""The adaptive budget in a run: the first share trained, the rest of the fleet's total to the worst classes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from ganfleet.errors import ConfigError
from ganfleet.rundir import RunDir
from ganfleet.train import train
from ganfleet.train.interrupt import TrainingInterrupted
from tests.conftest import DIGITS_012, tiny_config
from tests.train.test_loop import assert_same_states

CLASSES = ["class-0000", "class-0001", "class-0002"]
ADAPTIVE = {**DIGITS_012, "budget__allocate": "adaptive", "budget__steps": 8, "eval__n": 60, "train__pack": "off"}


def test_the_rest_of_the_total_goes_to_the_worst_classes(tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run", **ADAPTIVE)
    result = train(config, progress=False)
    manifest = RunDir(config.out).read_manifest()
    allocation = manifest["allocation"]
    assert allocation["after"] == dict.fromkeys(CLASSES, 4)  # half of 8
    steps, scores = allocation["steps"], allocation["scores"]
    assert sum(steps.values()) == 3 * 8 and all(s >= 4 for s in steps.values())  # budget (b)'s images kept
    by_score = sorted(CLASSES, key=scores.__getitem__)
    assert [steps[n] for n in by_score] == sorted(steps[n] for n in by_score)  # worse (higher FID) gets more
    assert {m["name"]: (m["target_steps"], m["step"]) for m in manifest["members"]} == {
        n: (steps[n], steps[n]) for n in CLASSES
    }
    assert result.steps == steps and manifest["status"] == "complete"


def test_resume_after_the_allocation_keeps_it_and_equals_an_uninterrupted_run(tmp_path: Path, monkeypatch) -> None:
    train(tiny_config(tmp_path / "straight", **ADAPTIVE), progress=False)
    import ganfleet.pairs.executor as base

    real_step = base.adversarial_step

    def step_then_interrupt(pair, rule):
        out = real_step(pair, rule)
        if pair.name == "class-0002" and pair.step == 6:  # after the allocation at step 4
            os.kill(os.getpid(), signal.SIGINT)
        return out

    monkeypatch.setattr(base, "adversarial_step", step_then_interrupt)
    config = tiny_config(tmp_path / "stopped", **ADAPTIVE)
    with pytest.raises(TrainingInterrupted):
        train(config, progress=False)
    assert "allocation" in RunDir(config.out).read_manifest()
    monkeypatch.setattr(base, "adversarial_step", real_step)
    train(config, resume=True, progress=False)
    straight, stopped = RunDir(tmp_path / "straight").read_manifest(), RunDir(config.out).read_manifest()
    assert stopped["allocation"] == straight["allocation"]
    assert_same_states(tmp_path / "straight", tmp_path / "stopped", CLASSES)


def test_an_adaptive_budget_needs_class_pairs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"budget.allocate: adaptive shares steps out among class pairs"):
        tiny_config(tmp_path / "run", train__strategy="cgan", budget__allocate="adaptive")
    with pytest.raises(ConfigError, match=r"budget.adaptive_after: expected a share in \(0, 1\), got 1.0"):
        tiny_config(tmp_path / "run", budget__adaptive_after=1.0)
