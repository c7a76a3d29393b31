"""Class-parallel DC-CGAN vs W-CGAN vs SGAN's conditional global generator on real images.

    python benchmarks/wcgan_sgan_images.py                       # Fashion-MNIST classes 0-4; ~30 min on 2 busy cores
    python benchmarks/wcgan_sgan_images.py --data digits --quick # a 2-minute smoke run

Three runs of the real trainer (`ganfleet.train.loop.train`), each grown in
stages with `--resume` (resuming is exact, so stage s is the run at that budget):

- `sgan`: `--strategy sgan --split-by-class --loss ns`. Its local pairs ARE the
  class-parallel DC-CGAN (bit-identical to a `class-parallel` run, see
  tests/strategies/test_sgan.py), so they give the DC-CGAN row; its global
  generator G_0 (`member="global"`) is the conditional SGAN row (I_D = 1, the
  ns loss's n_critic); `sgan-id5` is the same with 5 messenger steps (its
  locals are the same pairs again, so only its G_0 row is shown);
- `wcgan`: `--strategy class-parallel --loss wgan-gp` (d_norm auto: LayerNorm critic);
- `wcgan-bn`: the same with `--d-norm batch`, the paper's BatchNorm critic.

Budgets are generator steps per pair (SGAN's "iterations"), so every system
gets as many generator updates; W-CGAN takes 5 critic steps per generator step
and so sees 5x the images and costs ~3-5x the time (`s` column).

There is no `ganfleet evaluate` yet, so the scores come from a domain
classifier fitted here on the real training subset: PCA(50) of the pixels, then
logistic regression. `acc`: share of samples asked for class k that it labels
k (real test images score `real acc`); `FD`: Frechet distance between Gaussian
fits of PCA features of generated and real test images (lower is better).
`gap`: the discriminator's mean d_real - d_fake at the first and the last tick
(for a Wasserstein critic, its estimate of the distance the generator shrinks;
a BatchNorm critic keeps it near 0 whatever the samples). `s`: training seconds
of the run over all stages (the DC-CGAN and SGAN rows are one run).
Prints a Markdown table; grids of each stage go to `--out`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy import linalg
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from ganfleet import Fleet
from ganfleet.config import DataConfig, RunConfig, apply_values
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset, to_model_space
from ganfleet.grids import display_scale, make_grid, save_png
from ganfleet.train.loop import train
from ganfleet.train.metrics_log import read_metrics

RUNS = {
    "sgan": {"train.strategy": "sgan", "train.split_by_class": True, "train.loss": "ns"},
    "sgan-id5": {"train.strategy": "sgan", "train.split_by_class": True, "train.loss": "ns", "train.messenger_steps": 5},
    "wcgan": {"train.strategy": "class-parallel", "train.loss": "wgan-gp"},
    "wcgan-bn": {"train.strategy": "class-parallel", "train.loss": "wgan-gp", "model.d_norm": "batch"},
}
ROWS = (("class-parallel DC-CGAN (ns)", "sgan", None), ("SGAN conditional G_0 (ns, I_D=1)", "sgan", "global"),
        ("SGAN conditional G_0 (ns, I_D=5)", "sgan-id5", "global"),
        ("class-parallel W-CGAN (GP, LayerNorm critic)", "wcgan", None), ("class-parallel W-CGAN (GP, BatchNorm critic)", "wcgan-bn", None))


class DomainScorer:
    """PCA(50) + logistic regression fitted on real training images; scores samples of [-1, 1] images."""

    def __init__(self, train_set: ClassPartitionedDataset, test_set: ClassPartitionedDataset, seed: int) -> None:
        x = self.flat(to_model_space(train_set.samples))
        self.pca = PCA(50, random_state=seed).fit(x)
        self.classifier = LogisticRegression(max_iter=2000).fit(self.pca.transform(x), train_set.labels.numpy())
        self.test_features = self.pca.transform(self.flat(to_model_space(test_set.samples)))
        self.real_accuracy = float((self.classifier.predict(self.test_features) == test_set.labels.numpy()).mean())

    @staticmethod
    def flat(images: torch.Tensor) -> np.ndarray:
        return images.flatten(1).numpy().astype(np.float64)

    def score(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        features = self.pca.transform(self.flat(images))
        accuracy = float((self.classifier.predict(features) == labels.numpy()).mean())
        return {"acc": accuracy, "fd": frechet_distance(features, self.test_features)}


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def critic_gap(run: Path, member: str | None) -> tuple[float, float]:
    """d_real - d_fake at the first and the last tick: of `member`, or the mean over the class pairs."""
    records = read_metrics(run / "metrics.jsonl")

    def gap(record: dict) -> float:
        names = [member] if member else [n for n in record["pairs"] if n.startswith("class-")]
        return sum(record["pairs"][n]["d_real"] - record["pairs"][n]["d_fake"] for n in names) / len(names)

    return gap(records[0]), gap(records[-1])


def config_for(args: argparse.Namespace, run: str, steps: int) -> RunConfig:
    values = {
        "data.name": args.data, "data.max_per_class": args.max_per_class, "model.arch": "dcgan", "model.width": args.width,
        "train.batch_size": args.batch_size, "train.steps": steps, "train.seed": args.seed, "train.device": "cpu",
        "train.log_every": 10, "train.grid_every": 0, "train.checkpoint_every": 0, "out": str(Path(args.out) / run),
    }
    if args.classes:
        values["data.classes"] = args.classes
    return apply_values(RunConfig(), {**values, **RUNS[run]})


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="fashion-mnist", help="fashion-mnist, mnist or digits")
    p.add_argument("--classes", default="0,1,2,3,4", help="comma-separated class subset ('' for all)")
    p.add_argument("--max-per-class", type=int, default=600)
    p.add_argument("--stages", default="100,300", help="generator-step budgets at which every run is scored")
    p.add_argument("--width", type=float, default=0.25)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--samples", type=int, default=1000, help="generated images per score (balanced over classes)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--out", default="runs/wcgan_sgan_images")
    p.add_argument("--runs", default=",".join(RUNS), help="which runs to train and score: " + ", ".join(RUNS))
    p.add_argument("--quick", action="store_true", help="4 classes, 100 per class, stages 5,15")
    args = p.parse_args(argv)
    if args.quick:
        args.classes, args.max_per_class, args.stages = "0,1,2,3", 100, "5,15"
    if args.threads:
        torch.set_num_threads(args.threads)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    stages = [int(s) for s in args.stages.split(",")]
    first = config_for(args, "sgan", stages[0])
    data = load_dataset(first.data)
    test = load_dataset(DataConfig(**{**vars(first.data), "split": "test"}))
    scorer = DomainScorer(data, test, args.seed)
    labels = torch.arange(data.n_classes).repeat_interleave(-(-args.samples // data.n_classes))[: args.samples]
    runs = args.runs.split(",")
    rows = [(row, run, member) for row, run, member in ROWS if run in runs]
    results: dict[str, list[dict]] = {row: [] for row, _, _ in rows}
    for stage in stages:
        for run in runs:
            config = config_for(args, run, stage)
            start = time.perf_counter()
            train(config, resume=(Path(config.out) / "manifest.json").exists(), progress=False, dataset=data)
            seconds = time.perf_counter() - start
            fleet = Fleet.load(config.out)
            for row, row_run, member in rows:
                if row_run != run:
                    continue
                x = fleet.sample(len(labels), labels=labels, seed=args.seed, member=member)
                grid = fleet.sample(data.n_classes * 8, labels=torch.arange(data.n_classes).repeat_interleave(8), seed=1, member=member)
                save_png(make_grid(grid, 8), Path(args.out) / f"{run}-{member or 'classes'}-step{stage}.png", scale=display_scale(grid.shape[-1]))
                gap = critic_gap(Path(config.out), member)
                results[row].append({"steps": stage, "seconds": seconds, **scorer.score(x, labels), "gap_first": gap[0], "gap_last": gap[1]})
                print(f"  {row} @ {stage} steps: {results[row][-1]}", flush=True)
    (Path(args.out) / "results.json").write_text(json.dumps({"settings": vars(args), "real_acc": scorer.real_accuracy, "results": results}, indent=1))
    print(f"\n{args.data}, classes {args.classes or 'all'}, {args.max_per_class} per class, width {args.width}, batch {args.batch_size}; "
          f"domain classifier accuracy on real test images: {scorer.real_accuracy:.3f}\n")
    head = ["system"] + [f"{k} @{s}" for s in stages for k in ("acc", "FD")] + ["s (all stages)", "gap first -> last"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row, entries in results.items():
        cells = [row] + [c for e in entries for c in (f"{e['acc']:.3f}", f"{e['fd']:.1f}")]
        cells += [f"{sum(e['seconds'] for e in entries):.0f}", f"{entries[-1]['gap_first']:.3f} -> {entries[-1]['gap_last']:.3f}"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
