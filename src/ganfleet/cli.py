"""The `ganfleet` command.

    ganfleet inspect-data --data fashion-mnist
    ganfleet train --data fashion-mnist --strategy class-parallel --loss ns --epochs 5 --out runs/fm
    ganfleet train --config configs/paper-dccgan-fashion-mnist.yaml --set train.epochs=2
    ganfleet train --config ... --resume
    ganfleet train --data fashion-mnist --strategy sgan --split-by-class --out runs/sgan
    ganfleet train ... --nproc 2                     # or: torchrun --nproc-per-node 2 -m ganfleet train ...
    ganfleet sample runs/fm --n 100 --out grid.png
    ganfleet sample runs/fm --labels 3,3,7 --out samples.npz
    ganfleet demo
    ganfleet classifier train --data fashion-mnist --out classifiers/fm
    ganfleet evaluate runs/fm --n 10000

Errors in the input (data, config, run directory) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ganfleet import __version__
from ganfleet.config import DataConfig, EvalConfig, ModelConfig, RunConfig, TrainConfig, apply_override, apply_values, field_help, load_config
from ganfleet.errors import GanfleetError

# (flag, dotted config key, type) of the options `train` exposes directly; any
# other key is reachable with --set. Help texts come from the config fields.
DATA_FLAGS = [
    ("--data", "data.name", str),
    ("--data-dir", "data.path", str),
    ("--split", "data.split", str),
    ("--classes", "data.classes", str),
    ("--max-per-class", "data.max_per_class", int),
    ("--image-size", "data.image_size", int),
    ("--mixture", "data.mixture", str),
]
TRAIN_FLAGS = [
    ("--strategy", "train.strategy", str),
    ("--loss", "train.loss", str),
    ("--n-critic", "train.n_critic", int),
    ("--epochs", "train.epochs", float),
    ("--steps", "train.steps", int),
    ("--batch-size", "train.batch_size", int),
    ("--lr-g", "train.lr_g", float),
    ("--lr-d", "train.lr_d", float),
    ("--seed", "train.seed", int),
    ("--device", "train.device", str),
    ("--pack", "train.pack", str),
    ("--log-every", "train.log_every", int),
    ("--grid-every", "train.grid_every", int),
    ("--checkpoint-every", "train.checkpoint_every", int),
    ("--locals", "train.locals", int),
    ("--split-by-class", "train.split_by_class", bool),
    ("--messenger-steps", "train.messenger_steps", int),
    ("--share-weights", "train.share_weights", bool),
    ("--eval-every", "eval.every", int),
    ("--arch", "model.arch", str),
    ("--width", "model.width", float),
    ("--d-norm", "model.d_norm", str),
    ("--out", "out", str),
]
_SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig, "eval": EvalConfig, "": RunConfig}


def _help_for(key: str) -> str:
    """The config field's help text and default."""
    section, _, name = key.rpartition(".")
    cls = _SECTIONS[section]
    default = next(f.default for f in dataclasses.fields(cls) if f.name == name)
    return f"{field_help(cls).get(name, '')} (default: {default})"


def _add_flags(parser: argparse.ArgumentParser, flags: list[tuple[str, str, type]], title: str) -> None:
    group = parser.add_argument_group(title)
    for flag, key, tp in flags:
        if tp is bool:  # a switch: present sets the key to true, absent leaves the config's value
            group.add_argument(flag, dest=key, action="store_const", const=True, default=None, help=f"{_help_for(key)} [{key}]")
            continue
        group.add_argument(flag, dest=key, type=tp, default=None, metavar=key.rpartition(".")[2].upper(),
                           help=f"{_help_for(key)} [{key}]")


def _flag_values(args: argparse.Namespace, flags: list[tuple[str, str, type]]) -> dict[str, Any]:
    return {key: getattr(args, key) for _, key, _ in flags if getattr(args, key) is not None}


