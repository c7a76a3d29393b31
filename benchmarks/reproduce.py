"""The papers' comparison at equal compute, measured with `ganfleet evaluate`.

    python benchmarks/reproduce.py --data fashion-mnist        # 5 epochs, seeds 0 1 2: the full run (about 1.5 h on 2 cores)
    python benchmarks/reproduce.py --data digits               # scikit-learn's digits, 20 epochs, seeds 0 1 2 (about 15 min)
    python benchmarks/reproduce.py --quick                     # digits, one seed, 2 epochs: a smoke run in a minute
    python benchmarks/reproduce.py --data fashion-mnist --epochs 2 --seeds 0 1
    python benchmarks/reproduce.py --data fashion-mnist --steps 300 --systems cp-dccgan cp-wcgan cp-wcgan-bn sgan-global sgan-global-id5

Five systems (the distributed DC-CGAN paper's three, its W-CGAN sequel's, and
SGAN's global generator), each trained with the same DC-GAN family (`--arch`,
`--width`), batch size and Adam settings, for one of two budgets:

- equal epochs (the default, `--epochs E`): every system passes over the
  training images E times, the same compute; a class pair then takes 1/K of a
  single network's generator steps (and a W-CGAN generator 1/5 of that);
- equal generator steps (`--steps S`): every network's generator takes S steps
  (SGAN's iterations), what K workers give in the same wall-clock; the W-CGAN
  critics then see 5x the images.

The systems:

- DC-GAN: one unconditional pair on all data;
- DC-CGAN: one conditional pair;
- class-parallel DC-CGAN: one pair per class (the distributed DC-CGAN);
- class-parallel W-CGAN: the same with Wasserstein-GP critics (n_critic 5:
  an epoch gives each critic as many images, its generator 1/5 of the steps);
- conditional SGAN global generator: class-parallel locals plus the global
  pair, evaluated on G_0 alone (`evaluate --member global`); its locals see the
  same epochs, the global pair's messengers cost extra time on top.

Two more are available by `--systems` (not in the default set): the W-CGAN
with the paper's literal BatchNorm critic (`cp-wcgan-bn`, `model.d_norm
batch`) and the SGAN global generator with 5 messenger steps (`sgan-global-id5`).

Each run is an ordinary run directory under `--out` (`<system>/seed-<s>`),
trained with `--eval-every` so its FID curve is in metrics.jsonl, then
evaluated on `--n` samples against the test split. The script is resumable: a
finished and evaluated run is skipped, an interrupted one resumes from its
checkpoints, so stopping it (Ctrl-C) and starting it again loses little.
Writes into `--out`: results.json (every run's metrics and timing),
results.md (mean ± sample std over seeds, the real-data floor, the ANOVA
table), fid_curve.png and grids/<system>.png (seed 0's evaluation grid).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ganfleet.config import RunConfig, apply_values
from ganfleet.data import load_dataset
from ganfleet.data.diagnostics import anova_by_class
from ganfleet.evaluation import EvalOptions, evaluate_real_baseline, evaluate_run
from ganfleet.losses import get_loss
from ganfleet.train import plan_run, train
from ganfleet.rundir import read_metrics
from ganfleet.rundir import RunDir


@dataclass(frozen=True)
class System:
    """One row of the comparison: its config overrides and the generator that is evaluated."""

    label: str
    key: str  # folder name
    values: dict = field(hash=False)
    member: str | None = None  # None: the fleet's routing


SYSTEMS = (
    System("DC-GAN", "dcgan", {"train.strategy": "gan", "loss.name": "ns"}),
    System("DC-CGAN", "dccgan", {"train.strategy": "cgan", "loss.name": "ns"}),
    System("class-parallel DC-CGAN", "cp-dccgan", {"train.strategy": "class-parallel", "loss.name": "ns"}),
    System("class-parallel W-CGAN", "cp-wcgan", {"train.strategy": "class-parallel", "loss.name": "wgan-gp"}),
    System("SGAN conditional G_0", "sgan-global", {"train.strategy": "sgan", "sgan.split_by_class": True, "loss.name": "ns"}, "global"),
)
EXTRA_SYSTEMS = (
    System("class-parallel W-CGAN, BatchNorm critic", "cp-wcgan-bn",
           {"train.strategy": "class-parallel", "loss.name": "wgan-gp", "model.d_norm": "batch"}),
    System("SGAN conditional G_0, I_D = 5", "sgan-global-id5",
           {"train.strategy": "sgan", "sgan.split_by_class": True, "loss.name": "ns", "sgan.messenger_steps": 5}, "global"),
)
ALL_SYSTEMS = SYSTEMS + EXTRA_SYSTEMS

# (column, metrics.json key, format, direction) of the table
COLUMNS = (
    ("FID", "fid", "{:.2f}", "lower"),
    ("KID", "kid_mean", "{:.4g}", "lower"),
    ("IS", "is_mean", "{:.2f}", "higher"),
    ("precision", "precision", "{:.3f}", "higher"),
    ("recall", "recall", "{:.3f}", "higher"),
    ("cond. acc.", "conditional_accuracy", "{:.3f}", "higher"),
    ("class TV", "class_tv", "{:.3f}", "lower"),
)


@dataclass
class Settings:
    """What every system shares."""

    data: str
    epochs: float | None  # equal epochs, or
    steps: int | None  # equal generator steps per network
    seeds: list[int]
    width: float
    arch: str = "dcgan"
    batch_size: int = 64
    n_eval: int = 10_000
    curve_points: int = 8  # FID evaluations during training (2,000 samples each)
    curve_n: int = 2_000
    max_per_class: int | None = None

    @property
    def budget_text(self) -> str:
        return f"{self.epochs:g} epochs" if self.steps is None else f"{self.steps} generator steps per network"

    def run_values(self, system: System, seed: int, out: Path) -> dict:
        return {
            "data.name": self.data, "data.max_per_class": self.max_per_class,
            "model.arch": self.arch, "model.width": self.width,
            "budget.epochs": self.epochs, "budget.steps": self.steps, "train.batch_size": self.batch_size, "train.seed": seed,
            "cadence.log_every": 50, "cadence.grid_every": 0, "cadence.checkpoint_every": 200,
            "eval.n": self.curve_n, "eval.member": system.member,
            **system.values, "out": str(out),
        }


def run_config(settings: Settings, system: System, seed: int, out: Path, dataset) -> RunConfig:
    """The run's config with `eval.every` set so the curve gets about `curve_points` points."""
    config = apply_values(RunConfig(), settings.run_values(system, seed, out))
    longest = max(plan_run(config, dataset).budgets.values())
    return apply_values(config, {"eval.every": max(1, round(longest / settings.curve_points))})


