"""ganfleet's default class-parallel training against the script a user would write instead.

    python benchmarks/throughput.py                       # widths 1 and 0.25, 10 classes, best of 3, interleaved
    python benchmarks/throughput.py --widths 0.25 --steps 40 --repeats 2

The reference is the plain PyTorch script for class-parallel training: for each class, a
`torch.utils.data.DataLoader` (one worker, shuffling, per-sample transforms: uint8 -> float in
[-1, 1]) over that class's images, the paper's DC-GAN pair (the same networks ganfleet builds),
Adam 2e-4 (0.5, 0.999), the non-saturating loss, one pair trained after the other. ganfleet runs
`ganfleet.train.train` with its defaults (execution and threads chosen by the library) on the same
images. Both run in this process (the script's DataLoader worker is a second one), interleaved
(script, ganfleet, script, ...), and the best img/s of `--repeats` counts, so a busy neighbour
hurts both alike. Prints a Markdown table with the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from ganfleet.config import RunConfig, apply_values
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.models import ModelSpec, build_pair
from ganfleet.train import train

N_CLASSES, PER_CLASS, BATCH = 10, 640, 64


def synthetic_dataset(classes: int = N_CLASSES, per_class: int = PER_CLASS) -> ClassPartitionedDataset:
    """Random 32x32 grey uint8 images, `per_class` of each class (seeded): the cost of a step, not its quality."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (classes * per_class, 1, 32, 32), dtype=torch.uint8, generator=g)
    y = torch.arange(classes).repeat_interleave(per_class)
    return ClassPartitionedDataset(x, y, [str(k) for k in range(classes)], "synthetic")


class ClassImages(Dataset):
    """One class's uint8 images, each transformed on access as a torchvision-style pipeline would."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i].float().div(255).sub(0.5).div(0.5)  # ToTensor + Normalize(0.5, 0.5)


def script_img_per_s(dataset: ClassPartitionedDataset, width: float, steps: int) -> float:
    """img/s of the reference script: each class's pair for `steps` steps through its own DataLoader."""
    spec = ModelSpec("paper", dataset.sample_shape, 100, width)
    start, images = time.perf_counter(), 0
    for k in range(dataset.n_classes):
        g, d = build_pair(spec, k)
        opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
        loader = DataLoader(
            ClassImages(dataset.class_samples(k)),
            batch_size=BATCH,
            shuffle=True,
            drop_last=True,
            num_workers=1,
            persistent_workers=True,
        )
        done = 0
        while done < steps:
            for real in loader:
                fake = g(torch.randn(BATCH, 100))
                loss_d = 0.5 * (F.softplus(-d(real)).mean() + F.softplus(d(fake.detach())).mean())
                opt_d.zero_grad()
                loss_d.backward()
                opt_d.step()
                loss_g = F.softplus(-d(fake)).mean()
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
                done += 1
                images += BATCH
                if done == steps:
                    break
    return images / (time.perf_counter() - start)


def ganfleet_img_per_s(dataset: ClassPartitionedDataset, width: float, steps: int) -> tuple[float, str]:
    """img/s of `train` with its defaults (the whole run's wall-clock, as the script's), and how it executed."""
    with tempfile.TemporaryDirectory() as tmp:
        config = apply_values(
            RunConfig(),
            {
                "model.arch": "paper",
                "model.width": width,
                "budget.steps": steps,
                "cadence.log_every": steps,
                "cadence.grid_every": 0,
                "cadence.checkpoint_every": 0,
                "out": str(Path(tmp) / "run"),
            },
        )
        start = time.perf_counter()
        result = train(config, progress=False, dataset=dataset)
        seconds = time.perf_counter() - start
        execution = json.loads((Path(tmp) / "run" / "manifest.json").read_text())["execution"]
    return sum(
        result.steps.values()
    ) * BATCH / seconds, f"{execution['pack']}; {execution['threads']} thread(s): {execution['threads_reason']}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    p.add_argument("--widths", type=float, nargs="+", default=[1.0, 0.25])
    p.add_argument(
        "--steps",
        type=int,
        default=60,
        help="generator steps per pair at width 0.25 and below; a wider pair "
        "takes proportionally fewer (width 1: a quarter), so each measurement costs about the same",
    )
    p.add_argument("--repeats", type=int, default=3, help="interleaved repetitions; the best counts")
    args = p.parse_args(argv)
    dataset = synthetic_dataset()
    print(
        f"# ganfleet's default training vs a DataLoader script ({N_CLASSES} classes, paper arch, batch {BATCH}, "
        f"32x32x1, {args.steps} steps per pair; torch {torch.__version__}, {os.cpu_count()} cores, "
        f"{torch.get_num_threads()} threads at start, best of {args.repeats})\n"
    )
    print("| width | script img/s | ganfleet img/s | ganfleet / script | ganfleet ran as |")
    print("|---|---|---|---|---|")
    for width in args.widths:
        steps = max(5, round(args.steps * min(1.0, 0.25 / width)))
        script, ours, execution = [], [], ""
        for _ in range(args.repeats):
            script.append(script_img_per_s(dataset, width, steps))
            speed, execution = ganfleet_img_per_s(dataset, width, steps)
            ours.append(speed)
        print(
            f"| {width:g} ({steps} steps) | {max(script):.0f} | {max(ours):.0f} | {max(ours) / max(script):.2f} | "
            f"{execution} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