def config_from_args(args: argparse.Namespace, flags: list[tuple[str, str, type]]) -> RunConfig:
    """defaults < --config file < flags < --set overrides."""
    config = load_config(args.config) if getattr(args, "config", None) else RunConfig()
    config = apply_values(config, _flag_values(args, flags))
    for assignment in getattr(args, "set", None) or []:
        config = apply_override(config, assignment)
    return config


# ---------------------------------------------------------------------------- commands


def cmd_train(args: argparse.Namespace) -> int:
    from ganfleet.train.loop import train

    config = config_from_args(args, DATA_FLAGS + TRAIN_FLAGS)
    if args.dry_run:
        print(config.to_json())
        return 0
    if args.nproc > 1 or args.max_restarts:
        from ganfleet.distributed.launch import relaunch

        relaunch(args.nproc, args.argv, args.max_restarts)
    result = train(config, resume=args.resume, progress=not args.quiet)
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
    from ganfleet.fleet import Fleet
    from ganfleet.grids import display_scale, make_grid, save_png, save_scatter

    fleet = Fleet.load(args.run, device=args.device)
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
    out = Path(args.out)
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
    else:
        raise GanfleetError(f"--out {out}: expected a .png (grid) or .npz (arrays x, y) file")
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


# ---------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganfleet", description="Class-parallel conditional GANs: one generator/discriminator pair per class.")
    parser.add_argument("--version", action="version", version=f"ganfleet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a fleet (or resume one)", description="Train every pair of a strategy; the run directory becomes the fleet artifact.")
    p.add_argument("--config", help="YAML config file (see configs/); flags and --set override it")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any config key, e.g. --set train.epochs=2 (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from each pair's newest valid checkpoint")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config as JSON and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--nproc", type=int, default=1, metavar="N", help="train on N local processes: re-launches this command under torchrun "
                   "(or start it with torchrun, mpirun or srun yourself; see docs/distributed.md)")
    p.add_argument("--max-restarts", type=int, default=0, metavar="K",
                   help="run under torchrun and restart the processes up to K times after a failure; each pair resumes from its last checkpoint")
    _add_flags(p, DATA_FLAGS, "data")
    _add_flags(p, TRAIN_FLAGS, "model and training")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="draw samples from a trained fleet", description="Draw samples; labels come from the class prior unless given.")
    p.add_argument("run", help="run directory (written by train)")
    p.add_argument("--n", type=int, default=64, help="number of samples (ignored with --labels)")
    p.add_argument("--labels", help="comma-separated class indices or names, one per sample")
    p.add_argument("--out", required=True, help=".png for a grid (grouped by class), .npz for arrays x (uint8 N,H,W[,C]) and y")
    p.add_argument("--seed", type=int, default=0, help="seed for noise and labels")
    p.add_argument("--prior", choices=("empirical", "uniform"), default="empirical", help="class prior labels are drawn from")
    p.add_argument("--member", help="use this member's generator for every sample (e.g. global)")
    p.add_argument("--columns", type=int, help="grid columns (default: square grid)")
    p.add_argument("--device", default="cpu", help="device to run the generators on")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("inspect-data", help="class counts and the ANOVA F-test per channel",
                       description="Per-class counts and the paper's one-way ANOVA (between- vs within-class variance of per-image channel means).")
    p.add_argument("--config", help="YAML config file whose data section is used")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any config key")
    _add_flags(p, DATA_FLAGS, "data")
    p.set_defaults(func=cmd_inspect_data)

    p = sub.add_parser("demo", help="train a small class-parallel fleet and write samples + a report",
                       description="Fashion-MNIST when installed, else scikit-learn's bundled digits; about 5 minutes on 2 CPU cores.")
    p.add_argument("--out", default="runs/demo", help="run directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_demo)

    from ganfleet.evaluation.commands import register

    register(sub)  # classifier train, evaluate
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # `train --nproc` re-launches the same command
    try:
        return args.func(args)
    except GanfleetError as exc:
        print(f"ganfleet: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"ganfleet: interrupted{': ' + str(exc) if str(exc) else ''}; continue with --resume", file=sys.stderr)
        return 130
