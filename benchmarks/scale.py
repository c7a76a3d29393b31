"""1,000 classes for real: a synthetic 1,000-class data set trained class-parallel, end to end.

    python benchmarks/scale.py                              # 1,000 classes x 64 images, width 0.125, 20 steps per pair
    python benchmarks/scale.py --classes 200 --steps 2 --per-class 8 --no-evaluate   # what the test runs
    python benchmarks/scale.py --largest --budget-gib 16    # the largest width whose pairs fit a memory budget

The data: K classes of 32x32 grey images, each class a random blob pattern plus noise (so a classifier can
tell them apart), written as an image folder (`train/`, `test/`, one subfolder of PNGs per class) and as an
npz. The run: `ganfleet.train.train` from the image folder with the default execution, then `Fleet.load`,
`Fleet.sample(10_000)` and `ganfleet evaluate` (the canonical classifier of this data is trained once, into
the cache; CAS off). Reported: the wall-clock of every stage, the peak RSS of the process, the files
written, and the training img/s.

`--largest` answers Hopkins's "largest model a system can hold" for pairs: the bytes one pair needs at
each width (`benchmarks/pair_memory.py`: weights, gradients, Adam, activations at batch 64) and the
widest paper pair of which `--classes` fit in `--budget-gib`, and how many pairs of each width fit.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganfleet import Fleet
from ganfleet.config import RunConfig, apply_values
from ganfleet.evaluation import EvalOptions, evaluate_run
from ganfleet.train import train


def synthetic_images(k: int, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(K * per_class, 32, 32) uint8 images and their labels: class k is template k plus per-image noise."""
    rng = np.random.default_rng(seed)
    templates = rng.random((k, 8, 8)) ** 3  # sparse bright blobs, upsampled to 32 px
    templates = np.kron(templates, np.ones((4, 4)))
    noise = rng.normal(0.0, 0.08, (k, per_class, 32, 32))
    images = np.clip(templates[:, None] + noise, 0.0, 1.0) * 255
    return images.reshape(-1, 32, 32).round().astype(np.uint8), np.repeat(np.arange(k), per_class)


def write_data(root: Path, k: int, per_class: int, test_per_class: int) -> dict:
    """The image folder (train/ and test/) and an npz of the train split; returns counts and seconds."""
    start = time.perf_counter()
    files = 0
    for split, n, seed in (("train", per_class, 0), ("test", test_per_class, 1)):
        images, labels = synthetic_images(k, n, seed)
        for i, (image, label) in enumerate(zip(images, labels)):
            folder = root / "folder" / split / f"class-{label:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{i:06d}.png")
            files += 1
        if split == "train":
            np.savez_compressed(root / "train.npz", x=images, y=labels)
    return {"data_files": files + 1, "data_s": round(time.perf_counter() - start, 1)}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(args: argparse.Namespace) -> dict:
    out = Path(args.out)
    report = {
        "classes": args.classes,
        "per_class": args.per_class,
        "steps": args.steps,
        "width": args.width,
        "threads": torch.get_num_threads(),
        **write_data(out / "data", args.classes, args.per_class, args.test_per_class),
    }
    config = apply_values(
        RunConfig(),
        {
            "data.name": "imagefolder",
            "data.path": str(out / "data" / "folder"),
            "model.width": args.width,
            "budget.steps": args.steps,
            "train.batch_size": 64,
            "cadence.log_every": max(1, args.steps // 2),
            "cadence.grid_every": 0,
            "cadence.checkpoint_every": 0,
            "train.device": args.device,
            "out": str(out / "run"),
        },
    )
    start = time.perf_counter()
    result = train(config, progress=False)
    report.update(
        train_s=round(time.perf_counter() - start, 1),
        train_img_per_s=round(result.images_per_second),
        run_files=sum(1 for p in (out / "run").rglob("*") if p.is_file()),
        peak_rss_mb_after_train=round(peak_rss_mb()),
    )
    start = time.perf_counter()
    fleet = Fleet.load(out / "run")
    report["fleet_load_s"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    fleet.sample(1, labels=[args.classes // 2], seed=0)
    report["sample_one_class_s"] = round(time.perf_counter() - start, 3)
    report["generators_read_for_one_class"] = len(fleet.generators.loaded)  # lazy: 1 of K
    start = time.perf_counter()
    fleet.sample(10_000, seed=0)
    report["sample_10000_s"] = round(time.perf_counter() - start, 2)
    if not args.no_evaluate:
        start = time.perf_counter()
        evaluate_run(out / "run", EvalOptions(n=10_000, cas_n=0, floor=False, progress=False))
        report["evaluate_s"] = round(time.perf_counter() - start, 1)
    report["peak_rss_mb"] = round(peak_rss_mb())
    return report


def largest(args: argparse.Namespace) -> dict:
    """Bytes per pair at each width and the widest pair of which --classes fit in --budget-gib."""
    from ganfleet.data.dataset import ClassPartitionedDataset
    from ganfleet.pairs import adversarial_step, make_pair, step_rule
    from ganfleet.strategies import get_strategy
    from pair_memory import GIB, measure_pair_memory

    images, labels = synthetic_images(2, 64, 0)
    data = ClassPartitionedDataset(torch.from_numpy(images[:, None]), torch.from_numpy(labels), ["a", "b"], "synthetic")
    budget, rows = args.budget_gib * GIB, []
    for width in args.widths:
        config = apply_values(
            RunConfig(), {"model.arch": "paper", "model.width": width, "train.device": "cpu", "out": "unused"}
        )
        pair = make_pair(config, data, get_strategy("class-parallel").members(data)[0], torch.device("cpu"))
        rule = step_rule(config, data.sample_shape)
        memory = measure_pair_memory(
            (pair.generator, pair.discriminator),
            (pair.opt_g, pair.opt_d),
            functools.partial(adversarial_step, pair, rule),
        )
        rows.append(
            {"width": width, "bytes_per_pair": memory.total, "pairs_in_budget": memory.pairs_in(budget, packed=False)}
        )
    fitting = [r["width"] for r in rows if r["pairs_in_budget"] >= args.classes]
    return {
        "budget_gib": args.budget_gib,
        "classes": args.classes,
        "widths": rows,
        "largest_width": max(fitting, default=None),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--per-class", type=int, default=64, help="train images per class")
    p.add_argument("--test-per-class", type=int, default=16)
    p.add_argument("--steps", type=int, default=20, help="generator steps per pair")
    p.add_argument("--width", type=float, default=0.125)
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--no-evaluate", action="store_true", help="skip ganfleet evaluate (it trains a classifier of this data)"
    )
    p.add_argument("--largest", action="store_true", help="report bytes per pair and the widest pair that fits instead")
    p.add_argument("--budget-gib", type=float, default=16.0, help="memory budget of --largest")
    p.add_argument("--widths", type=float, nargs="+", default=[0.125, 0.25, 0.5, 1.0, 2.0, 4.0])
    p.add_argument("--out", default="runs/scale")
    args = p.parse_args(argv)
    report = largest(args) if args.largest else run(args)
    print(json.dumps(report, indent=1))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / ("largest.json" if args.largest else "scale.json")).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
