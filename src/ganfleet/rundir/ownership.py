"""Which folders and files ganfleet may write: a new or empty folder, or one ganfleet wrote before.

A folder holding anything else is someone's: training (or an evaluation
report, an image export) there is refused with one line naming it. `--force`
writes there anyway, but only when none of the names ganfleet writes (for a
run, `RUN_NAMES`) is taken, so no file ganfleet did not create is ever
overwritten, appended to or deleted. An existing output file (`sample --out
x.png`) is replaced only with `--force`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from ganfleet.errors import CheckpointError
from ganfleet.rundir.atomic import is_temporary
from ganfleet.rundir.lock import LOCK_NAME, read_holder
from ganfleet.rundir.rundir import MANIFEST_FORMAT, RunDir

# everything train writes at the top of a run directory (files and folders)
RUN_NAMES = (
    "config.json",
    "manifest.json",
    "metrics.jsonl",
    "progress.json",
    "telemetry.json",
    "grids",
    "pairs",
    "ranks",
    "tensorboard",
    "eval",
    LOCK_NAME,
)
FolderKind = Literal["new", "empty", "run", "foreign"]
# what a folder of someone else's files is told ({shown}: the first of them), for a run and for other outputs
RUN_REFUSAL = (
    "not empty and not a ganfleet run (holds {shown}); choose a new or empty --out, or pass --force to train there "
    "without touching those files"
)
OUTPUT_REFUSAL = (
    "holds files ganfleet did not write ({shown}); choose a new or empty --out, or pass --force to write beside them"
)


def _is_run_manifest(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT


def folder_kind(run: RunDir) -> FolderKind:
    """new (absent), empty, run (a ganfleet manifest, or the lock of an attempt killed before it wrote one) or
    foreign."""
    path = run.path
    if not path.exists():
        return "new"
    if not path.is_dir():
        raise CheckpointError(f"{path}: --out names a file, not a folder; choose a folder for the run")
    try:
        entries = [p for p in path.iterdir() if not is_temporary(p.name)]
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot list the run folder ({exc.strerror or exc})") from None
    if not entries:
        return "empty"
    if _is_run_manifest(run.manifest_path) or read_holder(path / LOCK_NAME) is not None:
        return "run"
    return "foreign"


def check_contained(folder: Path, names: Iterable[str] = RUN_NAMES) -> None:
    """CheckpointError when one of `names` in `folder` (what ganfleet writes there) is a symbolic link: writing
    through it would change a file outside the folder."""
    for name in names:
        if (folder / name).is_symlink():
            raise CheckpointError(
                f"{folder / name}: a symbolic link; ganfleet writes its files inside the folder only (put the file or "
                "folder itself there, or remove the link)"
            )


def claim_out_dir(run: RunDir, force: bool = False) -> FolderKind:
    """The kind of `run.path`; CheckpointError if it is someone else's folder (with `force`:
    if ganfleet would overwrite a file there)."""
    kind = folder_kind(run)
    if kind == "foreign":
        refuse_foreign(run.path, RUN_NAMES, force, RUN_REFUSAL)
    return kind


def refuse_foreign(path: Path, names: Iterable[str], force: bool, refusal: str) -> None:
    """For a folder of files ganfleet did not write: without `force`, CheckpointError saying `refusal` (its
    `{shown}`: the first few of them); with `force`, CheckpointError if one of `names`, what ganfleet would
    write, is taken there."""
    if not force:
        entries = sorted(p.name for p in path.iterdir())
        shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
        raise CheckpointError(f"{path}: {refusal.format(shown=shown)}")
    taken = [name for name in names if (path / name).exists() or (path / name).is_symlink()]
    if taken:
        raise CheckpointError(
            f"{path}: --force would overwrite {', '.join(taken)}, which ganfleet did not write; "
            "move them away or choose another --out"
        )


def claim_output_file(path: Path, force: bool = False) -> None:
    """An output file ganfleet is about to write: a new name, or an existing file only with `force`."""
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder; give a file name (or end --out with / for a folder)")
    if (path.exists() or path.is_symlink()) and not force:
        raise CheckpointError(f"{path}: already exists; pass --force to replace it, or choose another --out")


def claim_output_folder(path: Path, names: Iterable[str], is_ours: Callable[[Path], bool], force: bool = False) -> bool:
    """An output folder ganfleet is about to write `names` into: new, empty or one ganfleet wrote before
    (`is_ours`; returns True: its files may be replaced); a folder of other files only with `force`, and then
    only when none of `names` is taken there."""
    if not path.exists():
        return False
    if not path.is_dir():
        raise CheckpointError(f"{path}: --out names a file, not a folder")
    if not any(path.iterdir()):
        return False
    if is_ours(path):
        return True
    refuse_foreign(path, names, force, OUTPUT_REFUSAL)
    return False
