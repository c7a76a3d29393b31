"""The `train`, `inspect-data`, `demo` and `merge` subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganfleet.cli.flags import DATA_FLAGS, TRAIN_FLAGS, add_config_flags, add_flags, config_from_args, count
from ganfleet.config import RunConfig, apply_values
from ganfleet.rundir import RunDir

DEFAULT_RECIPE = "recommended"  # what `train` builds on images without --recipe (RunConfig() is the paper's)


def train_config(args: argparse.Namespace) -> RunConfig:
    """The run's config: a new run's under the recipe (`DEFAULT_RECIPE` unless --recipe), file, flags and --set;
    with --resume, the run directory's own saved config under whatever of those is given.

    Under GANFLEET_SMOKE its budget is capped here, once (`ganfleet.smoke`).
    """
    from ganfleet import smoke
    from ganfleet.pairs.build import capped_budget

    config = config_from_args(args, DATA_FLAGS + TRAIN_FLAGS)
    resuming = args.resume and RunDir(config.out).exists()
    if not resuming and args.recipe is None and config.data.name != "toy":  # the recipe is for images
        args.recipe = DEFAULT_RECIPE
        config = config_from_args(args, DATA_FLAGS + TRAIN_FLAGS)
    if resuming:
        from ganfleet.rundir.resume import saved_config

        further = getattr(args, "data.classes", None)  # --classes on --resume: these pairs train further
        setattr(args, "data.classes", None)  # the data stay the run's
        config = config_from_args(args, DATA_FLAGS + TRAIN_FLAGS, base=saved_config(RunDir(config.out)))
        if further is not None:
            budget = {f"budget.{key}": getattr(config.budget, key) for key in config.budget.KEYS}
            config = apply_values(config, {**budget, "budget.classes": further})
    return capped_budget(config, smoke.limit(smoke.STEPS))


def dry_run(config: RunConfig, resume: bool = False, nproc: int = 1) -> int:
    """Load the data and plan the run (so bad classes or shapes fail here), print the resolved config and the plan
    line; resuming, with the budgets the run's pairs were trained to.
    """
    from ganfleet.devices import resolve_device
    from ganfleet.train.estimate import plan_summary, resolved_config
    from ganfleet.train.run_plan import kept_budgets, plan_run

    run = RunDir(config.out)
    plan = plan_run(config, kept=kept_budgets(run.read_manifest(), config) if resume and run.exists() else None)
    print(resolved_config(config, plan, nproc).to_json())
    print(plan_summary(config, plan, str(resolve_device(config.train.device))), file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from ganfleet.distributed.launch import check_launch
    from ganfleet.train.loop import train

    config = train_config(args)
    check_launch(args.nproc, args.max_restarts)
    if args.dry_run:
        return dry_run(config, args.resume, args.nproc)
    if args.nproc > 1 or args.max_restarts:
        from ganfleet.distributed.launch import launch

        status, line = launch(args.nproc, args.argv, args.max_restarts)
        if line:
            print(f"ganfleet: {line}", file=sys.stderr)
        return status
    result = train(config, resume=args.resume, progress=not args.quiet, force=args.force)
    if result.rank != 0:  # rank 0 speaks for the job
        return 0
    steps = sorted(set(result.steps.values()))
    print(
        f"trained {len(result.steps)} pair(s) to step {steps[0] if len(steps) == 1 else f'{steps[0]}..{steps[-1]}'} "
        f"in {result.seconds:.1f} s ({result.images_per_second:.0f} img/s) -> {result.run_dir}"
    )
    if result.telemetry and result.telemetry["world_size"] > 1:
        from ganfleet.distributed import format_table

        print(format_table(result.telemetry))
    return 0


def cmd_inspect_data(args: argparse.Namespace) -> int:
    from ganfleet.data import load_dataset
    from ganfleet.data.diagnostics import format_report

    config = config_from_args(args, DATA_FLAGS)
    print(format_report(load_dataset(config.data)))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ganfleet.demo import run_demo

    run_demo(Path(args.out), progress=not args.quiet)
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from ganfleet.train.merge import merge_runs

    merged = merge_runs(args.runs, args.out)
    pairs = len(merged.read_manifest()["members"])
    print(f"merged {len(args.runs)} runs ({pairs} pairs) -> {merged.path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add train, inspect-data, demo and merge to the ganfleet parser."""
    p = sub.add_parser(
        "train",
        help="train a fleet (or resume one)",
        description="Train every pair of a strategy; the run directory becomes the fleet artifact.",
    )
    add_config_flags(p, recipes=True)
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from each pair's newest valid checkpoint, "
        "with the run's own saved config: give only what changes (e.g. --epochs 10 to train longer)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="load the data, print the config with every auto/null resolved that can be before training (JSON, "
        "stdout; threads as chosen now, pack auto is timed at the start) and the plan (stderr), then exit",
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress (a bar on a terminal, one plain line per tick otherwise)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="train in --out even though it holds files that are not a ganfleet run "
        "(none of them is touched; refused if one has a name ganfleet writes)",
    )
    p.add_argument(
        "--nproc",
        type=count(1),
        default=1,
        metavar="N",
        help="train on N local processes (at most the cores), "
        "under torchrun's agent in this process (or start it with torchrun, mpirun or srun yourself; see "
        "docs/distributed.md)",
    )
    p.add_argument(
        "--max-restarts",
        type=count(0),
        default=0,
        metavar="K",
        help="run under torchrun and restart the processes up to K times after a failure; each pair resumes from its "
        "last checkpoint",
    )
    add_flags(p, DATA_FLAGS, "data")
    add_flags(p, TRAIN_FLAGS, "model and training")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "inspect-data",
        help="class counts and the ANOVA F-test per channel",
        description="Per-class counts and the paper's one-way ANOVA (between- vs within-class variance of per-image "
        "channel means).",
    )
    add_config_flags(p)
    add_flags(p, DATA_FLAGS, "data")
    p.set_defaults(func=cmd_inspect_data)

    p = sub.add_parser(
        "demo",
        help="train a small class-parallel fleet and write samples + a report",
        description="Fashion-MNIST when installed, else scikit-learn's bundled digits; under 10 minutes of training "
        "on 2 CPU cores (the recommended recipe, a conditional warm start on two thirds of the images, MSGAN's "
        "diversity term at 0.05). Run again on an unfinished demo, it continues where it stopped; a demo "
        "of other settings is left as it is.",
    )
    p.add_argument("--out", default="runs/demo", help="run directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_demo, resume_hint="run the same ganfleet demo command again to continue")

    p = sub.add_parser(
        "merge",
        help="put class-parallel runs of disjoint classes of the same data into one run",
        description="Runs trained apart on slices of the classes (--classes, e.g. the tasks of a job array) "
        "become one fleet; the sources are only read. See docs/distributed.md.",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="finished class-parallel run folders, without a warm start")
    p.add_argument("--out", required=True, help="the new run folder (must not exist)")
    p.set_defaults(func=cmd_merge)
