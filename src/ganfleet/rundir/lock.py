"""The run directory's advisory lock: one writing job at a time.

`<run>/.ganfleet.lock` holds the writer's pid, host, start time and, under
torchrun, its job id and restart attempt. It is created with O_EXCL, so of two
processes starting at once only one gets it. A lock is taken over when its
holder is gone: a dead pid on this host (with a warning), or an earlier attempt
of the same torchrun job (torchrun stops every worker before it restarts them).
Any other holder is refused, naming the pid, host and lock file. The lock is
removed when the run ends, however it ends; a SIGKILL leaves it, stale.
"""

from __future__ import annotations

import json
import os
import socket
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from ganfleet.errors import CheckpointError

LOCK_NAME = ".ganfleet.lock"
LOCK_FORMAT = "ganfleet-lock-1"


@dataclass(frozen=True)
class LockHolder:
    """Who holds a run directory's lock."""

    pid: int
    host: str
    started: str
    job: str | None = None  # torchrun's rendezvous run id, the same for every restart of a job
    attempt: int = 0  # torchrun's restart count

    @classmethod
    def me(cls, job: str | None = None, attempt: int = 0) -> LockHolder:
        return cls(os.getpid(), socket.gethostname(), time.strftime("%Y-%m-%dT%H:%M:%S"), job, attempt)

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host} since {self.started}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host. A zombie (exited, not yet reaped: a killed worker whose
    launcher died is reaped by init a moment later) writes nothing more, so it counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"  # the state follows the command name in parentheses
    except (OSError, IndexError):
        return True  # no /proc: it exists


def read_holder(path: Path) -> LockHolder | None:
    """The holder recorded in a lock file; None when the file is gone, torn or not a ganfleet lock."""
    try:
        data = json.loads(path.read_text())
        if data.pop("format", None) != LOCK_FORMAT:
            return None
        return LockHolder(
            int(data["pid"]), str(data["host"]), str(data["started"]), data.get("job"), int(data.get("attempt", 0))
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


class RunLock:
    """The lock of the run directory `folder`, for this process (`job`, `attempt`: its torchrun job and restart)."""

    def __init__(self, folder: Path, job: str | None = None, attempt: int = 0) -> None:
        self.path = Path(folder) / LOCK_NAME
        self.me = LockHolder.me(job, attempt)
        self.held = False

    def _create(self) -> bool:
        """Create the lock file for this process; False when one exists already."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            json.dump({"format": LOCK_FORMAT, **asdict(self.me)}, f)
            f.flush()
            os.fsync(f.fileno())
        return True

    def _stale_reason(self, holder: LockHolder | None) -> str | None:
        """Why the existing lock may be taken over (None: it may not)."""
        if holder is None:
            return "a torn or foreign lock file"
        if holder.job is not None and holder.job == self.me.job and holder.attempt < self.me.attempt:
            return ""  # an earlier attempt of this torchrun job, whose workers torchrun stopped: taken over silently
        if holder.host == self.me.host and not pid_alive(holder.pid):
            return f"{holder.describe()}, which is no longer running"
        return None

    def _holder_or_stale(self) -> tuple[LockHolder | None, str | None]:
        """The current holder and why its lock may be taken over (None: it may not); CheckpointError when it may not."""
        if not self.path.is_file():  # a folder, FIFO or dangling link of that name: nothing ganfleet wrote
            raise CheckpointError(f"{self.path}: not a regular file; ganfleet's lock is a file (remove this one)")
        holder = read_holder(self.path)
        reason = self._stale_reason(holder)
        if reason is None:
            assert holder is not None
            raise CheckpointError(
                f"{self.path.parent}: another ganfleet process is writing this run ({holder.describe()}; "
                f"lock file {self.path}); wait for it to end, or delete the lock file if that process is gone"
            )
        return holder, reason

    def check(self) -> None:
        """CheckpointError if another live process holds the lock now (nothing is written)."""
        if self.path.exists():
            self._holder_or_stale()

    def acquire(self) -> None:
        """Take the lock (creating the folder); CheckpointError when another live process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self._create():
            _, reason = self._holder_or_stale()
            if reason:
                warnings.warn(f"{self.path}: taking over the lock of {reason}", stacklevel=2)
            self.path.unlink(missing_ok=True)
            if not self._create():
                raise CheckpointError(f"{self.path.parent}: another ganfleet process took the lock first ({self.path})")
        self.held = True

    def release(self) -> None:
        """Remove the lock if this process still holds it."""
        if self.held and read_holder(self.path) == self.me:
            self.path.unlink(missing_ok=True)
        self.held = False
