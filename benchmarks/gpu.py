"""The GPU measurements in one command: packed pairs per device, TF32/bf16, and weak scaling over classes.

    python benchmarks/gpu.py --out runs/gpu                      # on a CUDA device: about 5-8 minutes
    python benchmarks/gpu.py --device cpu --quick --out /tmp/gpu # the same code on the CPU in seconds (the test)

1. packing ladder: K = 1, 10, 100, 1,000 pairs on one device (paper arch, width 1, batch 64, 32x32x1,
   ns loss), one pack of K against one pair at a time (looped, for K <= 100), each with TF32 matmuls
   on and off, and with bf16 autocast: img/s and peak device memory per pair;
2. weak scaling: 10, 100, 1,000 classes on one device at fixed work per pair (one adversarial step
   of batch 64 each): seconds per iteration of the whole fleet, packed, and per pair-step;
3. the loop around the step (`loop_overhead.py`): K = 10, 100, 1,000 packed toy-MLP pairs and 100 conv
   pairs trained by the whole `train()` loop, time per iteration against `executor.step` alone.

Every figure is the fastest of `--steps` timed steps after one warm-up step. Writes `gpu.json` and
`gpu.md` (the Markdown tables docs/packing.md takes) to `--out`; a case that runs out of memory is
reported as such and the sweep goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from ganfleet.packing import PackPlan
from ganfleet.packing.choice import executor
from loop_overhead import markdown as loop_markdown
from loop_overhead import measure as loop_measure
from packing import BATCH, make_pairs


@contextlib.contextmanager
def precision(device: torch.device, mode: str) -> Iterator[None]:
    """fp32 (TF32 off), tf32 (TF32 matmuls and convolutions), or bf16 (autocast) for the block."""
    if device.type != "cuda":
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "bf16"):
            yield
        return
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = mode == "tf32"
    try:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == "bf16"):
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def fastest_step(step: Callable[[], None], device: torch.device, steps: int) -> float:
    """Seconds of the fastest of `steps` calls of `step` after one warm-up call."""

    def timed() -> float:
        start = time.perf_counter()
        step()
        torch.zeros((), device=device).item()  # waits for the device's queued work
        return time.perf_counter() - start

    timed()
    return min(timed() for _ in range(steps))


def measure(k: int, packed: bool, mode: str, width: float, device: torch.device, steps: int) -> dict:
    """img/s and peak memory per pair of K pairs stepped packed or one at a time under `mode`."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device) if device.type == "cuda" else 0
    try:
        pairs, rule = make_pairs(k, width, device)
        run = executor(PackPlan(k if packed else None, channels_last=True))
        with precision(device, mode):
            seconds = fastest_step(lambda: run.step(pairs, rule), device, steps)
    except torch.OutOfMemoryError:
        return {"k": k, "packed": packed, "mode": mode, "error": "out of memory"}
    peak = (torch.cuda.max_memory_allocated(device) - base) / k if device.type == "cuda" else None
    return {
        "k": k,
        "packed": packed,
        "mode": mode,
        "seconds_per_step": seconds,
        "img_per_s": k * BATCH / seconds,
        "peak_bytes_per_pair": peak,
    }


def ladder(args: argparse.Namespace, device: torch.device) -> list[dict]:
    rows = []
    for k in args.sizes:
        for packed in (False, True):
            if not packed and k > args.loop_limit:
                continue
            for mode in args.modes:
                rows.append(measure(k, packed, mode, args.width, device, args.steps))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def weak_scaling(args: argparse.Namespace, device: torch.device) -> list[dict]:
    rows = []
    for k in args.classes:
        row = measure(k, True, "tf32" if device.type == "cuda" else "fp32", args.width, device, args.steps)
        if "seconds_per_step" in row:
            row["seconds_per_pair_step"] = row["seconds_per_step"] / k
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def markdown(ladder_rows: list[dict], scaling_rows: list[dict], header: str) -> str:
    lines = [header, "", "| K pairs | stepped | precision | img/s | peak MiB per pair |", "|---|---|---|---|---|"]
    for r in ladder_rows:
        stepped = "one pack" if r["packed"] else "one at a time"
        if "error" in r:
            lines.append(f"| {r['k']} | {stepped} | {r['mode']} | {r['error']} | |")
            continue
        peak = "-" if r["peak_bytes_per_pair"] is None else f"{r['peak_bytes_per_pair'] / 2**20:.1f}"
        lines.append(f"| {r['k']} | {stepped} | {r['mode']} | {r['img_per_s']:.0f} | {peak} |")
    lines += [
        "",
        "| classes (pairs) | s per iteration (packed) | ms per pair-step | vs the smallest |",
        "|---|---|---|---|",
    ]
    first = next((r["seconds_per_step"] for r in scaling_rows if "seconds_per_step" in r), None)
    for r in scaling_rows:
        if "error" in r:
            lines.append(f"| {r['k']} | {r['error']} | | |")
            continue
        lines.append(
            f"| {r['k']} | {r['seconds_per_step']:.3f} | {r['seconds_per_pair_step'] * 1e3:.2f} | "
            f"{r['seconds_per_step'] / first:.1f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    p.add_argument("--device", default="cuda")
    p.add_argument("--out", required=True, help="folder for gpu.json and gpu.md")
    p.add_argument("--quick", action="store_true", help="tiny sizes and width: a check that the script runs")
    p.add_argument("--steps", type=int, default=3)
    args = p.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device here (use --device cpu --quick to check the script)")
    args.sizes, args.classes, args.width, args.loop_limit = (
        ([1, 4], [2, 8], 0.0625, 4) if args.quick else ([1, 10, 100, 1000], [10, 100, 1000], 1.0, 100)
    )
    args.loop_cases = (
        [("mlp", 4), ("conv", 2)] if args.quick else [("mlp", 10), ("mlp", 100), ("mlp", 1000), ("conv", 100)]
    )
    args.loop_steps = 8 if args.quick else 40
    args.modes = ["fp32", "bf16"] if device.type != "cuda" else ["fp32", "tf32", "bf16"]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    header = (
        f"# packed pairs on {name} (paper arch, width {args.width}, batch {BATCH}, 32x32x1, ns; "
        f"torch {torch.__version__}, fastest of {args.steps} steps)"
    )
    ladder_rows, scaling_rows = ladder(args, device), weak_scaling(args, device)
    loop_rows = []
    for kind, k in args.loop_cases:
        loop_rows.append(loop_measure(kind, k, args.loop_steps, args.loop_steps // 4, args.device))
        print(json.dumps(loop_rows[-1]), file=sys.stderr, flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    record = {"device": name, "ladder": ladder_rows, "weak_scaling": scaling_rows, "loop": loop_rows}
    (out / "gpu.json").write_text(json.dumps(record, indent=1))
    text = markdown(ladder_rows, scaling_rows, header) + "\n" + loop_markdown(loop_rows, args.device) + "\n"
    (out / "gpu.md").write_text(text)
    print((out / "gpu.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
