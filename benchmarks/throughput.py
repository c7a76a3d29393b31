"""Training throughput of each strategy vs a bare hand-written loop of the same model.

    python benchmarks/throughput.py [--steps 60] [--width 1.0] [--device cpu]

For each strategy (gan, cgan, class-parallel with 10 pairs) the real trainer
runs on 10 classes of 32x32x1 images, batch 64, the paper architecture; its
steady-state img/s is read from the run's tick records. In the same process a
bare loop (the same networks and losses, pre-made batches, no streams, seeding,
logging or checkpoints) gives the reference. The ratio trainer/bare is the
trainer's overhead (1.0 = none). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganfleet.config import RunConfig, apply_values
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.models import ModelSpec, build_pair
from ganfleet.train import train

N_CLASSES, PER_CLASS, BATCH = 10, 640, 64


def synthetic_dataset() -> ClassPartitionedDataset:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (N_CLASSES * PER_CLASS, 1, 32, 32), dtype=torch.uint8, generator=g)
    y = torch.arange(N_CLASSES).repeat_interleave(PER_CLASS)
    return ClassPartitionedDataset(x, y, [str(k) for k in range(N_CLASSES)], "synthetic")


def bare_loop_img_per_s(width: float, steps: int, device: torch.device, conditional: bool) -> float:
    """img/s of a minimal D-then-G loop on fixed batches (the reference the trainer is compared with)."""
    spec = ModelSpec("paper", (1, 32, 32), 100, width, N_CLASSES if conditional else 0)
    g, d = (m.to(device) for m in build_pair(spec, 0))
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.rand(BATCH, 1, 32, 32, device=device) * 2 - 1
    labels = torch.randint(0, N_CLASSES, (BATCH,), device=device) if conditional else None

    def step() -> None:
        fake = g(torch.randn(BATCH, 100, device=device), labels)
        loss_d = 0.5 * (F.softplus(-d(real, labels)).mean() + F.softplus(d(fake.detach(), labels)).mean())
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.softplus(-d(fake, labels)).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    for _ in range(3):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return steps * BATCH / (time.perf_counter() - start)


def trainer_img_per_s(strategy: str, width: float, steps: int, device: torch.device, dataset: ClassPartitionedDataset) -> float:
    """Steady-state img/s of the real trainer: mean of the tick records after the first (warm-up) tick."""
    log_every = max(1, steps // 4)
    with tempfile.TemporaryDirectory() as tmp:
        config = apply_values(RunConfig(), {
            "model.arch": "paper", "model.width": width, "train.strategy": strategy,
            "budget.steps": steps, "cadence.log_every": log_every, "cadence.grid_every": 0,
            "cadence.checkpoint_every": 0, "train.device": str(device), "out": str(Path(tmp) / "run"),
        })
        train(config, progress=False, dataset=dataset)
        records = [json.loads(line) for line in (Path(tmp) / "run" / "metrics.jsonl").read_text().splitlines()]
    ticks = [r["img_per_s"] for r in records[1:]] or [records[0]["img_per_s"]]
    return sum(ticks) / len(ticks)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60, help="generator steps per pair measured")
    parser.add_argument("--width", type=float, default=1.0, help="model width (1.0 = the paper)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    dataset = synthetic_dataset()
    print(f"# trainer throughput vs a bare loop (paper arch, width {args.width}, batch {BATCH}, 32x32x1, {device}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads)\n")
    print("| strategy | pairs | trainer img/s | bare loop img/s | trainer / bare |")
    print("|---|---|---|---|---|")
    for strategy in ("gan", "cgan", "class-parallel"):
        bare = bare_loop_img_per_s(args.width, max(10, args.steps // 2), device, conditional=strategy == "cgan")
        ours = trainer_img_per_s(strategy, args.width, args.steps, device, dataset)
        pairs = N_CLASSES if strategy == "class-parallel" else 1
        print(f"| {strategy} | {pairs} | {ours:.0f} | {bare:.0f} | {ours / bare:.2f} |", flush=True)


if __name__ == "__main__":
    main()
