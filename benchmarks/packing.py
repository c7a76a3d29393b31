"""Packed vs looped pair training on one device: img/s, peak memory, layouts, bytes per pair.

    python benchmarks/packing.py                                   # CPU: K = 1, 10, 100; paper arch, width 1
    python benchmarks/packing.py --device cuda                    # K = 1, 10, 100, 1000
    python benchmarks/packing.py --width 0.25 --sizes 1,10 --steps 2   # a quick look

Prints three Markdown tables (paper architecture, batch 64, 32x32x1 images,
ns loss, K classes of synthetic images):

1. packing: one training step of K pairs, looped (`adversarial_step` per
   pair, what `--pack off` runs), packed (one pack of K, `--pack K`) and in
   packs of one (`--pack 1`: the packed code in channels_last, one pair at a
   time); img/s and peak memory, each (path, K) in a fresh subprocess so peaks do not mix:
   peak RSS growth over the process's RSS before the pairs were built on CPU,
   `torch.cuda.max_memory_allocated` growth on CUDA. speed-up = packed / looped.
2. layouts: forward + backward of G and D for K pairs (no optimiser): a loop
   over pairs in NCHW and channels_last, grouped convolutions in NCHW and
   channels_last (the packed modules), and torch.func.vmap over stacked
   parameters (functional_call).
3. memory: bytes per pair (benchmarks/pair_memory.py) and how many pairs fit in 16
   and 80 GiB.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.func import functional_call, stack_module_state, vmap

from ganfleet.config import RunConfig, apply_values
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.models import ModelSpec, build_pair, pack_networks
from ganfleet.packing import PackPlan, PairPack
from ganfleet.packing.choice import seconds_per_pair_step
from ganfleet.pairs import adversarial_step, make_pair, step_rule
from ganfleet.strategies import get_strategy
from pair_memory import GIB, measure_pair_memory

BATCH, SIDE, PER_CLASS = 64, 32, 128


def synthetic_dataset(n_classes: int) -> ClassPartitionedDataset:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n_classes * PER_CLASS, 1, SIDE, SIDE), dtype=torch.uint8, generator=g)
    y = torch.arange(n_classes).repeat_interleave(PER_CLASS)
    return ClassPartitionedDataset(x, y, [str(k) for k in range(n_classes)], "synthetic")


def config_for(width: float, device: str) -> RunConfig:
    return apply_values(
        RunConfig(), {"model.arch": "paper", "model.width": width, "train.batch_size": BATCH, "train.device": device}
    )


def make_pairs(n: int, width: float, device: torch.device):
    dataset = synthetic_dataset(n)
    config = config_for(width, str(device))
    return [make_pair(config, dataset, m, device) for m in get_strategy("class-parallel").members(dataset)], step_rule(
        config
    )


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def measure_one(path: str, n: int, width: float, steps: int, device: torch.device) -> dict:
    """img/s and peak memory growth of `path` (loop, packed, single) for `n` pairs (run in its own process)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
    else:
        base = rss_bytes()
    pairs, rule = make_pairs(n, width, device)
    plan = {"loop": PackPlan(None), "packed": PackPlan(n, True), "single": PackPlan(1, True)}[path]
    seconds = seconds_per_pair_step(plan, pairs, rule, steps)
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(device) - base
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    return {"img_per_s": BATCH * rule.n_critic / seconds, "peak_bytes": peak}


