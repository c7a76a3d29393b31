"""The papers' comparison and the recipes', on the canonical scale of `ganfleet evaluate`.

    python benchmarks/reproduce.py --steps 600    # Fashion-MNIST: both recipes, both budgets, 3 seeds
    python benchmarks/reproduce.py --steps 600 --systems cp-dccgan dccgan --budgets a
    python benchmarks/reproduce.py --data digits --steps 400 --seeds 0
    python benchmarks/reproduce.py --quick        # digits, 1 seed, 30 steps: a smoke run
    python benchmarks/reproduce.py --steps 300 --systems cp-dccgan cp-wcgan cp-wcgan-bn sgan-global sgan-global-id5

Systems: `reproduce_systems.py` lists them (the papers' five by default, every lever measured since by
`--systems`).

Each is trained with each recipe of `--recipes` (`ganfleet.recipes`: `paper`, `recommended`)
at `--width`, for one of two budgets of S = `--steps` (`--budgets`):

- (a) equal steps per network: every generator takes S steps (SGAN: S iterations), what K workers give
  in the same wall-clock, the papers' setting;
- (b) equal total images: every system's discriminators see as many real images as the class-parallel
  DC-CGAN's K pairs at S steps each (one device): a single network takes K x S steps, a W-CGAN pair
  S / 5 generator steps; SGAN's global pair costs extra on top of its locals, whose budget is (a)'s.
  A class pair's run is the same under both budgets, so it is trained once.

Every run is an ordinary run directory (`<out>/<recipe>/<system>/steps-<n>/seed-<s>`), trained with
`--eval-every` for its FID curve and evaluated by `ganfleet evaluate` with the canonical classifier
(FID, KID, IS, precision/recall, conditional accuracy, per-class FID, CAS on `--cas-n` generated images).
Finished runs are skipped and interrupted ones resume, so the grid can be grown over several sessions; a run
trained with other settings (an earlier recipe's) is refused with one line, never tabulated.
Writes `results.md` (one table per budget: mean ± sample std over seeds; the real-data floor; wall-clock),
`results.json`, `fid_curve-<budget>.png` and `grids/<budget>-<recipe>-<system>.png` (seed 0) into `--out`.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ganfleet.config import RunConfig, apply_values
from ganfleet.data import load_dataset
from ganfleet.errors import ConfigError
from ganfleet.evaluation import EvalOptions, evaluate_real_baseline, evaluate_run
from ganfleet.losses import get_loss
from ganfleet.recipes import RECIPES, recipe_config
from ganfleet.rundir import RunDir, check_resumable, read_metrics
from ganfleet.rundir.resume import saved_config
from ganfleet.train import train
from reproduce_systems import ALL_SYSTEMS, SYSTEMS, System  # benchmarks/ is on the path of a script run from it

BUDGETS = {"a": "equal steps per network", "b": "equal total images"}

# (column, metrics.json key, format) of the tables
COLUMNS = (
    ("FID", "fid", "{:.1f}"),
    ("KID", "kid_mean", "{:.3g}"),
    ("IS", "is_mean", "{:.2f}"),
    ("precision", "precision", "{:.3f}"),
    ("recall", "recall", "{:.3f}"),
    ("cond. acc.", "conditional_accuracy", "{:.3f}"),
    ("per-class FID", "fid_class_mean", "{:.1f}"),
    ("CAS", "cas", "{:.3f}"),
)


@dataclass
class Settings:
    """What every run shares."""

    data: str
    steps: int
    seeds: list[int]
    recipes: list[str]
    budgets: list[str]
    width: float = 0.25
    batch_size: int = 64
    n_eval: int = 10_000
    cas_n: int = 10_000
    curve_points: int = 6
    curve_n: int = 2_000
    threads: int = 2
    report_only: bool = False

    def generator_steps(self, system: System, budget: str, n_classes: int) -> int:
        """The system's generator steps per network under `budget` (see the module docstring)."""
        if budget == "a" or system.member is not None:
            return self.steps
        if not system.class_pairs:
            return self.steps * n_classes
        shared = {"shared.kimg": self.warm_start_kimg(system, n_classes)}  # what a warm start's options need
        config = apply_values(RunConfig(), {"data.name": self.data, **shared, **system.values})
        own = self.steps - round(system.warm_share * self.steps)  # the rest of its images went to the warm start
        return max(1, math.ceil(own / get_loss(config.loss.name).n_critic))

    def warm_start_kimg(self, system: System, n_classes: int) -> float:
        """The warm start's images: its share of the K class pairs' S steps of batch images (budget (b))."""
        return system.warm_share * n_classes * self.steps * self.batch_size / 1000

    def config(self, recipe: str, system: System, steps: int, seed: int, out: Path, n_classes: int) -> RunConfig:
        values = {
            "shared.kimg": self.warm_start_kimg(system, n_classes),
            "data.name": self.data,
            "model.width": self.width,
            "budget.steps": steps,
            "train.batch_size": self.batch_size,
            "train.seed": seed,
            "train.threads": self.threads,
            "cadence.log_every": 50,
            "cadence.grid_every": 0,
            "cadence.checkpoint_every": 200,
            "eval.n": self.curve_n,
            "eval.member": system.member,
            "eval.every": max(1, round(steps / self.curve_points)),
            **system.values,
            "out": str(out),
        }
        return apply_values(recipe_config(recipe), values)


