"""File-system errors for real, in a private mount namespace (root only, else skipped): a read-only file system and
a full one. Each is one line naming the file, exit status 2; on a full disk the older checkpoints stay intact."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ganfleet.rundir import LOCK_NAME, is_temporary, list_checkpoints, read_checkpoint
from tests.faults.conftest import MEMBERS, REPO, FaultEnv, snapshot, subprocess_env, tiny_train_args

pytestmark = pytest.mark.slow


def private_mounts() -> bool:
    """Whether this process may mount file systems in a mount namespace of its own."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not private_mounts(), reason="needs root and unshare to mount a test file system")


def in_namespace(script: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`script` (bash) in a private mount namespace: its mounts vanish with it and touch nothing outside."""
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-euc", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=subprocess_env(),
        timeout=timeout,
    )


def ganfleet_line(argv: list[str], out: Path) -> str:
    """A shell line running ganfleet with `argv`, its stderr and status kept in `out`."""
    args = " ".join(f"'{a}'" for a in argv)
    return f"{{ {sys.executable} -m ganfleet {args} 2> {out}.err; echo $? > {out}.status; }} || true"


def outcome(out: Path) -> tuple[int, list[str]]:
    return int(Path(f"{out}.status").read_text()), [
        line for line in Path(f"{out}.err").read_text().splitlines() if line.strip()
    ]


@needs_mounts
def test_a_read_only_file_system(fault_env: FaultEnv, tmp_path: Path) -> None:
    source, view = tmp_path / "source", tmp_path / "view"
    source.mkdir()
    view.mkdir()
    shutil.copytree(fault_env.run, source / "run")
    before = snapshot(source)
    done = in_namespace(
        f"mount --bind {source} {view}; mount -o remount,bind,ro {view}\n"
        + ganfleet_line(tiny_train_args(fault_env.npz, view / "run", "--steps", "6", "--resume"), tmp_path / "resume")
        + "\n"
        + ganfleet_line(tiny_train_args(fault_env.npz, view / "new", "--steps", "2"), tmp_path / "new")
    )
    assert done.returncode == 0, done.stderr
    for name, where in (("resume", view / "run" / LOCK_NAME), ("new", view / "new")):
        status, lines = outcome(tmp_path / name)
        assert status == 2 and lines == [f"ganfleet: error: {where}: Read-only file system"], lines
    assert snapshot(source) == before


@needs_mounts
def test_a_full_disk_keeps_the_older_checkpoints(fault_env: FaultEnv, tmp_path: Path) -> None:
    disk, kept = tmp_path / "disk", tmp_path / "kept"
    disk.mkdir()
    fill = (
        f"{sys.executable} -c \"import os; s = os.statvfs('{disk}'); "
        f"open('{disk}/filler', 'wb').write(bytes(s.f_bavail * s.f_frsize - 256 * 1024))\""
    )
    before = {m: {p.name: p.read_bytes() for p in list_checkpoints(fault_env.run / "pairs" / m)} for m in MEMBERS}
    done = in_namespace(
        f"mount -t tmpfs -o size=24m tmpfs {disk}; cp -a {fault_env.run} {disk}/run; {fill}\n"
        + ganfleet_line(tiny_train_args(fault_env.npz, disk / "run", "--steps", "8", "--resume"), tmp_path / "full")
        + f"\ncp -a {disk}/run {kept}"
    )
    assert done.returncode == 0, done.stderr
    status, lines = outcome(tmp_path / "full")
    assert status == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"ganfleet: error: {kept.parent / 'disk' / 'run' / 'pairs'}") and lines[0].endswith(
        ".safetensors: No space left on device"
    ), lines
    for member, files in before.items():  # no checkpoint of 1.3 MB fits in the 256 KiB left: all are as they were
        assert {p.name: p.read_bytes() for p in list_checkpoints(kept / "pairs" / member)} == files
        read_checkpoint(list_checkpoints(kept / "pairs" / member)[-1])  # whole
    assert not [p for p in kept.rglob("*") if is_temporary(p.name) or p.name == LOCK_NAME]
