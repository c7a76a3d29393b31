"""What training shows: one plain line per tick off a terminal, the bar on one, the ETA, the plan and its resolved
config."""

from __future__ import annotations

import io
from pathlib import Path

from ganfleet.config import apply_values
from ganfleet.train import plan_run
from ganfleet.train.estimate import plan_summary, resolved_config
from ganfleet.train.loop import evaluations_between
from ganfleet.train.progress import Progress, format_duration, format_kimg, loss_summary
from ganfleet.train.ticks import TickRecord
from tests.conftest import tiny_config

PAIRS = {"class-0000": {"d_loss": 1.0, "g_loss": 0.7}, "class-0001": {"d_loss": 1.4, "g_loss": 0.9}}


def record(step: int, last_step: int, kimg: float) -> TickRecord:
    mean = {"d_loss": 1.2, "g_loss": 0.8}
    return TickRecord(step, 1.0, 412.3, mean, PAIRS, images=0, last_step=last_step, kimg=kimg)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_each_tick_is_one_plain_line() -> None:
    stream = io.StringIO()
    progress = Progress(total=40, desc="class-parallel x2", enabled=True, stream=stream)
    assert progress.plain
    progress.begin()
    progress.update(10)
    progress.write_tick(record(5, 20, 0.64))
    progress.update(10)
    progress.write_tick(record(10, 20, 1.28))
    progress.close()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and len(lines) == 2
    assert lines[0].startswith(
        "tick 1   step 5/20   kimg 0.640   img/s 412   d 1.200 [1.000..1.400]   g 0.800 [0.700..0.900]   eta "
    )


def test_on_a_terminal_the_bar_and_one_eta_line() -> None:
    stream = Terminal()
    progress = Progress(total=40, desc="x", enabled=True, stream=stream)
    assert not progress.plain
    progress.update(10)
    progress.write_tick(record(5, 20, 0.64))
    progress.write_tick(record(5, 20, 0.64))
    progress.close()
    assert stream.getvalue().count("eta: ") == 1 and "pair-step" in stream.getvalue()


def test_the_eta_counts_the_evaluations_still_to_come(monkeypatch) -> None:
    """Training pace and evaluation time apart: 10 s for 10 of 40 pair-steps, then a 20 s evaluation of 3."""
    now = [0.0]
    monkeypatch.setattr("ganfleet.train.progress.time.perf_counter", lambda: now[0])
    progress = Progress(total=40, desc="x", enabled=True, stream=io.StringIO(), evaluations=3)
    progress.begin()
    now[0] = 10.0
    progress.update(10)
    assert progress.eta_text() == "30s + 3 evaluation(s)"  # none timed yet: said, not guessed
    now[0] = 30.0
    progress.evaluated(20.0)
    assert progress.eta_seconds() == 30.0 + 2 * 20.0


def test_a_slow_first_tick_gets_an_early_eta(monkeypatch) -> None:
    now = [0.0]
    monkeypatch.setattr("ganfleet.train.progress.time.perf_counter", lambda: now[0])
    stream = Terminal()
    progress = Progress(total=100, desc="x", enabled=True, stream=stream)
    progress.begin()
    now[0] = 5.0
    progress.update(1)
    assert "eta: " not in stream.getvalue()
    now[0] = 31.0
    progress.update(1)
    progress.write_tick(record(5, 20, 0.64))  # the first tick says nothing more
    progress.close()
    assert stream.getvalue().count("eta: ") == 1 and "at the pace of the first steps" in stream.getvalue()


def test_evaluations_between_counts_each_multiple_and_the_end() -> None:
    assert evaluations_between(0, 10, 4) == 3  # 4, 8, 10
    assert (
        evaluations_between(4, 8, 4) == 1 and evaluations_between(0, 10, 0) == 0 and evaluations_between(5, 5, 2) == 0
    )


def test_disabled_progress_prints_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(total=4, desc="x", enabled=False, stream=stream)
    progress.note("plan: ...")
    progress.write_tick(record(1, 2, 0.1))
    progress.close()
    assert stream.getvalue() == ""


def test_formats() -> None:
    assert (format_duration(9.4), format_duration(252), format_duration(3725)) == ("9s", "4m12s", "1h02m")
    assert (format_kimg(0.128), format_kimg(6.4), format_kimg(96), format_kimg(1234)) == (
        "0.128",
        "6.40",
        "96.0",
        "1,234",
    )
    assert loss_summary({"a": {"d_loss": 0.5}}, "d_loss") == "0.500"


def test_the_plan_and_the_resolved_config(tiny_images, tmp_path: Path) -> None:
    config = apply_values(
        tiny_config(tmp_path / "r"), {"budget.steps": None, "budget.epochs": 2.0, "model.arch": "auto"}
    )
    plan = plan_run(config, tiny_images)
    line = plan_summary(config, plan, "cpu")
    assert line.startswith(
        "plan: 3 pair(s) (class-parallel, paper at width 0.125, on cpu), 3..5 steps each: 12 pair-steps"
    )
    resolved = resolved_config(config, plan)
    assert (resolved.model.arch, resolved.model.d_norm, resolved.model.d_dropout) == ("paper", "batch", 0.25)
    assert (resolved.loss.n_critic, resolved.train.device, resolved.data.image_size) == (1, "cpu", 32)
    assert isinstance(resolved.train.threads, int) and resolved.train.threads >= 1
    wide = apply_values(config, {"model.width": 1.0})
    assert "--preset cpu" in plan_summary(wide, plan_run(wide, tiny_images), "cpu")
