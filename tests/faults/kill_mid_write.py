"""`ganfleet` that SIGKILLs itself in the middle of its K-th checkpoint write (fault injection, the test's doing).

GANFLEET_KILL_AT=K        the K-th checkpoint written by this process
GANFLEET_KILL_HOW=half    half of the file's bytes are in the temporary when the process dies
GANFLEET_KILL_HOW=rename  the temporary is whole and on disk, the rename has not happened
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import ganfleet.rundir.checkpoint as checkpoint
from ganfleet.cli import main
from ganfleet.rundir.atomic import temporary_path

real_atomic_write = checkpoint.atomic_write
kill_at, how = int(os.environ["GANFLEET_KILL_AT"]), os.environ["GANFLEET_KILL_HOW"]
writes = 0


def dying_write(path: Path, write) -> None:
    global writes
    writes += 1
    if writes < kill_at:
        return real_atomic_write(path, write)
    tmp = temporary_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write(tmp)
    if how == "half":
        data = tmp.read_bytes()
        tmp.write_bytes(data[: len(data) // 2])
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


checkpoint.atomic_write = dying_write
sys.exit(main(sys.argv[1:]))
