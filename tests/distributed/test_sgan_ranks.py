"""Distributed SGAN for real (torchrun, gloo, 2 ranks): the locals spread over the ranks, G_0/D_0 replicated
and all-reduced, against a one-process run; resume; a stop on one rank stops both at the same global step."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from ganfleet.cli import main
from ganfleet.rundir import RunDir
from ganfleet.rundir.checkpoint import list_checkpoints, read_checkpoint
from tests.distributed.test_torchrun import run, sigterm_rank_one
from tests.train.test_loop import assert_same_states, final_state

pytestmark = pytest.mark.slow

LOCALS = [f"class-{k:04d}" for k in range(8)]


def sgan_args(out: Path, *extra: str) -> list[str]:
    """SGAN on the 8-mode ring, one local pair per mode, toy MLPs of 32 units (no BatchNorm: see the test)."""
    return [
        "train",
        "--data",
        "toy",
        "--mixture",
        "ring8",
        "--set",
        "data.toy_per_class=24",
        "--width",
        "0.0625",
        "--batch-size",
        "16",
        "--strategy",
        "sgan",
        "--split-by-class",
        "--log-every",
        "2",
        "--grid-every",
        "0",
        "--checkpoint-every",
        "3",
        "--device",
        "cpu",
        "--quiet",
        "--out",
        str(out),
        *extra,
    ]


def assert_same_global_pair(one: Path, two: Path) -> None:
    """G_0, D_0 and G_0's Adam moments of a 2-rank run equal a one-process run's, up to rounding.

    Not bit for bit: one process adds the 8 locals' gradient contributions one after the other, two
    ranks add two partial sums of 4, so the float32 sums round differently (measured: at most 1.5e-8
    after 6 steps). The tolerance is 100 times that and far below one optimiser step (lr 2e-4; G_0
    moves by ~8e-4 in 3 steps), so a missing or doubled contribution, or replicas that drift apart,
    would fail it. (With BatchNorm
    after a biased layer, e.g. the dcgan architecture, that bias's gradient is pure rounding noise,
    which Adam scales up to steps of +-lr: those biases differ by up to about lr per step there.)
    """
    a, b = final_state(one, "global"), final_state(two, "global")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=1e-6, atol=1e-7, msg=key)


def global_records(metrics: Path) -> list[dict]:
    return [json.loads(line)["pairs"]["global"] for line in metrics.read_text().splitlines()]


def test_two_ranks_train_the_global_pair_of_one_process_and_resume(tmp_path: Path) -> None:
    assert main(sgan_args(tmp_path / "one", "--steps", "6")) == 0
    two = run([sys.executable, "-m", "ganfleet", *sgan_args(tmp_path / "two", "--steps", "6", "--nproc", "2")])
    assert two.returncode == 0, two.stderr[-3000:]
    assert "trained 9 pair(s) to step 6" in two.stdout

    run_two = RunDir(tmp_path / "two")
    launch = run_two.read_manifest()["launch"]
    assert launch["replicated"] == ["global"] and sorted(launch["ranks"]) == LOCALS
    assert sorted(launch["ranks"].values()) == [0] * 4 + [1] * 4  # equal budgets: 4 locals per rank
    assert_same_states(tmp_path / "one", run_two.path, LOCALS)  # the locals: bit for bit
    assert_same_global_pair(tmp_path / "one", run_two.path)
    early, late = (
        read_checkpoint(p, ("generator",))[0] for p in list_checkpoints(run_two.pair_dir("global"))
    )  # steps 3, 6
    assert max(float((late[k] - early[k]).abs().max()) for k in late) > 1e-4  # G_0 moves 300 times the tolerance
    # every rank logs the losses of the whole global step (means over all 8 locals), as one process does
    expected = global_records(tmp_path / "one" / "metrics.jsonl")
    for rank in ("rank-0000", "rank-0001"):
        logged = global_records(run_two.path / "ranks" / rank / "metrics.jsonl")
        assert len(logged) == len(expected) == 3
        for got, want in zip(logged, expected):
            torch.testing.assert_close(
                torch.tensor(list(got.values())), torch.tensor(list(want.values())), rtol=1e-5, atol=1e-6
            )

    resumed = run(
        [sys.executable, "-m", "ganfleet", *sgan_args(run_two.path, "--steps", "9", "--resume", "--nproc", "2")]
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    starts = {
        k: v for r in json.loads(run_two.telemetry_path.read_text())["ranks"] for k, v in r["start_steps"].items()
    }
    assert starts == dict.fromkeys(["global", *LOCALS], 6)
    assert main(sgan_args(tmp_path / "one9", "--steps", "9")) == 0
    assert_same_states(tmp_path / "one9", run_two.path, LOCALS)
    assert_same_global_pair(tmp_path / "one9", run_two.path)


def test_a_stop_on_one_rank_stops_both_at_the_same_global_step(tmp_path: Path) -> None:
    """Both ranks step G_0 together (one all-reduce per iteration): a stop must reach them at the same iteration,
    or the rank that goes on waits forever in the all-reduce the other never joins."""
    out = tmp_path / "run"
    stderr = sigterm_rank_one(sgan_args(out, "--steps", "5000", "--checkpoint-every", "5"), out, "global")
    rundir = RunDir(out)
    assert "ganfleet: interrupted: stopped by SIGTERM" in stderr  # rank 1
    assert "ganfleet: interrupted: stopped by another rank" in stderr  # rank 0, told in the lockstep round
    assert rundir.read_manifest()["status"] == "interrupted"
    steps = {m: int(list_checkpoints(rundir.pair_dir(m))[-1].stem.split("-")[1]) for m in ["global", *LOCALS]}
    assert 5 <= steps["global"] < 5000 and set(steps.values()) == {steps["global"]}, steps  # one iteration for all


def test_two_ranks_train_g0_against_messengers_and_d0_as_one_process(tmp_path: Path) -> None:
    """The variant's D_0 judges G_0's samples: still one contribution per local pair, summed over the ranks."""
    variant = ("--g0-against", "messengers-and-d0", "--steps", "6")
    assert main(sgan_args(tmp_path / "one", *variant)) == 0
    two = run([sys.executable, "-m", "ganfleet", *sgan_args(tmp_path / "two", *variant, "--nproc", "2")])
    assert two.returncode == 0, two.stderr[-3000:]
    assert_same_states(tmp_path / "one", tmp_path / "two", LOCALS)
    assert_same_global_pair(tmp_path / "one", tmp_path / "two")
