"""The `ganfleet` command.

    ganfleet inspect-data --data fashion-mnist
    ganfleet train --data fashion-mnist --strategy class-parallel --loss ns --epochs 5 --out runs/fm
    ganfleet train --config configs/paper-dccgan-fashion-mnist.yaml --set budget.epochs=2
    ganfleet train --config ... --resume
    ganfleet train --data fashion-mnist --strategy sgan --split-by-class --out runs/sgan
    ganfleet train ... --nproc 2                     # or: torchrun --nproc-per-node 2 -m ganfleet train ...
    ganfleet sample runs/fm --n 100 --out grid.png
    ganfleet sample runs/fm --labels 3,3,7 --out samples.npz
    ganfleet sample runs/fm --per-class 1000 --out export/
    ganfleet report runs/fm
    ganfleet demo
    ganfleet classifier train --data fashion-mnist --out classifiers/fm
    ganfleet evaluate runs/fm --n 10000

Errors in the input (data, config, run directory) print one line and exit 2.

    flags.py     flags generated from the config fields, shared by every subcommand
    commands.py  train, inspect-data, demo
    sample.py    sample (grids, arrays, image folders, latent walks), report
    evaluate.py  classifier train, evaluate
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ganfleet import __version__
from ganfleet.cli import commands, evaluate, sample
from ganfleet.errors import GanfleetError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganfleet", description="Class-parallel conditional GANs: one generator/discriminator pair per class.")
    parser.add_argument("--version", action="version", version=f"ganfleet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.register(sub)
    sample.register(sub)
    evaluate.register(sub)
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
    except KeyboardInterrupt as exc:  # SIGINT exits 130, SIGTERM 143, as a process killed by the signal would
        from ganfleet.train.interrupt import exit_status

        print(f"ganfleet: interrupted{': ' + str(exc) if str(exc) else ''}; continue with --resume", file=sys.stderr)
        return exit_status(exc)


__all__ = ["build_parser", "main"]
