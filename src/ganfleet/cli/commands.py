"""The `train`, `sample`, `inspect-data` and `demo` subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from ganfleet.cli.flags import DATA_FLAGS, TRAIN_FLAGS, MAX_SAMPLES, add_config_flags, add_flags, config_from_args, count
from ganfleet.errors import ConfigError, GanfleetError

SAMPLE_SUFFIXES = (".png", ".npz")


def cmd_train(args: argparse.Namespace) -> int:
    from ganfleet.distributed.launch import check_launch
    from ganfleet.train.loop import train

    config = config_from_args(args, DATA_FLAGS + TRAIN_FLAGS)
    check_launch(args.nproc, args.max_restarts)
    if args.dry_run:
        print(config.to_json())
        return 0
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
    print(f"trained {len(result.steps)} pair(s) to step {steps[0] if len(steps) == 1 else f'{steps[0]}..{steps[-1]}'} "
          f"in {result.seconds:.1f} s ({result.images_per_second:.0f} img/s) -> {result.run_dir}")
    if result.telemetry and result.telemetry["world_size"] > 1:
        from ganfleet.distributed import format_table

        print(format_table(result.telemetry))
    return 0


def _parse_labels(text: str, fleet_classes: list[str]) -> list[int]:
    labels = []
    for part in text.split(","):
        part = part.strip()
        if part.lstrip("-").isdigit():
            labels.append(int(part))
        elif part in fleet_classes:
            labels.append(fleet_classes.index(part))
        else:
            raise GanfleetError(f"--labels: {part!r} is neither a class index nor a class name ({', '.join(fleet_classes)})")
    return labels


def cmd_sample(args: argparse.Namespace) -> int:
    from ganfleet.data.dataset import to_uint8
    from ganfleet.devices import resolve_device
    from ganfleet.fleet import Fleet
    from ganfleet.grids import display_scale, make_grid, save_png, save_scatter

    out = Path(args.out)
    if out.suffix not in SAMPLE_SUFFIXES:
        raise ConfigError(f"--out {out}: expected a .png (grid) or .npz (arrays x, y) file")
    if out.is_dir():
        raise ConfigError(f"--out {out}: is a folder; name a .png or .npz file")
    fleet = Fleet.load(args.run, device=resolve_device(args.device, "--device"))
    labels = None
    if args.labels:
        labels = _parse_labels(args.labels, fleet.class_names)
        n = len(labels)
    else:
        n = args.n
    if labels is None and fleet.is_conditional(args.member):
        labels = fleet.draw_labels(n, seed=args.seed, prior=args.prior).sort().values.tolist()  # grouped by class
    try:
        x = fleet.sample(n, labels=labels, seed=args.seed, member=args.member, prior=args.prior)
    except (ValueError, KeyError) as exc:
        raise GanfleetError(f"sample: {exc}") from None
    y = np.asarray(labels if labels is not None else [-1] * n, dtype=np.int64)
    if out.suffix == ".npz":
        out.parent.mkdir(parents=True, exist_ok=True)
        if x.ndim == 4:
            images = to_uint8(x).permute(0, 2, 3, 1).numpy()
            images = images[..., 0] if images.shape[-1] == 1 else images
            np.savez_compressed(out, x=images, y=y, class_names=np.array(fleet.class_names))
        else:
            np.savez_compressed(out, x=x.numpy(), y=y, class_names=np.array(fleet.class_names))
    elif out.suffix == ".png":
        if x.ndim == 4:
            ncol = args.columns or max(1, int(round(n**0.5)))
            save_png(make_grid(x, ncol), out, scale=display_scale(x.shape[-1]))
        else:
            save_scatter(x, torch.as_tensor(y) if labels is not None else None, out)
    print(f"wrote {n} samples -> {out}")
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


def register(sub: argparse._SubParsersAction) -> None:
    """Add train, sample, inspect-data and demo to the ganfleet parser."""
    p = sub.add_parser("train", help="train a fleet (or resume one)", description="Train every pair of a strategy; the run directory becomes the fleet artifact.")
    add_config_flags(p, recipes=True)
    p.add_argument("--resume", action="store_true", help="continue the run in --out from each pair's newest valid checkpoint")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config as JSON and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="train in --out even though it holds files that are not a ganfleet run "
                   "(none of them is touched; refused if one has a name ganfleet writes)")
    p.add_argument("--nproc", type=count(1), default=1, metavar="N", help="train on N local processes (at most the cores), "
                   "under torchrun's agent in this process (or start it with torchrun, mpirun or srun yourself; see docs/distributed.md)")
    p.add_argument("--max-restarts", type=count(0), default=0, metavar="K",
                   help="run under torchrun and restart the processes up to K times after a failure; each pair resumes from its last checkpoint")
    add_flags(p, DATA_FLAGS, "data")
    add_flags(p, TRAIN_FLAGS, "model and training")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="draw samples from a trained fleet", description="Draw samples; labels come from the class prior unless given.")
    p.add_argument("run", help="run directory (written by train)")
    p.add_argument("--n", type=count(1, MAX_SAMPLES), default=64, help="number of samples (ignored with --labels)")
    p.add_argument("--labels", help="comma-separated class indices or names, one per sample")
    p.add_argument("--out", required=True, help=".png for a grid (grouped by class), .npz for arrays x (uint8 N,H,W[,C]) and y")
    p.add_argument("--seed", type=int, default=0, help="seed for noise and labels")
    p.add_argument("--prior", choices=("empirical", "uniform"), default="empirical", help="class prior labels are drawn from")
    p.add_argument("--member", help="use this member's generator for every sample (e.g. global)")
    p.add_argument("--columns", type=count(1), help="grid columns (default: square grid)")
    p.add_argument("--device", default="cpu", help="device to run the generators on")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("inspect-data", help="class counts and the ANOVA F-test per channel",
                       description="Per-class counts and the paper's one-way ANOVA (between- vs within-class variance of per-image channel means).")
    add_config_flags(p)
    add_flags(p, DATA_FLAGS, "data")
    p.set_defaults(func=cmd_inspect_data)

    p = sub.add_parser("demo", help="train a small class-parallel fleet and write samples + a report",
                       description="Fashion-MNIST when installed, else scikit-learn's bundled digits; about 5 minutes on 2 CPU cores.")
    p.add_argument("--out", default="runs/demo", help="run directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_demo)