def measure_in_subprocess(path: str, n: int, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--one",
        f"{path},{n}",
        "--width",
        str(args.width),
        "--steps",
        str(args.steps),
        "--device",
        args.device,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def packing_table(args: argparse.Namespace) -> None:
    print(
        "| K pairs | looped img/s | packed (1 pack of K) img/s | speed-up | packs of 1 img/s | speed-up "
        "| looped peak MiB | packed peak MiB | packs of 1 peak MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        loop, packed, single = (measure_in_subprocess(path, n, args) for path in ("loop", "packed", "single"))
        speed = [f"{r['img_per_s']:.0f} | {r['img_per_s'] / loop['img_per_s']:.2f}" for r in (packed, single)]
        peaks = " | ".join(f"{r['peak_bytes'] / 2**20:.0f}" for r in (loop, packed, single))
        print(f"| {n} | {loop['img_per_s']:.0f} | {speed[0]} | {speed[1]} | {peaks} |", flush=True)


def layout_variants(n: int, width: float, device: torch.device) -> dict[str, Callable[[], None]]:
    """Forward + backward of G and D for n pairs, one callable per layout."""
    spec = ModelSpec("paper", (1, SIDE, SIDE), 100, width)
    nets = [tuple(m.to(device) for m in build_pair(spec, k)) for k in range(n)]
    z = torch.randn(n, BATCH, 100, device=device)

    def loop(channels_last: bool) -> Callable[[], None]:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        pairs = [(copy.deepcopy(g).to(memory_format=fmt), copy.deepcopy(d).to(memory_format=fmt)) for g, d in nets]

        def run() -> None:
            for k, (g, d) in enumerate(pairs):
                d(g(z[k]).contiguous(memory_format=fmt)).sum().backward()

        return run

    def packed(channels_last: bool) -> Callable[[], None]:
        g = pack_networks([g for g, _ in nets], channels_last)
        d = pack_networks([d for _, d in nets], channels_last)
        return lambda: d(g(z)).sum().backward()

    def vmapped() -> Callable[[], None]:
        (gp, gb), (dp, db) = (stack_module_state([pair[i] for pair in nets]) for i in (0, 1))
        g0, d0 = (copy.deepcopy(nets[0][i]).to("meta") for i in (0, 1))

        def one(gp_, gb_, dp_, db_, z_):
            return functional_call(d0, (dp_, db_), (functional_call(g0, (gp_, gb_), (z_,)),))

        step = vmap(one, randomness="different")
        return lambda: step(gp, gb, dp, db, z).sum().backward()

    return {
        "loop NCHW": loop(False),
        "loop channels_last": loop(True),
        "grouped NCHW": packed(False),
        "grouped channels_last": packed(True),
        "vmap(functional_call)": vmapped(),
    }


def layouts_table(args: argparse.Namespace, device: torch.device) -> None:
    n = args.layout_k
    print(f"| layout (K = {n}, forward + backward of G and D) | ms per pair | vs loop NCHW |")
    print("|---|---|---|")
    reference = None
    for name, run in layout_variants(n, args.width, device).items():
        run()
        times = []
        for _ in range(args.steps):  # the fastest repetition, as seconds_per_pair_step
            start = time.perf_counter()
            run()
            torch.zeros((), device=device).item()
            times.append(time.perf_counter() - start)
        ms = min(times) / n * 1e3
        reference = reference or ms
        print(f"| {name} | {ms:.1f} | {reference / ms:.2f}x |", flush=True)


def memory_table(args: argparse.Namespace, device: torch.device) -> None:
    pairs, rule = make_pairs(4, args.width, device)
    single = measure_pair_memory(
        (pairs[0].generator, pairs[0].discriminator),
        (pairs[0].opt_g, pairs[0].opt_d),
        lambda: adversarial_step(pairs[0], rule),
    )
    pack = PairPack(pairs[1:], channels_last=True)
    packed = measure_pair_memory(
        (pack.generator, pack.discriminator), (pack.opt_g, pack.opt_d), lambda: adversarial_step(pack, rule), n_pairs=3
    )
    print(
        "| per pair | weights | gradients | Adam | activations (batch 64) | total | pairs in 16 GiB | pairs in 80 GiB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, m, total, is_packed in (
        ("looped", single, single.total, False),
        ("packed (+ own copy)", packed, packed.packed_total, True),
    ):
        mib = [f"{v / 2**20:.1f} MiB" for v in (m.weights, m.gradients, m.optimizer, m.activations, total)]
        print(
            f"| {name} | {' | '.join(mib)} | {m.pairs_in(16 * GIB, is_packed)} | {m.pairs_in(80 * GIB, is_packed)} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="pair counts K, comma-separated (default 1,10,100; on cuda also 1000)")
    parser.add_argument("--width", type=float, default=1.0, help="model width (1.0 = the paper)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step; the fastest counts")
    parser.add_argument("--layout-k", type=int, default=10, help="pairs in the layout comparison")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tables", default="packing,layouts,memory", help="which tables to print")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # "path,K": measure one case and print JSON (subprocess)
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.one:
        path, n = args.one.split(",")
        print(json.dumps(measure_one(path, int(n), args.width, args.steps, device)))
        return
    args.sizes = [int(s) for s in (args.sizes or ("1,10,100,1000" if device.type == "cuda" else "1,10,100")).split(",")]
    tables = args.tables.split(",")
    print(
        f"# packed vs looped pairs (paper arch, width {args.width}, batch {BATCH}, {SIDE}x{SIDE}x1, ns, {device}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads)\n"
    )
    if "packing" in tables:
        packing_table(args)
        print()
    if "layouts" in tables:
        layouts_table(args, device)
        print()
    if "memory" in tables:
        memory_table(args, device)


if __name__ == "__main__":
    main()
