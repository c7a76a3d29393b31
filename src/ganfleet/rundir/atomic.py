"""Atomic file writes: a temporary file in the same folder, flushed to disk, then renamed over the target.

A crash or kill leaves either the old file or the new one, never half of one;
the temporary a killed writer leaves behind is removed by `remove_temporaries`
before the folder is written again. Temporaries are named
`.ganfleet-tmp.<pid>.<name>`, a prefix no user file is likely to carry; the
older name `.<name>.tmp-<pid>` is still cleaned up, but only for the names
ganfleet writes into a run directory, so a user's `.draft.tmp-42` is left alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

TEMPORARY_PREFIX = ".ganfleet-tmp."
_TEMPORARY = re.compile(r"^\.ganfleet-tmp\.\d+\..+$")
# the names run directories held before the prefix, with that era's temporary pattern
_OLD_TEMPORARY = re.compile(
    r"^\.(config\.json|manifest\.json|progress\.json|telemetry\.json|step-\d{8}\.safetensors)\.tmp-\d+$"
)


def temporary_path(path: Path) -> Path:
    """The temporary `atomic_write` writes `path` to, in the same folder."""
    return path.with_name(f"{TEMPORARY_PREFIX}{os.getpid()}.{path.name}")


def is_temporary(name: str) -> bool:
    """Whether a file name is a temporary of an interrupted `atomic_write` (this version's or an older one's)."""
    return bool(_TEMPORARY.match(name) or _OLD_TEMPORARY.match(name))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(tmp_path)`, fsync, then rename onto `path` (same folder, so the rename is atomic).

    An OSError (a full or read-only disk) names `path`, not the temporary; `path` keeps its old content.
    """
    tmp = temporary_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None  # errno keeps the subclass
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text))


def remove_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files `atomic_write` leaves when its process is killed mid-write; returns them.

    Call only while no process writes into `folder` (the run's lock is held, before a pair resumes).
    """
    if not folder.is_dir():
        return []
    stale = [p for p in folder.iterdir() if is_temporary(p.name) and p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
