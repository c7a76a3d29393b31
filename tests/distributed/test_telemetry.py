"""Telemetry arithmetic on a fake clock: nested sections, idle share, img/s, the job summary."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganfleet.distributed.telemetry as telemetry_module
from ganfleet.distributed.telemetry import Telemetry, format_table, peak_rss_bytes, summarize
from ganfleet.train.ticks import TickRecord


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(telemetry_module.time, "perf_counter", fake)
    return fake


def test_nested_sections_charge_each_second_once(clock: FakeClock) -> None:
    t = Telemetry(rank=1, world_size=2, device=torch.device("cpu"))
    with t.timed("setup"):
        clock.now += 2.0
        with t.timed("wait"):  # setup waiting for other ranks is wait, not setup
            clock.now += 3.0
        clock.now += 1.0
    with t.timed("compute"):
        clock.now += 10.0
    clock.now += 4.0  # untracked (logging, Python)
    mean = {"d_loss": 0.5, "g_loss": 1.25}
    t.write_tick(TickRecord(7, 0.0, 123.45, mean, {}, images=640, pair_steps={"class-0001": 7}))
    record = t.snapshot()
    assert record["seconds"] == {
        "setup": 3.0,
        "pack": 0.0,
        "compute": 10.0,
        "checkpoint": 0.0,
        "grid": 0.0,
        "eval": 0.0,
        "wait": 3.0,
    }
    assert record["wall_s"] == 20.0
    assert record["idle_share"] == 3.0 / 20.0
    assert record["img_per_s"] == 640 / 20.0
    assert record["end_steps"] == {"class-0001": 7}
    assert record["progress"] == [{"iteration": 7, "time": 20.0, "img_per_s": 123.5, "d_loss": 0.5, "g_loss": 1.25}]
    assert "progress" not in t.snapshot(with_progress=False)


def test_summary_takes_the_slowest_rank_and_sums_images(clock: FakeClock) -> None:
    ranks = []
    for rank, (wall, wait, images) in enumerate([(10.0, 1.0, 1000), (8.0, 4.0, 600)]):
        t = Telemetry(rank, 2, torch.device("cpu"))
        with t.timed("wait"):
            clock.now += wait
        clock.now += wall - wait
        t.images = images
        ranks.append(t.snapshot())
        clock.now = 100.0
    summary = summarize(list(reversed(ranks)))
    assert [r["rank"] for r in summary["ranks"]] == [0, 1]
    assert (summary["wall_s"], summary["images"], summary["img_per_s"]) == (10.0, 1600, 160.0)
    assert summary["mean_idle_share"] == (0.1 + 0.5) / 2
    table = format_table(summary)
    assert table.splitlines()[2].startswith("| 0 | 0 | 10.0 |") and "| 50.0 |" in table.splitlines()[3]
    assert "2 rank(s): 10.0 s wall-clock, 1600 images, 160 img/s, mean idle share 30.0 %" in table


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_peak_rss_is_the_kernels_high_water_mark() -> None:
    block = torch.ones(32 * 2**20 // 4)  # 32 MiB, touched
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    vm_hwm = int(status["VmHWM"].split()[0]) * 1024
    assert abs(peak_rss_bytes() - vm_hwm) <= 2**20
    assert peak_rss_bytes() >= block.numel() * 4
