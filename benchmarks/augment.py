"""Does adding a fleet's samples make a classifier better, and when? The measurement users ask for.

    python benchmarks/augment.py                                 # Fashion-MNIST, N = 50 500 6000, seeds 0 1 2
    python benchmarks/augment.py --n-real 50 500 --seeds 0       # a part of the grid (it grows over sessions)
    python benchmarks/augment.py --data digits --n-real 10 50    # digits has at most ~180 train images a class
    python benchmarks/augment.py --quick                         # digits, N = 10, one seed, a few steps: minutes

For each N (images per class: the first N of each class of the train split, `data.max_per_class`) and seed:

1. a fleet of `ganfleet demo`'s recipe and budget (class-parallel, recommended recipe, width 0.25, a
   shared warm start of a sixth of the images; `--steps` per class pair in all) is trained on those N x K
   real images and nothing else of the data;
2. the canonical classifier recipe (the one behind CAS and the evaluation classifier, its seed = the
   seed) is trained on (i) the N x K real images, (ii) them and `--synthetic` fleet samples per class
   (`ganfleet.SyntheticDataset`, seed = the seed), (iii) the samples alone (CAS), and each is tested on
   the whole real test split.

The recipe trains 5 epochs (at least 250 steps) over whatever set it is given, so (ii) takes more steps
than (i), as it would for a user who adds the samples. Each cell (fleet run, samples, accuracies) stays in
`--out/n-<N>/seed-<s>/` (the accuracies per `--synthetic`, which share the fleet), so an interrupted run
continues where it stopped and the grid can grow; writes `results-<synthetic>.md` and `results-<synthetic>.json`
(mean ± sample std over the seeds each N has).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from ganfleet import Fleet, SyntheticDataset
from ganfleet.classifier import CANONICAL
from ganfleet.classifier.store import domain_config
from ganfleet.classifier.training import train_classifier
from ganfleet.config import apply_values
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.recipes import demo_config
from ganfleet.rundir import RunDir
from ganfleet.train import train

SETS = ("real", "mixed", "synthetic")  # (i), (ii), (iii)


def run_cell(data: str, n_real: int, seed: int, steps: int, synthetic: int, out: Path) -> dict:
    """One N and seed: the fleet (trained, resumed or kept), its samples, the three classifiers' test accuracy."""
    cell = out / f"n-{n_real}" / f"seed-{seed}"
    result_path = cell / f"accuracy-{synthetic}.json"  # one per number of samples added, the fleet shared
    if result_path.is_file():
        return json.loads(result_path.read_text())
    fleet_dir = RunDir(cell / "fleet")
    config = apply_values(
        demo_config(str(fleet_dir.path), data, steps), {"data.max_per_class": n_real, "train.seed": seed}
    )
    status = fleet_dir.read_manifest().get("status") if fleet_dir.manifest_path.is_file() else None
    started = time.perf_counter()
    if status != "complete":
        print(f"== N={n_real} seed {seed}: {'resuming' if status else 'training'} the fleet -> {fleet_dir.path}")
        train(config, resume=status is not None, progress=False)
    fleet_s = time.perf_counter() - started
    real = load_dataset(config.data)
    test = load_dataset(domain_config(config.data, "test"))
    fleet = Fleet.load(fleet_dir.path)
    fake = SyntheticDataset(fleet, per_class=synthetic, seed=seed, cache=cell / f"synthetic-{synthetic}.npz")
    sets = {
        "real": (real.samples, real.labels),
        "mixed": (torch.cat([real.samples, fake.images]), torch.cat([real.labels, fake.labels])),
        "synthetic": (fake.images, fake.labels),
    }
    recipe = dataclasses.replace(CANONICAL, seed=seed)
    accuracy = {}
    for name, (images, labels) in sets.items():
        print(f"== N={n_real} seed {seed}: classifier on {name} ({len(labels)} images)")
        chosen = ClassPartitionedDataset(images, labels, list(test.class_names), f"{name}, N={n_real}")
        accuracy[name] = train_classifier(chosen, test, recipe, progress=False).test_accuracy
    result = {"n_real": n_real, "seed": seed, "synthetic_per_class": synthetic, "fleet_s": fleet_s, **accuracy}
    result_path.write_text(json.dumps(result, indent=2) + "\n")
    return result


def cell_text(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f} (1 seed)"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def write_results(rows: list[dict], out: Path, command: str, threads: int, per_class: int) -> None:
    lines = [
        "# Real images, real + synthetic, synthetic only: test accuracy of the canonical classifier recipe",
        "",
        f"`{command}` ({platform.processor() or platform.machine()}, {threads} torch threads)",
        "",
        "| real per class (N) | seeds | (i) real | (ii) real + synthetic | gain (ii) - (i) | (iii) synthetic (CAS) |",
        "|---|---|---|---|---|---|",
    ]
    for n_real in sorted({r["n_real"] for r in rows}):
        mine = [r for r in rows if r["n_real"] == n_real]
        gains = [r["mixed"] - r["real"] for r in mine]
        values = [cell_text([r[name] for r in mine]) for name in SETS]
        lines.append(f"| {n_real} | {len(mine)} | {values[0]} | {values[1]} | {cell_text(gains)} | {values[2]} |")
    lines += ["", f"Synthetic images: {per_class} per class in (ii) and (iii)."]
    (out / f"results-{per_class}.md").write_text("\n".join(lines) + "\n")
    (out / f"results-{per_class}.json").write_text(json.dumps(rows, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    p.add_argument("--data", help="fashion-mnist (default) or digits (default with --quick)")
    p.add_argument("--n-real", type=int, nargs="+", help="real images per class (default: 50 500 6000; 10 --quick)")
    p.add_argument("--seeds", type=int, nargs="+", help="seeds (default: 0 1 2; 0 with --quick)")
    p.add_argument("--steps", type=int, help="steps per class pair in all, as the demo's (default: the demo's)")
    p.add_argument("--synthetic", type=int, default=1000, help="fleet samples per class (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads for the fleets (default: %(default)s)")
    p.add_argument("--out", help="results folder (default: runs/augment/<data>)")
    p.add_argument("--quick", action="store_true", help="digits, N = 10, one seed, 30 steps, 50 samples per class")
    args = p.parse_args(argv)
    data = args.data or ("digits" if args.quick else "fashion-mnist")
    n_reals = args.n_real or ([10] if args.quick else [50, 500, 6000])
    seeds = args.seeds if args.seeds is not None else ([0] if args.quick else [0, 1, 2])
    steps = args.steps or (30 if args.quick else None)
    synthetic = 50 if args.quick and args.synthetic == 1000 else args.synthetic
    out = Path(args.out or f"runs/augment/{data}")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    rows = [run_cell(data, n, seed, steps, synthetic, out) for n in n_reals for seed in seeds]
    finished = sorted(out.glob(f"n-*/seed-*/accuracy-{synthetic}.json"))
    rows = [json.loads(path.read_text()) for path in finished]  # every cell of the grid so far, this call's too
    command = "python benchmarks/augment.py " + " ".join(sys.argv[1:] if argv is None else argv)
    write_results(rows, out, command, args.threads, synthetic)
    print((out / f"results-{synthetic}.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
