"""Where each rank's wall-clock goes, what it produced and how much memory it took (what Hopkins's dissertation
asks to measure).

Per rank: seconds in setup (data, networks, restore), pack (`--pack auto` timing its candidates), compute (training
steps), checkpoint (writing pair checkpoints), grid (sample grids), eval
(`--eval-every` metrics) and wait
(blocked on other ranks: the setup and final agreements and the heartbeat once
its own pairs are done); the idle share is wait / wall-clock. Also images
trained on, img/s over the rank's wall-clock, peak resident memory (and CUDA
max allocated on a GPU), the steps each pair started and ended at (a resumed
pair starts above 0), and progress per logging tick: mean losses by iteration.
Rank 0 gathers every rank's record into `telemetry.json` and prints `format_table`.
"""

from __future__ import annotations

import math
import os
import resource
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from ganfleet.errors import CheckpointError

CATEGORIES = ("setup", "pack", "compute", "checkpoint", "grid", "eval", "wait")


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class Telemetry:
    """One rank's timers and counters; `timed` sections nest, the inner one's time is not the outer one's."""

    def __init__(self, rank: int, world_size: int, device: torch.device, restart_count: int = 0) -> None:
        self.rank, self.world_size, self.device, self.restart_count = rank, world_size, device, restart_count
        self.start = time.perf_counter()
        self.seconds = dict.fromkeys(CATEGORIES, 0.0)
        self._open: list[list[Any]] = []  # stack of [category, since]
        self.images = 0
        self.start_steps: dict[str, int] = {}
        self.end_steps: dict[str, int] = {}
        self.progress: list[dict[str, float]] = []

    @contextmanager
    def timed(self, category: str) -> Iterator[None]:
        """Charge the time spent inside to `category` (pausing any enclosing section)."""
        now = time.perf_counter()
        if self._open:
            self.seconds[self._open[-1][0]] += now - self._open[-1][1]
        self._open.append([category, now])
        try:
            yield
        finally:
            now = time.perf_counter()
            name, since = self._open.pop()
            self.seconds[name] += now - since
            if self._open:
                self._open[-1][1] = now

    def write_tick(self, record: Any) -> None:
        """Keep a tick's progress point (iteration, time, img/s, mean losses) and the images and steps so far.

        `record` is the loop's `TickRecord` (ganfleet.train.ticks; this package sits below it).
        """
        self.images, self.end_steps = record.images, dict(record.pair_steps)
        point = {"iteration": record.step, "time": round(self.elapsed(), 3), "img_per_s": round(record.img_per_s, 1)}
        point.update({k: round(v, 5) for k, v in record.mean.items()})
        self.progress.append(point)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def snapshot(self, with_progress: bool = True) -> dict[str, Any]:
        """This rank's record so far, JSON-ready."""
        wall = self.elapsed()
        record: dict[str, Any] = {
            "rank": self.rank,
            "world_size": self.world_size,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "device": str(self.device),
            "threads": torch.get_num_threads(),
            "restart_count": self.restart_count,
            "wall_s": round(wall, 3),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "idle_share": round(self.seconds["wait"] / wall, 4) if wall > 0 else 0.0,
            "images": self.images,
            "img_per_s": round(self.images / wall, 1) if wall > 0 else 0.0,
            "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
            "start_steps": dict(self.start_steps),
            "end_steps": dict(self.end_steps),
        }
        if self.device.type == "cuda":
            record["cuda_max_allocated_mb"] = round(torch.cuda.max_memory_allocated(self.device) / 2**20, 1)
        if with_progress:
            record["progress"] = list(self.progress)
        return record


def summarize(ranks: list[dict[str, Any]]) -> dict[str, Any]:
    """The job's record: every rank's, plus totals (wall-clock of the slowest rank, summed images)."""
    wall = max(r["wall_s"] for r in ranks)
    images = sum(r["images"] for r in ranks)
    return {
        "world_size": len(ranks),
        "wall_s": wall,
        "images": images,
        "img_per_s": round(images / wall, 1) if wall > 0 else 0.0,
        "mean_idle_share": round(sum(r["idle_share"] for r in ranks) / len(ranks), 4),
        "ranks": sorted(ranks, key=lambda r: r["rank"]),
    }