def train_and_evaluate(
    settings: Settings, recipe: str, system: System, steps: int, seed: int, out: Path, dataset
) -> dict:
    """Train (or resume, or skip) one run and evaluate it; returns its results.json row."""
    run_dir = run_path(out, recipe, system, steps, seed)
    run, timing_path, eval_path = RunDir(run_dir), run_dir / "reproduce-timing.json", run_dir / "eval" / "metrics.json"
    status = run.read_manifest().get("status") if run.manifest_path.is_file() else None
    timing = json.loads(timing_path.read_text()) if timing_path.is_file() else {"train_s": 0.0, "sessions": 0}
    config = settings.config(recipe, system, steps, seed, run_dir, dataset.n_classes)
    if status is not None:
        check_same_settings(run, config)
    if status != "complete":
        print(
            f"== {recipe} {system.label}, {steps} steps, seed {seed}: "
            f"{'resuming' if status else 'training'} -> {run_dir}",
            file=sys.stderr,
        )
        start = time.perf_counter()
        try:
            train(config, resume=status is not None, dataset=dataset)
        finally:  # an interrupted session's time counts too
            timing = {"train_s": timing["train_s"] + time.perf_counter() - start, "sessions": timing["sessions"] + 1}
            timing_path.write_text(json.dumps(timing))
    if status != "complete" or not eval_path.is_file():
        print(f"== {recipe} {system.label}, seed {seed}: evaluating", file=sys.stderr)
        evaluate_run(
            run_dir,
            EvalOptions(n=settings.n_eval, cas_n=settings.cas_n, member=system.member, floor=False, progress=False),
        )
    summary = json.loads(eval_path.read_text())
    curve = [(r["step"], r["eval"]["fid"]) for r in read_metrics(run.metrics_path) if "eval" in r]
    return {
        "recipe": recipe,
        "system": system.key,
        "label": system.label,
        "steps": steps,
        "seed": seed,
        "run": str(run_dir),
        "extractors": summary["extractors"],
        "metrics": summary["metrics"],
        "train_s": timing["train_s"],
        "img_per_s": real_images(run) / timing["train_s"],
        "curve": curve,
    }


def check_same_settings(run: RunDir, config: RunConfig) -> None:
    """Exit with one line if `run` was trained with other settings than its cell's `config` (an earlier recipe's,
    say), so a table never mixes them; the thread count may differ."""
    try:
        check_resumable(run, apply_values(config, {"train.threads": saved_config(run).train.threads}))
    except ConfigError as exc:
        message = f"{run.path} was trained with other settings than this grid's; give another --out ({exc})"
        raise SystemExit(message) from None


def run_path(out: Path, recipe: str, system: System, steps: int, seed: int) -> Path:
    return out / recipe / system.key / f"steps-{steps}" / f"seed-{seed}"


def is_finished(out: Path, recipe: str, system: System, steps: int, seed: int) -> bool:
    """Whether the run is complete and evaluated (what `--report` tabulates)."""
    run = RunDir(run_path(out, recipe, system, steps, seed))
    return (
        run.manifest_path.is_file()
        and run.read_manifest().get("status") == "complete"
        and (run.path / "eval" / "metrics.json").is_file()
    )


