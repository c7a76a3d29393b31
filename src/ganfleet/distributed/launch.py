"""`ganfleet train --nproc N`: the same command as N processes on this machine, under torchrun's agent.

The agent runs inside this process, as

    torchrun --standalone --nproc-per-node N [--max-restarts K] -m ganfleet <args>

would run it, so this process stays the launcher of its workers:

- SIGINT/SIGTERM reach the agent, which passes them on to every worker; they
  checkpoint their pairs and stop (`ganfleet: interrupted: ...`, exit 130);
- each worker watches its parent (`train/interrupt.py`), so when this process
  dies (SIGKILL) the workers stop too, rather than training on unsupervised;
- a failure is one line and exit 2: the workers record their error lines in a
  folder this process names (GANFLEET_WORKER_ERRORS) instead of printing them,
  and this process prints the root cause once: the first rank's own error
  before another rank's report of it, not torchrun's ChildFailedError report.

`--nproc` must be between 1 and the usable cores, checked before any process
starts. Each worker gets OMP_NUM_THREADS = cores // N unless it is set already.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ganfleet.distributed.env import detect_launch, usable_cores
from ganfleet.errors import ClusterError

if TYPE_CHECKING:  # at run time torch.distributed.elastic is imported only where it is used
    from torch.distributed.elastic.multiprocessing.errors import ProcessFailure

LAUNCH_FLAGS = ("--nproc", "--max-restarts")  # ours, not passed on to the workers
WORKER_ERRORS = "GANFLEET_WORKER_ERRORS"  # the folder workers record their one-line errors in
LAUNCHER_PID = "GANFLEET_LAUNCHER_PID"  # ... while their parent is this launcher (else they print them)
INTERRUPTED, FAILED = 130, 2  # the launcher's exit statuses


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


def check_launch(nproc: int, max_restarts: int = 0) -> None:
    """ClusterError unless 1 <= nproc <= the usable cores and max_restarts >= 0 (before any process starts)."""
    cores = usable_cores()
    if nproc < 1:
        raise ClusterError(f"--nproc: expected at least 1 process, got {nproc}")
    if nproc > cores:
        raise ClusterError(
            f"--nproc: {nproc} processes but this machine has {cores} usable core(s); "
            "use at most that many (or start torchrun yourself to oversubscribe)"
        )
    if max_restarts < 0:
        raise ClusterError(f"--max-restarts: expected >= 0, got {max_restarts}")


def torchrun_arguments(nproc: int, argv: Sequence[str], max_restarts: int = 0) -> list[str]:
    """torchrun's arguments that run `ganfleet <argv>` as `nproc` local ranks."""
    restarts = [f"--max-restarts={max_restarts}"] if max_restarts else []
    return ["--standalone", f"--nproc-per-node={nproc}", *restarts, "-m", "ganfleet", *without_launch_flags(argv)]


def worker_environment(nproc: int, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` plus OMP_NUM_THREADS = usable cores // nproc when not set."""
    env = dict(environ)
    if "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = str(max(1, usable_cores() // nproc))
    return env


def record_worker_line(kind: str, line: str, relayed: bool, environ: Mapping[str, str] = os.environ) -> bool:
    """In a worker of `launch`: keep this rank's final line (kind error or interrupted) for the launcher.

    False (print it yourself) elsewhere, or when the launcher is gone.
    """
    folder = environ.get(WORKER_ERRORS)
    if not folder or environ.get(LAUNCHER_PID) != str(os.getppid()):
        return False
    name = (
        f"attempt-{int(environ.get('TORCHELASTIC_RESTART_COUNT', 0)):04d}-rank-{int(environ.get('RANK', 0)):06d}.json"
    )
    try:
        record = {"kind": kind, "line": line, "relayed": relayed, "rank": int(environ.get("RANK", 0))}
        (Path(folder) / name).write_text(json.dumps(record))
    except OSError:
        return False
    return True


def worker_lines(folder: Path) -> list[dict]:
    """The lines the workers of the newest attempt recorded, the ranks' own before those relaying another's, by rank."""
    files = sorted(folder.glob("attempt-*-rank-*.json"))
    newest = [f for f in files if f.name[:12] == files[-1].name[:12]] if files else []
    records = []
    for path in newest:
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return sorted(records, key=lambda r: bool(r.get("relayed")))  # stable: rank order within each kind


def failure_line(failures: Mapping[int, ProcessFailure]) -> str:
    """What torchrun knows of workers that died without a word (killed, crashed)."""
    parts = []
    for rank, failure in sorted(failures.items()):
        code = getattr(failure, "exitcode", None)
        how = (
            f"was killed by {failure.signal_name()}"
            if isinstance(code, int) and code < 0
            else f"exited with status {code}"
        )
        parts.append(f"rank {rank} (pid {getattr(failure, 'pid', '?')}) {how}")
    return "; ".join(parts) or "a worker failed"


def job_line(lines: list[dict], failures: Mapping[int, ProcessFailure]) -> tuple[int, str]:
    """The launcher's exit status and line for a job whose workers failed: a rank's own error first, then the
    ranks killed without a word, then `interrupted` when every rank stopped on request, then another rank's report."""
    errors = [r for r in lines if r["kind"] == "error"]
    own = [r for r in errors if not r.get("relayed")]
    if own:
        return FAILED, f"error: {own[0]['line']}"
    recorded = {r.get("rank") for r in lines}
    killed = {rank: f for rank, f in failures.items() if rank not in recorded and getattr(f, "exitcode", 0) < 0}
    if killed:
        return FAILED, f"error: {failure_line(killed)}"
    if lines and not errors:
        return INTERRUPTED, f"interrupted: {lines[0]['line']}"
    silent = {rank: f for rank, f in failures.items() if rank not in recorded}
    return FAILED, f"error: {failure_line(silent) if silent or not errors else errors[0]['line']}"


def launch(nproc: int, argv: Sequence[str], max_restarts: int = 0) -> tuple[int, str | None]:
    """Run `ganfleet <argv>` on `nproc` local ranks; (exit status, the one line to print or None on success)."""
    launcher = detect_launch(os.environ).launcher
    if launcher != "single":
        raise ClusterError(f"--nproc: this process already runs under {launcher}; drop --nproc")
    check_launch(nproc, max_restarts)
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    folder = Path(tempfile.mkdtemp(prefix="ganfleet-workers-"))
    saved = dict(os.environ)
    os.environ.update(
        {**worker_environment(nproc, os.environ), WORKER_ERRORS: str(folder), LAUNCHER_PID: str(os.getpid())}
    )
    logging.disable(logging.CRITICAL)  # the agent's log lines: this process reports for the job in one line
    try:
        run(parse_args(torchrun_arguments(nproc, argv, max_restarts)))
        return 0, None
    except SignalException as exc:
        lines = [r for r in worker_lines(folder) if r["kind"] == "interrupted"]
        status = 128 + int(exc.sigval)  # as a process killed by it: SIGINT 130, SIGTERM 143
        return status, f"interrupted: {lines[0]['line'] if lines else f'stopped by {exc.sigval.name}'}"
    except ChildFailedError as exc:
        return job_line(worker_lines(folder), exc.failures)
    finally:
        logging.disable(logging.NOTSET)
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(folder, ignore_errors=True)