def session_record(summary: dict[str, Any]) -> dict[str, Any]:
    """One training session of a run, condensed: wall-clock, images, img/s, ranks, when it ended."""
    return {
        "wall_s": summary["wall_s"],
        "images": summary["images"],
        "img_per_s": summary["img_per_s"],
        "world_size": summary["world_size"],
        "ended": summary.get("ended", time.strftime("%Y-%m-%dT%H:%M:%S")),
    }


def with_sessions(summary: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """`summary` with `sessions`: every earlier session of the run (from the previous telemetry.json) and this one.

    The top-level figures stay this session's; `training_totals` sums the sessions.
    """
    earlier = [] if previous is None else previous.get("sessions") or [session_record(previous)]
    return {**summary, "sessions": [*earlier, session_record(summary)]}


SESSION_FIELDS = ("wall_s", "images", "img_per_s", "world_size")


def check_telemetry(telemetry: dict[str, Any], where: str) -> dict[str, Any]:
    """A telemetry.json's content when its sessions (or its one session's top-level figures) are numbers >= 0;
    CheckpointError naming the file and the field otherwise."""
    sessions = telemetry.get("sessions")
    records = sessions if sessions is not None else [telemetry]
    if not isinstance(records, list) or not records:
        raise CheckpointError(f"{where}: sessions must be a non-empty list")
    for k, session in enumerate(records):
        if not isinstance(session, dict):
            raise CheckpointError(f"{where}: sessions[{k}] must be an object")
        for field in SESSION_FIELDS:
            value = session.get(field)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < math.inf:
                name = f"sessions[{k}].{field}" if sessions is not None else field
                raise CheckpointError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    return telemetry


def training_totals(telemetry: dict[str, Any]) -> dict[str, float]:
    """Seconds, images and img/s over the sessions of a run that trained (a resume with nothing left to do adds
    nothing)."""
    sessions = [s for s in telemetry.get("sessions") or [session_record(telemetry)] if s["images"] > 0]
    seconds, images = sum(s["wall_s"] for s in sessions), sum(s["images"] for s in sessions)
    return {
        "sessions": len(sessions),
        "wall_s": seconds,
        "images": images,
        "img_per_s": images / seconds if seconds else 0.0,
    }


def format_table(summary: dict[str, Any]) -> str:
    """A Markdown table, one row per rank, then the totals."""
    cuda = any("cuda_max_allocated_mb" in r for r in summary["ranks"])
    head = [
        "rank",
        "pairs",
        "wall s",
        "setup s",
        "pack s",
        "compute s",
        "ckpt s",
        "grid s",
        "eval s",
        "wait s",
        "idle %",
        "img/s",
        "peak RSS MB",
    ]
    head += ["CUDA max MB"] if cuda else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in summary["ranks"]:
        s = r["seconds"]
        row = [
            r["rank"],
            len(r["end_steps"]),
            f"{r['wall_s']:.1f}",
            f"{s['setup']:.1f}",
            f"{s.get('pack', 0.0):.1f}",
            f"{s['compute']:.1f}",
            f"{s['checkpoint']:.1f}",
            f"{s['grid']:.1f}",
            f"{s['eval']:.1f}",
            f"{s['wait']:.1f}",
            f"{100 * r['idle_share']:.1f}",
            f"{r['img_per_s']:.0f}",
            f"{r['peak_rss_mb']:.0f}",
        ]
        row += [f"{r.get('cuda_max_allocated_mb', 0):.0f}"] if cuda else []
        lines.append("| " + " | ".join(map(str, row)) + " |")
    lines.append(
        f"\n{summary['world_size']} rank(s): {summary['wall_s']:.1f} s wall-clock, {summary['images']} images, "
        f"{summary['img_per_s']:.0f} img/s, mean idle share {100 * summary['mean_idle_share']:.1f} %"
    )
    return "\n".join(lines)