def real_images(run: RunDir) -> int:
    """Real images the run's discriminators saw: generator steps x batch x critic steps, summed over its pairs."""
    config = json.loads(run.config_path.read_text())
    steps = sum(m["target_steps"] for m in run.read_manifest()["members"])
    critic = config["loss"]["n_critic"] or get_loss(config["loss"]["name"]).n_critic
    return steps * config["train"]["batch_size"] * critic


def cell(values: list[float], fmt: str) -> str:
    """mean ± sample std (just the mean for one seed)."""
    if not values:
        return "—"
    if len(values) == 1:
        return fmt.format(values[0]) + " (1 seed)"
    return f"{fmt.format(statistics.mean(values))} ± {fmt.format(statistics.stdev(values))}"


def budget_table(rows: list[dict], floor: dict) -> list[str]:
    head = ["system", "recipe", "steps", *(c[0] for c in COLUMNS), "train s", "img/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for system in ALL_SYSTEMS:
        for recipe in RECIPES:
            mine = [r for r in rows if r["system"] == system.key and r["recipe"] == recipe]
            if not mine:
                continue
            cells = [system.label, recipe, str(mine[0]["steps"])]
            cells += [cell([r["metrics"][key] for r in mine if key in r["metrics"]], fmt) for _, key, fmt in COLUMNS]
            cells += [cell([r["train_s"] for r in mine], "{:.0f}"), cell([r["img_per_s"] for r in mine], "{:.0f}")]
            lines.append("| " + " | ".join(cells) + " |")
    floor_cells = [cell([floor[key]] if key in floor else [], fmt).replace(" (1 seed)", "") for _, key, fmt in COLUMNS]
    lines.append("| real-data floor (train images) | | | " + " | ".join(floor_cells) + " | | |")
    return lines


def plot_curves(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for (recipe, key), mine in sorted(
        {
            (r["recipe"], r["system"]): [x for x in rows if (x["recipe"], x["system"]) == (r["recipe"], r["system"])]
            for r in rows
        }.items()
    ):
        curves = [r["curve"] for r in mine if r["curve"]]
        if curves:
            length = min(len(c) for c in curves)
            ax.plot(
                [curves[0][i][0] for i in range(length)],
                [statistics.mean(c[i][1] for c in curves) for i in range(length)],
                marker="o",
                ls="-" if recipe == "recommended" else "--",
                label=f"{key}, {recipe}",
            )
    ax.set(xlabel="generator steps", ylabel="FID (2,000 samples, canonical classifier)", title=title, yscale="log")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_results(
    settings: Settings, rows_by_budget: dict[str, list[dict]], floor: dict, out: Path, command: str
) -> None:
    identities = {r["extractors"] for rows in rows_by_budget.values() for r in rows} | {floor["extractors"]}
    if len(identities) > 1:  # never one table of figures on different scales
        raise SystemExit(
            f"runs were measured with different extractors ({', '.join(sorted(identities))}); re-evaluate them"
        )
    (out / "grids").mkdir(exist_ok=True)
    lines = [
        f"# {settings.data}: S = {settings.steps} steps, seeds {', '.join(map(str, settings.seeds))}, "
        f"width {settings.width:g}, batch {settings.batch_size}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.platform()}, torch {torch.__version__}, {settings.threads} threads  ",
        f"Extractors: `{identities.pop()}` (the canonical classifier); "
        f"{settings.n_eval:,} samples against the test split; "
        f"CAS trains on {settings.cas_n:,} generated images (the floor's on as many real ones).",
        "",
    ]
    for budget, rows in rows_by_budget.items():
        lines += [
            f"## ({budget}) {BUDGETS[budget]}",
            "",
            *budget_table(rows, floor["metrics"]),
            "",
            f"![FID over training]({f'fid_curve-{budget}.png'})",
            "",
        ]
        plot_curves(rows, out / f"fid_curve-{budget}.png", f"({budget}) {BUDGETS[budget]}")
        for r in rows:
            if r["seed"] == settings.seeds[0]:
                shutil.copyfile(
                    Path(r["run"]) / "eval" / "samples.png", out / "grids" / f"{budget}-{r['recipe']}-{r['system']}.png"
                )
    (out / "results.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(
        json.dumps({"settings": asdict(settings), "command": command, "floor": floor, "runs": rows_by_budget}, indent=1)
    )


def parse_args(argv: list[str] | None) -> tuple[Settings, list[System], Path]:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    p.add_argument("--data", help="data set (default: fashion-mnist; digits with --quick)")
    p.add_argument(
        "--steps", type=int, help="S, generator steps per class pair (default: 600, the demo's; 30 with --quick)"
    )
    p.add_argument(
        "--budgets",
        nargs="+",
        choices=tuple(BUDGETS),
        default=list(BUDGETS),
        help="(a) equal steps per network, (b) equal total images",
    )
    p.add_argument("--recipes", nargs="+", choices=tuple(RECIPES), default=list(RECIPES))
    p.add_argument("--seeds", type=int, nargs="+", help="seeds (default: 0 1 2; 0 with --quick)")
    p.add_argument(
        "--systems",
        nargs="+",
        choices=[s.key for s in ALL_SYSTEMS],
        help=f"default: {' '.join(s.key for s in SYSTEMS)}",
    )
    p.add_argument(
        "--width", type=float, default=0.25, help="channel multiplier of the conv nets (default: %(default)s)"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="every network's batch (default: %(default)s); with --steps S, budget (b) is K x S batches of it",
    )
    p.add_argument("--n", type=int, help="samples per evaluation (default: 10000; 2000 for digits)")
    p.add_argument("--cas-n", type=int, help="generated images CAS trains on (default: 10000; 1000 for digits)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: %(default)s)")
    p.add_argument("--out", help="results folder (default: runs/reproduce/<data>)")
    p.add_argument("--quick", action="store_true", help="digits unless --data is given, one seed, 30 steps: minutes")
    p.add_argument(
        "--report",
        action="store_true",
        help="train and evaluate nothing: tabulate the finished, evaluated runs "
        "of the grid found in --out (the grid grown in stages, each cell with the seeds it has)",
    )
    args = p.parse_args(argv)
    data = args.data or ("digits" if args.quick else "fashion-mnist")
    small = args.quick or data == "digits"
    settings = Settings(
        data=data,
        steps=args.steps or (30 if args.quick else 600),
        budgets=args.budgets,
        recipes=args.recipes,
        seeds=args.seeds if args.seeds is not None else ([0] if args.quick else [0, 1, 2]),
        width=args.width,
        batch_size=args.batch_size,
        n_eval=args.n or (2000 if small else 10_000),
        cas_n=args.cas_n or (1000 if small else 10_000),
        threads=args.threads,
        report_only=args.report,
    )
    systems = list(SYSTEMS) if args.systems is None else [s for s in ALL_SYSTEMS if s.key in args.systems]
    return settings, systems, Path(args.out or f"runs/reproduce/{data}")


def main(argv: list[str] | None = None) -> int:
    settings, systems, out = parse_args(argv)
    torch.set_num_threads(settings.threads)
    out.mkdir(parents=True, exist_ok=True)
    dataset = load_dataset(dataset_config(settings))
    floor_path = out / f"floor-cas{settings.cas_n}" / "metrics.json"
    if not floor_path.is_file():
        evaluate_real_baseline(
            dataset_config(settings),
            EvalOptions(n=settings.n_eval, cas_n=settings.cas_n, progress=False),
            floor_path.parent,
        )
    floor_summary = json.loads(floor_path.read_text())
    floor = {"metrics": floor_summary["real_floor"], "extractors": floor_summary["extractors"]}
    rows_by_budget: dict[str, list[dict]] = {}
    for budget in settings.budgets:
        cells = [
            (recipe, system, settings.generator_steps(system, budget, dataset.n_classes), seed)
            for seed in settings.seeds
            for recipe in settings.recipes
            for system in systems
        ]
        if settings.report_only:
            cells = [c for c in cells if is_finished(out, *c)]
        rows_by_budget[budget] = [train_and_evaluate(settings, *cell, out, dataset) for cell in cells]
    command = "python benchmarks/reproduce.py " + " ".join(sys.argv[1:] if argv is None else argv)
    write_results(settings, rows_by_budget, floor, out, command)
    print((out / "results.md").read_text())
    return 0


def dataset_config(settings: Settings):
    return apply_values(RunConfig(), {"data.name": settings.data}).data


if __name__ == "__main__":
    sys.exit(main())
