"""`evaluate` on small real runs: what metrics.json and the reports hold for each kind of fleet, and the floor."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from ganfleet.classifier import train_and_save
from ganfleet.config import DataConfig
from ganfleet.data.dataset import stratified_labels
from ganfleet.errors import CheckpointError, EvaluationError
from ganfleet.evaluation import EvalOptions, evaluate_real_baseline, evaluate_run
from ganfleet.rundir import read_metrics
from tests.conftest import SMALL


def quick(env, **kwargs) -> EvalOptions:
    """A small evaluation with the session's small classifier (named: it is not the canonical recipe)."""
    return EvalOptions(
        **{"n": 60, "progress": False, "train_classifier": False, "classifier": str(env["classifier"]), **kwargs}
    )


def test_class_parallel_run(env, cache, tmp_path: Path) -> None:
    run = Path(shutil.copytree(env["class-parallel"], tmp_path / "run"))  # the shared run stays unevaluated
    path = evaluate_run(run, quick(env))
    summary = json.loads(path.read_text())
    m, floor = summary["metrics"], summary["real_floor"]
    for key in (
        "fid",
        "kid_mean",
        "kid_std",
        "is_mean",
        "is_std",
        "precision",
        "recall",
        "density",
        "coverage",
        "conditional_accuracy",
        "class_entropy",
        "class_tv",
        "fid_class/0",
        "fid_class/2",
        "fid_class_mean",
    ):
        assert key in m and key in floor, key
    assert summary["conditional"] and summary["n_generated"] == 60 and summary["real_floor_n"] == 60
    assert summary["data"]["n_real"] == 96 and summary["data"]["class_names"] == ["0", "1", "2"]
    assert 1.0 <= m["is_mean"] <= 3.0 and 0.0 <= m["conditional_accuracy"] <= 1.0 and m["fid"] >= 0
    assert summary["features"] == "classifier" and summary["classifier"]["source"] == "digits:train"
    report = (path.parent / "report.md").read_text()
    assert "| FID |" in report and "| conditional accuracy |" in report and "Per-class FID" in report
    with Image.open(path.parent / "samples.png") as grid:  # 3 rows (classes) x 10 samples of 32 px, 2x upscaled
        assert grid.size[1] == (3 * 34 + 2) * 2 and grid.size[0] > (10 * 34 + 2) * 2  # and a margin naming the classes
    assert summary["files"]["curve"] == "curve.png" and (path.parent / "curve.png").stat().st_size > 0


def test_eval_every_records(env) -> None:
    records = [r for r in read_metrics(env["class-parallel"] / "metrics.jsonl") if "eval" in r]
    assert [r["step"] for r in records] == [2, 4]
    assert {"fid", "kid_mean", "is_mean", "conditional_accuracy", "class_tv"} <= set(records[0]["eval"])
    assert "precision" not in records[0]["eval"]


def test_same_seed_same_figures(env, cache, tmp_path: Path) -> None:
    a = json.loads(
        evaluate_run(
            env["class-parallel"], quick(env, floor=False, metrics=["fid", "kid", "is"]), tmp_path / "a"
        ).read_text()
    )
    b = json.loads(
        evaluate_run(
            env["class-parallel"], quick(env, floor=False, metrics=["fid", "kid", "is"]), tmp_path / "b"
        ).read_text()
    )
    assert a["metrics"] == b["metrics"] and set(a["metrics"]) == {"fid", "kid_mean", "kid_std", "is_mean", "is_std"}
    c = json.loads(
        evaluate_run(
            env["class-parallel"], quick(env, floor=False, metrics=["fid"], seed=1), tmp_path / "c"
        ).read_text()
    )
    assert c["metrics"]["fid"] != a["metrics"]["fid"]


def test_one_member_of_an_sgan_fleet(env, cache, tmp_path: Path) -> None:
    glob = json.loads(evaluate_run(env["sgan"], quick(env, floor=False, member="global"), tmp_path / "g").read_text())
    locals_ = json.loads(evaluate_run(env["sgan"], quick(env, floor=False), tmp_path / "l").read_text())
    assert glob["conditional"] and glob["run"]["member"] == "global" and locals_["run"]["member"] is None
    assert glob["metrics"]["fid"] != locals_["metrics"]["fid"]  # different generators, same noise and labels
    curve = [r for r in read_metrics(env["sgan"] / "metrics.jsonl") if "eval" in r]
    assert [r["step"] for r in curve] == [2, 4] and "conditional_accuracy" in curve[0]["eval"]
    with pytest.raises(CheckpointError, match="no member 'nope'"):
        evaluate_run(env["sgan"], quick(env, member="nope"), tmp_path / "n")


def test_unconditional_run_has_class_distribution_but_no_conditional_accuracy(env, cache, tmp_path: Path) -> None:
    summary = json.loads(evaluate_run(env["gan"], quick(env, floor=False), tmp_path).read_text())
    assert not summary["conditional"]
    assert "class_entropy" in summary["metrics"] and "class_tv" in summary["metrics"]
    assert "conditional_accuracy" not in summary["metrics"] and "fid_class/0" not in summary["metrics"]
    assert "curve" not in summary["files"]  # trained without --eval-every


def test_toy_run(env, tmp_path: Path) -> None:
    summary = json.loads(evaluate_run(env["toy"], quick(env), tmp_path).read_text())
    m = summary["metrics"]
    assert summary["features"] == "points" and summary["classifier"] is None
    assert {"fid", "precision", "modes_covered", "high_quality_share", "kde_log_likelihood"} <= set(m)
    assert "is_mean" not in m and m["modes_total"] == 8
    assert summary["real_floor"]["modes_covered"] == 8 and summary["real_floor"]["high_quality_share"] > 0.95
    assert (tmp_path / "samples.png").stat().st_size > 0


def test_real_baseline(env, cache, tmp_path: Path) -> None:
    summary = json.loads(
        evaluate_real_baseline(DataConfig(name="digits", classes=[0, 1, 2]), quick(env, n=None), tmp_path).read_text()
    )
    assert (
        "metrics" not in summary and summary["real_floor_n"] == summary["data"]["n_real"] == 96
    )  # every 5th digit of 0-2
    assert summary["real_floor"]["conditional_accuracy"] > 0.5
    assert "| FID | - |" in (tmp_path / "report.md").read_text()


def test_errors(env, cache, tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="unknown metric 'fidd'; expected one of fid, kid"):
        evaluate_run(env["class-parallel"], quick(env, metrics=["fidd"]), tmp_path)
    with pytest.raises(EvaluationError, match="metric 'is' does not apply"):
        evaluate_run(env["toy"], quick(env, metrics=["is"]), tmp_path)
    train_and_save(DataConfig(name="digits", classes=[0, 1]), tmp_path / "other", SMALL, progress=False)
    with pytest.raises(EvaluationError, match="trained on other data"):
        evaluate_run(env["class-parallel"], quick(env, classifier=str(tmp_path / "other")), tmp_path / "eval")
    with pytest.raises(EvaluationError, match="Inception weights file not found"):
        evaluate_run(
            env["class-parallel"],
            quick(env, features="inception", inception_weights=str(tmp_path / "none.pth")),
            tmp_path / "eval",
        )


def test_stratified_labels() -> None:
    assert torch.bincount(stratified_labels(10, [0.5, 0.3, 0.2])).tolist() == [5, 3, 2]
    assert stratified_labels(7, [1, 1, 1]).tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert torch.bincount(stratified_labels(10_000, [0.1] * 10)).tolist() == [1000] * 10
