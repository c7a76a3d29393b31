"""`ganfleet train --nproc N`: the same command as N processes on this machine, under torchrun.

The process replaces itself (exec) with

    python -m torch.distributed.run --standalone --nproc-per-node N [--max-restarts K] -m ganfleet <args>

so signals (Ctrl-C, SIGTERM) reach torchrun directly, which passes them on to
its workers. Each worker gets OMP_NUM_THREADS = cores // N unless it is set
already (torchrun alone would give every worker 1 thread).
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, NoReturn, Sequence

from ganfleet.distributed.env import detect_launch
from ganfleet.errors import ClusterError

LAUNCH_FLAGS = ("--nproc", "--max-restarts")  # ours, not passed on to the workers


def without_launch_flags(argv: Sequence[str]) -> list[str]:
    """`argv` minus --nproc and --max-restarts (as `--flag N` or `--flag=N`)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in LAUNCH_FLAGS:
            skip = True
        elif not arg.startswith(tuple(f"{flag}=" for flag in LAUNCH_FLAGS)):
            out.append(arg)
    return out


def torchrun_command(nproc: int, argv: Sequence[str], max_restarts: int = 0) -> list[str]:
    """The torchrun command line that runs `ganfleet <argv>` as `nproc` local ranks."""
    if nproc < 1:
        raise ClusterError(f"--nproc: expected at least 1 process, got {nproc}")
    if max_restarts < 0:
        raise ClusterError(f"--max-restarts: expected >= 0, got {max_restarts}")
    restarts = [f"--max-restarts={max_restarts}"] if max_restarts else []
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", *restarts,
            "-m", "ganfleet", *without_launch_flags(argv)]


def worker_environment(nproc: int, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` plus OMP_NUM_THREADS = usable cores // nproc when not set."""
    env = dict(environ)
    if "OMP_NUM_THREADS" not in env:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        env["OMP_NUM_THREADS"] = str(max(1, cores // nproc))
    return env


def relaunch(nproc: int, argv: Sequence[str], max_restarts: int = 0) -> NoReturn:
    """Replace this process by torchrun running `ganfleet <argv>` on `nproc` ranks."""
    launcher = detect_launch(os.environ).launcher
    if launcher != "single":
        raise ClusterError(f"--nproc: this process already runs under {launcher}; drop --nproc")
    command = torchrun_command(nproc, argv, max_restarts)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, worker_environment(nproc, os.environ))
