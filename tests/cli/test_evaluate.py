"""The `evaluate` and `classifier` commands: output, flags, and errors as one line with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

from ganfleet.cli import main


def test_evaluate_prints_the_report(env, cache, capsys, tmp_path: Path) -> None:
    assert (
        main(
            [
                "evaluate",
                str(env["class-parallel"]),
                "--n",
                "40",
                "--no-floor",
                "--quiet",
                "--metrics",
                "fid,is",
                "--classifier",
                str(env["classifier"]),
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| FID |" in out and "| IS (10 splits) |" in out and f"wrote {tmp_path / 'metrics.json'}" in out
    assert json.loads((tmp_path / "metrics.json").read_text())["n_generated"] == 40


def test_evaluate_off_a_terminal_says_each_stage_and_the_cas_training(env, cache, capsys, tmp_path: Path) -> None:
    """A batch job's log gets plain lines (no bar): every stage as it ends, the CAS classifier's steps."""
    argv = ["evaluate", str(env["class-parallel"]), "--n", "40", "--cas-n", "60", "--metrics", "fid,cas"]
    assert main([*argv, "--classifier", str(env["classifier"]), "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    for line in ("evaluate: generate done in", "evaluate: cas done in", "evaluate: floor cas done in"):
        assert line in err, err
    assert "classifier " in err and "step " in err and "\r" not in err


def test_train_takes_eval_every(tmp_path: Path, capsys) -> None:
    assert main(["train", "--data", "digits", "--eval-every", "500", "--set", "eval.n=1000", "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["eval"] == {"every": 500, "n": 1000, "classifier": None, "member": None}


def test_errors_are_one_line(env, cache, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GANFLEET_INCEPTION_WEIGHTS", raising=False)
    cases = [
        (["evaluate", "--quiet"], "give a run directory (or --real-baseline --data NAME)"),
        (["evaluate", str(env["gan"]), "--real-baseline", "--quiet"], "--real-baseline evaluates the data alone"),
        (
            ["evaluate", str(env["gan"]), "--features", "inception", "--quiet"],
            "needs the weights file pt_inception-2015-12-05-6726825d.pth",
        ),
        (["evaluate", str(env["root"] / "missing")], "manifest.json: missing"),
        (["classifier", "train", "--data", "toy"], "toy points need no classifier"),
        (["train", "--data", "digits", "--set", "eval.n=3", "--dry-run"], "eval.n: expected at least 10"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (argv, err)
