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
    ganfleet distill runs/fm                          # one compact conditional generator: --member distilled

Errors in the input (data, config, run directory, flags, the file system)
print one line and exit 2; any other error (a bug, a library's) one line
`ganfleet: internal error: ...` and exit 3 (GANFLEET_DEBUG=1 raises it with its
traceback); warnings are one line each, a library's too. Workers of
`train --nproc` leave their line to the launcher, which prints one for the job.

    flags.py     flags generated from the config fields, shared by every subcommand
    commands.py  train, inspect-data, demo, merge
    sample.py    sample (grids, arrays, image folders, latent walks), report
    evaluate.py  classifier train, evaluate
    distill.py   distill
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from ganfleet import __version__
from ganfleet.cli import commands, distill, evaluate, sample
from ganfleet.distributed import RankFailed
from ganfleet.distributed.launch import FAILED, record_worker_line
from ganfleet.errors import GanfleetError

INTERNAL_ERROR = 3  # exit status of an error that is not the project's own (input errors exit 2)


class OneLineParser(argparse.ArgumentParser):
    """argparse with its usage errors as one line (`ganfleet: error: ...`), exit 2, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(FAILED, f"ganfleet: error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="ganfleet", description="Class-parallel conditional GANs: one generator/discriminator pair per class."
    )
    parser.add_argument("--version", action="version", version=f"ganfleet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.register(sub)
    sample.register(sub)
    evaluate.register(sub)
    distill.register(sub)
    return parser


def os_error_line(exc: OSError) -> str:
    """A file-system error as one line naming the file: `<file>: <reason>`."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def report(kind: str, line: str, relayed: bool = False, status: int = FAILED) -> int:
    """Print `ganfleet: <kind>: <line>` (one line), or leave it to the `--nproc` launcher; the exit status."""
    line = " ".join(line.split("\n"))
    if not record_worker_line(kind, line, relayed):
        print(f"ganfleet: {kind}: {line}", file=sys.stderr)
    return status


@contextmanager
def one_line_warnings() -> Iterator[None]:
    """Every warning as one line: ganfleet's as `ganfleet: warning: ...`, a library's naming its kind and module."""
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        if not (category is UserWarning and "ganfleet" in str(filename)):
            text = f"{category.__name__} from {Path(str(filename)).stem}: {text}"
        print(f"ganfleet: warning: {text}", file=file or sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # `train --nproc` re-launches the same command
    with one_line_warnings():
        try:
            return args.func(args)
        except GanfleetError as exc:
            return report("error", str(exc), relayed=isinstance(exc, RankFailed))
        except OSError as exc:  # the file system: a read-only or full disk, a path that is a file, ...
            return report("error", os_error_line(exc))
        except Exception as exc:  # not the project's own: a bug, or a library's error; still one line
            if os.environ.get("GANFLEET_DEBUG"):
                raise
            line = f"{type(exc).__name__}: {exc} (run with GANFLEET_DEBUG=1 for the traceback)"
            return report("internal error", line, status=INTERNAL_ERROR)
        except KeyboardInterrupt as exc:  # SIGINT exits 130, SIGTERM 143, as a process killed by the signal would
            from ganfleet.train.interrupt import exit_status

            hint = getattr(args, "resume_hint", "continue with the same command and --resume")
            line = f"{str(exc) + '; ' if str(exc) else ''}{hint}"
            return report("interrupted", line, status=exit_status(exc))


__all__ = ["build_parser", "main"]