def train_and_evaluate(settings: Settings, system: System, seed: int, out: Path, dataset) -> dict:
    """Train (or resume, or skip) one run and evaluate it; returns its results.json row."""
    run_dir = out / system.key / f"seed-{seed}"
    run, timing_path, eval_path = RunDir(run_dir), run_dir / "reproduce-timing.json", run_dir / "eval" / "metrics.json"
    status = run.read_manifest().get("status") if run.manifest_path.is_file() else None
    timing = json.loads(timing_path.read_text()) if timing_path.is_file() else {"train_s": 0.0, "sessions": 0}
    if status != "complete":
        print(f"== {system.label}, seed {seed}: {'resuming' if status else 'training'} -> {run_dir}", file=sys.stderr)
        config = run_config(settings, system, seed, run_dir, dataset)
        start = time.perf_counter()
        try:
            train(config, resume=status is not None, dataset=dataset)
        finally:  # an interrupted session's time counts too
            timing = {"train_s": timing["train_s"] + time.perf_counter() - start, "sessions": timing["sessions"] + 1}
            timing_path.write_text(json.dumps(timing))
    if status != "complete" or not eval_path.is_file():
        print(f"== {system.label}, seed {seed}: evaluating {settings.n_eval} samples", file=sys.stderr)
        evaluate_run(run_dir, EvalOptions(n=settings.n_eval, member=system.member, floor=False, progress=False))
    summary = json.loads(eval_path.read_text())
    return {"system": system.key, "label": system.label, "seed": seed, "run": str(run_dir),
            "metrics": summary["metrics"], "train_s": timing["train_s"], "img_per_s": real_images(run) / timing["train_s"],
            "curve": fid_curve(run, settings.epochs)}


