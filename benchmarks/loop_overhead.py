"""The training loop's own cost: time per iteration of the whole `train()` loop against `executor.step` alone.

    python benchmarks/loop_overhead.py                          # K = 10, 100, 1,000 packed MLP pairs; 100 conv pairs
    python benchmarks/loop_overhead.py --device cuda            # the same on a GPU (benchmarks/gpu.py runs it too)
    python benchmarks/loop_overhead.py --quick                  # tiny sizes: a check that the script runs (the test)

Each case trains K class pairs (one pack of all K, `train.pack=K`) with `ganfleet.train.train` on synthetic
data, logging a tick every 10 iterations, checkpointing only at the end and drawing no grid before it. The
executor's `step` is timed inside the run (the device synchronised around it), so the loop's time outside
the step is `iteration - step`: the bookkeeping per iteration (tick statistics, the health watch, the clock,
the maintenance block, the heartbeat). The same pairs' `executor.step` is then timed in a bare loop. Every
figure is the median over the timed iterations after `--warmup` of them (the conv case runs a third of `--steps`:
its iterations take seconds); the thread count is printed.

Cases: `mlp` (the toy 4-layer MLPs, 2-D points, width 0.0625: 32 hidden units, so the step itself is small and the
bookkeeping shows) and `conv` (the dcgan architecture at width 0.125, 32x32 grey images).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import ganfleet.train.loop as loop_module
from ganfleet.config import RunConfig, apply_values
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.train import train


def synthetic_dataset(kind: str, k: int, per_class: int) -> ClassPartitionedDataset:
    """K classes of `per_class` 2-D points (mlp) or 32x32 grey images (conv)."""
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(k).repeat_interleave(per_class)
    if kind == "mlp":
        centres = torch.randn(k, 2, generator=gen) * 4
        samples = centres[labels] + 0.1 * torch.randn(k * per_class, 2, generator=gen)
    else:
        samples = torch.randint(0, 256, (k * per_class, 1, 32, 32), dtype=torch.uint8, generator=gen)
    names = [f"class-{i:04d}" for i in range(k)]
    return ClassPartitionedDataset(samples.contiguous(), labels, names, f"synthetic {kind}")


def case_config(kind: str, k: int, steps: int, out: Path, device: str) -> RunConfig:
    values = {
        "data.name": "toy" if kind == "mlp" else "digits",
        "model.arch": "mlp" if kind == "mlp" else "dcgan",
        "model.width": 0.0625 if kind == "mlp" else 0.125,
        "train.strategy": "class-parallel",
        "train.batch_size": 64,
        "train.pack": str(k),
        "train.device": device,
        "budget.steps": steps,
        "cadence.log_every": 10,
        "cadence.grid_every": 0,
        "cadence.checkpoint_every": 0,
    }
    return apply_values(RunConfig(out=str(out)), values)


class StepTimer:
    """Wraps an executor: the seconds of each `step` call, the device synchronised before and after."""

    def __init__(self, inner, device: torch.device) -> None:
        self.inner, self.device, self.rule = inner, device, None
        self.seconds: list[float] = []
        self.starts: list[float] = []

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def step(self, due, rule):
        self.rule = rule
        self._sync()
        start = time.perf_counter()
        out = self.inner.step(due, rule)
        self._sync()
        self.starts.append(start)
        self.seconds.append(time.perf_counter() - start)
        return out

    def sync(self) -> None:
        self.inner.sync()


def measure(kind: str, k: int, steps: int, warmup: int, device: str) -> dict:
    """Median seconds per iteration of the loop, of the step inside it, and of the step in a bare loop."""
    dataset = synthetic_dataset(kind, k, per_class=256)
    timers: list[StepTimer] = []
    original = loop_module.build_executor

    def timed_executor(*args, **kwargs):
        executor, line = original(*args, **kwargs)
        timers.append(StepTimer(executor, torch.device(device if device != "auto" else "cpu")))
        return timers[-1], line

    loop_module.build_executor = timed_executor  # the benchmark's probe: the loop itself is unchanged
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = case_config(kind, k, steps, Path(tmp) / "run", device)
            train(config, progress=False, dataset=dataset)
    finally:
        loop_module.build_executor = original
    timer = timers[0]
    # iteration i = from the start of step i to the start of step i + 1 (all the loop does between them)
    iterations = [b - a for a, b in zip(timer.starts[warmup:-1], timer.starts[warmup + 1 :])]
    inside = timer.seconds[warmup:-1]
    bare = bare_steps(timer, steps, warmup)
    loop_s, step_s = statistics.median(iterations), statistics.median(inside)
    mean_overhead = statistics.fmean(it - s for it, s in zip(iterations, inside))
    return {
        "case": kind,
        "k": k,
        "iterations": len(iterations),
        "loop_s": loop_s,
        "step_in_loop_s": step_s,
        "outside_step_s": mean_overhead,
        "outside_share": mean_overhead / statistics.fmean(iterations),
        "bare_step_s": bare,
        "loop_vs_bare": loop_s / bare,
    }


def bare_steps(timer: StepTimer, steps: int, warmup: int) -> float:
    """Median seconds of the same executor's `step` on fresh copies of the pairs' budgets, in a plain loop."""
    executor = timer.inner
    pairs = [p for pack in getattr(executor, "packs", []) for p in pack.pairs]
    if not pairs:
        return float("nan")
    for p in pairs:
        p.target_steps = p.step + steps
    seconds = []
    for _ in range(steps):
        timer._sync()
        start = time.perf_counter()
        executor.step(pairs, timer.rule)
        timer._sync()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds[warmup:])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    p.add_argument("--device", default="cpu")
    p.add_argument("--steps", type=int, default=60, help="iterations per case")
    p.add_argument("--warmup", type=int, default=10, help="iterations not timed at the start of each case")
    p.add_argument("--quick", action="store_true", help="K = 4 and 16 MLP pairs, 4 conv pairs, 12 steps")
    p.add_argument("--out", help="also write the rows as JSON to this file")
    args = p.parse_args(argv)
    cases = (
        [("mlp", 4), ("mlp", 16), ("conv", 4)]
        if args.quick
        else [("mlp", 10), ("mlp", 100), ("mlp", 1000), ("conv", 100)]
    )
    steps, warmup = (12, 2) if args.quick else (args.steps, args.warmup)
    print(f"torch {torch.__version__}, device {args.device}, {torch.get_num_threads()} threads", file=sys.stderr)
    rows = []
    for kind, k in cases:
        n = steps if kind == "mlp" or args.quick else max(warmup + 5, steps // 3)  # a conv iteration takes seconds
        rows.append(measure(kind, k, n, warmup, args.device))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(markdown(rows, args.device))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def markdown(rows: list[dict], device: str) -> str:
    lines = [
        f"| case ({device}) | K pairs | iteration ms | step in loop ms | outside the step ms | outside share | "
        "bare step ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['k']} | {r['loop_s'] * 1e3:.2f} | {r['step_in_loop_s'] * 1e3:.2f} | "
            f"{r['outside_step_s'] * 1e3:.2f} | {100 * r['outside_share']:.1f} % | {r['bare_step_s'] * 1e3:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
