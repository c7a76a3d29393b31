"""torch.compile of a pair's networks against eager mode: step time and how far the weights drift apart.

    python benchmarks/compile.py                      # width 0.25 and 1, recommended recipe, 20 timed steps, best of 3
    python benchmarks/compile.py --widths 0.25 --steps 10 --repeats 2 --device cuda

What `train.compile` does: the default execution (packs of 1 in channels_last) with each
pack's generator and discriminator compiled in place (`nn.Module.compile`, inductor); the
adversarial step around them (optimisers, seeded draws, bookkeeping) stays eager. Two
pairs, from the same weights and seeds, eager and compiled, timed interleaved after
warm-up steps that include the compilation (the first network's, and the cost of the
second pair's, reported apart); the best ms per pair-step of `--repeats` counts. Drift:
the largest weight difference after 4 steps in float64, against the 1e-5 the
packed == looped tests allow.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from ganfleet.config import apply_values
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.devices import resolve_device
from ganfleet.packing import PackedPairs
from ganfleet.pairs import Pair, make_pair, step_rule
from ganfleet.recipes import recipe_config
from ganfleet.strategies import get_strategy
from throughput import synthetic_dataset  # benchmarks/ is on the path of a script run from it


def pairs_of(config, data: ClassPartitionedDataset, device: torch.device, dtype: torch.dtype) -> list[Pair]:
    return [make_pair(config, data, m, device).to_dtype(dtype) for m in get_strategy("class-parallel").members(data)]


def timed(executor, pairs: list[Pair], rule, steps: int, device: torch.device) -> float:
    """ms per pair-step of `steps` steps of every pair."""
    start = time.perf_counter()
    for _ in range(steps):
        executor.step(pairs, rule)
    torch.zeros((), device=device).item()
    return (time.perf_counter() - start) * 1e3 / (steps * len(pairs))


def drift(a: list[Pair], b: list[Pair]) -> float:
    """The largest absolute difference of any weight of the two runs' pairs."""
    return max(
        (x - y).abs().max().item()
        for p, q in zip(a, b)
        for net in ("generator", "discriminator")
        for x, y in zip(getattr(p, net).state_dict().values(), getattr(q, net).state_dict().values())
    )


def measure(width: float, steps: int, repeats: int, device: torch.device) -> dict:
    """Default execution (packs of 1, channels_last) eager vs compiled on 2 pairs, and the float64 drift."""
    config = apply_values(
        recipe_config("recommended"), {"model.width": width, "train.device": str(device), "out": "unused"}
    )
    data = synthetic_dataset(classes=2, per_class=320)
    rule = step_rule(config, data.sample_shape)
    eager, compiled = PackedPairs(1, True), PackedPairs(1, True, compile=True)
    e_pairs, c_pairs = pairs_of(config, data, device, torch.float32), pairs_of(config, data, device, torch.float32)
    start = time.perf_counter()
    compiled.step(c_pairs[:1], rule)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    compiled.step(c_pairs, rule)  # the second pair's networks: same code, new guards
    further_s = time.perf_counter() - start
    eager.step(e_pairs[:1], rule), eager.step(e_pairs, rule)
    e, c = [], []
    for _ in range(repeats):
        e.append(timed(eager, e_pairs, rule, steps, device))
        c.append(timed(compiled, c_pairs, rule, steps, device))
    e64, c64 = pairs_of(config, data, device, torch.float64), pairs_of(config, data, device, torch.float64)
    runs = (PackedPairs(1, True), PackedPairs(1, True, compile=True))
    for _ in range(4):
        runs[0].step(e64, rule), runs[1].step(c64, rule)
    runs[0].sync(), runs[1].sync()
    return {
        "width": width,
        "eager_ms": min(e),
        "compiled_ms": min(c),
        "speedup": min(e) / min(c),
        "compile_s": first_s,
        "further_s": further_s,
        "drift64": drift(e64, c64),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    p.add_argument("--widths", type=float, nargs="+", default=[0.25, 1.0])
    p.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    device = resolve_device(args.device, "--device")
    print(
        "# torch.compile of G and D vs eager (recommended recipe, batch 64, 32x32x1; "
        f"torch {torch.__version__}, {device}, {os.cpu_count()} cores, {torch.get_num_threads()} threads, "
        f"best of {args.repeats} x {args.steps} steps)\n"
    )
    print(
        "| width | eager ms/pair-step | compiled ms/pair-step | speed-up | first compile s | next pair s "
        "| float64 drift, 4 steps |"
    )
    print("|---|---|---|---|---|---|")
    for width in args.widths:
        r = measure(width, args.steps, args.repeats, device)
        print(
            f"| {width:g} | {r['eager_ms']:.1f} | {r['compiled_ms']:.1f} | {r['speedup']:.2f} | {r['compile_s']:.0f} | "
            f"{r['further_s']:.1f} | {r['drift64']:.1e} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
