"""`ganfleet report`: what it draws from a run directory, and training figures that survive a resume with nothing to
do."""

from __future__ import annotations

import shutil
from pathlib import Path

from ganfleet.distributed.telemetry import session_record, training_totals, with_sessions
from ganfleet.evaluation import evaluate_run
from ganfleet.report import write_run_report
from ganfleet.train import train
from tests.conftest import make_tiny_images, tiny_config
from tests.evaluation.test_run import quick


def training_line(report: Path) -> str:
    return next(line for line in report.read_text().splitlines() if line.startswith("Training:"))


def test_a_resume_with_nothing_to_train_keeps_the_training_figures(tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run")
    train(config, progress=False, dataset=make_tiny_images())
    first = training_line(write_run_report(config.out))
    train(config, resume=True, progress=False, dataset=make_tiny_images())  # a finished run: trains nothing
    assert training_line(write_run_report(config.out)) == first and " 0 img/s" not in first


def test_sessions_add_up() -> None:
    one = {"wall_s": 10.0, "images": 1000, "img_per_s": 100.0, "world_size": 1}
    two = with_sessions({"wall_s": 30.0, "images": 2000, "img_per_s": 66.7, "world_size": 2}, with_sessions(one, None))
    idle = with_sessions({"wall_s": 3.0, "images": 0, "img_per_s": 0.0, "world_size": 1}, two)
    assert len(idle["sessions"]) == 3 and idle["images"] == 0  # the top level stays this session's
    assert training_totals(idle) == {"sessions": 2, "wall_s": 40.0, "images": 3000, "img_per_s": 75.0}
    assert training_totals(one) == {
        "sessions": 1,
        "wall_s": 10.0,
        "images": 1000,
        "img_per_s": 100.0,
    }  # before sessions
    assert session_record(one)["ended"]


def test_after_evaluate_the_report_has_the_per_class_fid_chart(env, cache, tmp_path: Path) -> None:
    run = Path(shutil.copytree(env["class-parallel"], tmp_path / "run"))  # the shared run stays unevaluated
    evaluate_run(run, quick(env, cas_n=0))
    report = write_run_report(run, run / "report-test")
    text = report.read_text()
    assert (
        "](fid_per_class.png)" in text and "FID " in text and (report.parent / "fid_per_class.png").stat().st_size > 0
    )


def test_toy_and_unconditional_runs_report_too(env, tmp_path: Path) -> None:
    for kind in ("toy", "gan"):
        report = write_run_report(env[kind], tmp_path / kind)
        assert (report.parent / "samples.png").is_file() and "## Losses" in report.read_text()