def real_images(run: RunDir) -> int:
    """Real images the run's discriminators saw: generator steps x batch x critic steps, summed over its pairs."""
    config = json.loads(run.config_path.read_text())
    steps = sum(m["target_steps"] for m in run.read_manifest()["members"])
    critic = config["loss"]["n_critic"] or get_loss(config["loss"]["name"]).n_critic
    return steps * config["train"]["batch_size"] * critic


def fid_curve(run: RunDir, epochs: float | None) -> list[tuple[float, float]]:
    """(epoch, or generator step with a step budget; FID at `eval.n` samples) of the run's --eval-every records."""
    records = [r for r in read_metrics(run.metrics_path) if "eval" in r]
    budget = max(m["target_steps"] for m in run.read_manifest()["members"])
    scale = epochs / budget if epochs is not None else 1.0
    return [(scale * r["step"], r["eval"]["fid"]) for r in records]


def cell(values: list[float], fmt: str) -> str:
    """mean ± sample std (just the mean for one seed)."""
    if not values:
        return "—"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.mean(values))} ± {fmt.format(statistics.stdev(values))}"


def results_table(rows: list[dict], floor: dict) -> list[str]:
    head = ["system", *(c[0] for c in COLUMNS), "train s", "img/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for system in ALL_SYSTEMS:
        mine = [r for r in rows if r["system"] == system.key]
        if not mine:
            continue
        cells = [system.label]
        for _, key, fmt, _ in COLUMNS:
            values = [r["metrics"][key] for r in mine if key in r["metrics"]]
            cells.append(cell(values, fmt))
        cells += [cell([r["train_s"] for r in mine], "{:.0f}"), cell([r["img_per_s"] for r in mine], "{:.0f}")]
        lines.append("| " + " | ".join(cells) + " |")
    floor_cells = [cell([floor[key]] if key in floor else [], fmt) for _, key, fmt, _ in COLUMNS]
    lines.append("| real-data floor (train images) | " + " | ".join(floor_cells) + " | | |")
    return lines


def anova_table(dataset) -> list[str]:
    results = anova_by_class(dataset)
    if not results:
        return []
    lines = [f"One-way ANOVA of the per-image channel mean by class (df {results[0].df_between}, {results[0].df_within}):", "",
             "| channel | F | p |", "|---|---|---|"]
    return lines + [f"| {r.channel} | {r.f:.2f} | {r.p:.3g} |" for r in results]


def plot_curves(rows: list[dict], path: Path, curve_n: int, x_label: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for system in ALL_SYSTEMS:
        curves = [r["curve"] for r in rows if r["system"] == system.key and r["curve"]]
        if not curves:
            continue
        length = min(len(c) for c in curves)  # seeds share their evaluation points
        xs = [curves[0][i][0] for i in range(length)]
        ys = [statistics.mean(c[i][1] for c in curves) for i in range(length)]
        ax.plot(xs, ys, marker="o", label=system.label)
    ax.set_xlabel(x_label)
    ax.set_ylabel(f"FID ({curve_n:,} samples, domain classifier)")
    ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def machine() -> str:
    return (f"{platform.platform()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
            f"torch {torch.__version__} ({torch.get_num_threads()} threads)")


def write_results(settings: Settings, rows: list[dict], floor: dict, n_test: int, dataset, out: Path, command: str) -> None:
    (out / "grids").mkdir(exist_ok=True)
    for system in ALL_SYSTEMS:
        first = next((r for r in rows if r["system"] == system.key), None)
        if first is not None:
            shutil.copyfile(Path(first["run"]) / "eval" / "samples.png", out / "grids" / f"{system.key}.png")
    plot_curves(rows, out / "fid_curve.png", settings.curve_n, "epochs" if settings.steps is None else "generator steps")
    lines = [
        f"# {settings.data}: {settings.budget_text}, seeds {', '.join(map(str, settings.seeds))}, "
        f"{settings.arch} width {settings.width:g}, batch {settings.batch_size}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}",
        "",
        f"Metrics of {settings.n_eval:,} samples (conditional generators: labels in the test split's class "
        f"proportions) against the {n_test:,} test images, domain-classifier features; mean ± sample std over seeds. "
        "img/s = real images the discriminators saw (generator steps x batch x critic steps, over all pairs) / "
        "wall-clock training seconds.",
        "",
        *results_table(rows, floor),
        "",
        *anova_table(dataset),
    ]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps({"settings": asdict(settings), "machine": machine(), "command": command,
                                                  "floor": floor, "runs": rows}, indent=1))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("--data", help="data set (default: fashion-mnist; digits with --quick)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=float, help="equal epochs for every system (default: 5; 20 for digits; 2 with --quick)")
    budget.add_argument("--steps", type=int, help="equal generator steps for every network instead (SGAN's iterations)")
    p.add_argument("--seeds", type=int, nargs="+", help="seeds (default: 0 1 2; 0 with --quick)")
    p.add_argument("--width", type=float, default=0.25,
                   help="channel multiplier of the conv nets (default: %(default)s, ~6x faster than the paper's 1.0 on CPU)")
    p.add_argument("--n", type=int, help="samples per evaluation (default: 10000; 2000 for digits, whose test split has 360 images)")
    p.add_argument("--max-per-class", type=int, help="train on at most this many images per class")
    p.add_argument("--systems", nargs="+", choices=[s.key for s in ALL_SYSTEMS],
                   help=f"the systems (default: {' '.join(s.key for s in SYSTEMS)})")
    p.add_argument("--out", help="results folder (default: runs/reproduce/<data>)")
    p.add_argument("--quick", action="store_true", help="digits unless --data is given, one seed, short: minutes")
    return p.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    quick = args.quick
    data = args.data or ("digits" if quick else "fashion-mnist")
    default_epochs = 2 if quick else (20 if data == "digits" else 5)
    return Settings(
        data=data,
        epochs=None if args.steps is not None else (args.epochs if args.epochs is not None else default_epochs),
        steps=args.steps,
        seeds=args.seeds if args.seeds is not None else ([0] if quick else [0, 1, 2]),
        width=args.width,
        n_eval=args.n if args.n is not None else (1000 if quick else 2000 if data == "digits" else 10_000),
        curve_points=4 if quick else 8,
        curve_n=500 if quick else 2_000,
        max_per_class=args.max_per_class,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    out = Path(args.out or f"runs/reproduce/{settings.data}")
    out.mkdir(parents=True, exist_ok=True)
    systems = list(SYSTEMS) if args.systems is None else [s for s in ALL_SYSTEMS if s.key in args.systems]
    dataset = load_dataset(apply_values(RunConfig(), {"data.name": settings.data,
                                                      "data.max_per_class": settings.max_per_class}).data)
    floor_path = out / "floor" / "metrics.json"
    if not floor_path.is_file():
        evaluate_real_baseline(apply_values(RunConfig(), {"data.name": settings.data}).data,
                               EvalOptions(n=settings.n_eval, progress=False), out / "floor")
    summary = json.loads(floor_path.read_text())
    floor, n_test = summary["real_floor"], summary["data"]["n_real"]
    rows = [train_and_evaluate(settings, system, seed, out, dataset) for seed in settings.seeds for system in systems]
    command = "python benchmarks/reproduce.py " + " ".join(sys.argv[1:] if argv is None else argv)
    write_results(settings, rows, floor, n_test, dataset, out, command)
    print((out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
