"""End to end on real data through the command line: classifier, training with --eval-every, evaluate, floor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GANFLEET_CACHE": str(cache), "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "ganfleet", *args], capture_output=True, text=True, cwd=REPO, env=env
    )  # no timeout: a loaded machine is slow, not wrong


@pytest.mark.slow
def test_digits_classifier_training_evaluation(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    done = run_cli(
        "classifier",
        "train",
        "--data",
        "digits",
        "--width",
        "8",
        "--steps",
        "100",
        "--out",
        str(tmp_path / "clf"),
        "--quiet",
        cache=cache,
    )
    assert done.returncode == 0, done.stderr
    assert (
        json.loads((tmp_path / "clf" / "manifest.json").read_text())["test_accuracy"] >= 0.95
    )  # the bar for digits
    run = tmp_path / "run"
    done = run_cli(
        "train",
        "--data",
        "digits",
        "--steps",
        "30",
        "--width",
        "0.125",
        "--batch-size",
        "16",
        "--log-every",
        "15",
        "--grid-every",
        "0",
        "--eval-every",
        "15",
        "--set",
        "eval.n=200",
        "--quiet",
        "--out",
        str(run),
        cache=cache,
    )
    assert done.returncode == 0, done.stderr
    assert "training one now" not in done.stdout  # digits' canonical classifier ships with ganfleet
    done = run_cli("evaluate", str(run), "--n", "500", "--quiet", cache=cache)
    assert done.returncode == 0, done.stderr
    summary = json.loads((run / "eval" / "metrics.json").read_text())
    assert summary["classifier"]["canonical"] and summary["classifier"]["test_accuracy"] > 0.98
    done = run_cli(
        "evaluate",
        str(run),
        "--n",
        "500",
        "--quiet",
        "--no-floor",
        "--classifier",
        str(tmp_path / "clf"),
        "--out",
        str(tmp_path / "named"),
        cache=cache,
    )  # another recipe, used because it is named
    assert done.returncode == 0, done.stderr
    assert not json.loads((tmp_path / "named" / "metrics.json").read_text())["classifier"]["canonical"]
    model, floor = summary["metrics"], summary["real_floor"]
    assert floor["conditional_accuracy"] >= 0.95 and floor["is_mean"] > 8.0  # real digits: confident, all 10 classes
    assert model["fid"] > floor["fid"] and model["precision"] <= 1.0
    assert set(summary["files"]) == {"metrics", "report", "samples", "curve"}
    done = run_cli(
        "evaluate", "--real-baseline", "--data", "digits", "--out", str(tmp_path / "floor"), "--quiet", cache=cache
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "floor" / "metrics.json").read_text())["real_floor_n"] == 360
