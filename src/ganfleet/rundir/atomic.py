"""Atomic file writes: a temporary file in the same folder, flushed to disk, then renamed over the target.

A crash or kill leaves either the old file or the new one, never half of one;
the temporary a killed writer leaves behind is removed by `remove_temporaries`
before the folder is written again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable

_TEMPORARY = re.compile(r"^\..+\.tmp-\d+$")  # atomic_write's temporary names


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
    """Call `write(tmp_path)`, fsync, then rename onto `path` (same folder, so the rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text))


def remove_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files `atomic_write` leaves when its process is killed mid-write; returns them.

    Call only while no process writes into `folder` (before a pair resumes).
    """
    if not folder.is_dir():
        return []
    stale = [p for p in folder.iterdir() if _TEMPORARY.match(p.name)]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
