"""The run directory: one folder per run, the fleet artifact and its training record.

    <run>/config.json        resolved RunConfig of the run
    <run>/manifest.json      what the fleet is: strategy, classes, prior, model spec, members and steps
    <run>/pairs/<member>/    step-XXXXXXXX.safetensors per-pair checkpoints (newest valid one is used)
    <run>/grids/             sample grids, one row per class
    <run>/metrics.jsonl      one JSON line per tick
    <run>/progress.json      live telemetry of the process (pid, time by category, steps), rewritten every tick
    <run>/telemetry.json     at the end: every rank's telemetry (`ganfleet.distributed.telemetry`)

A run on several ranks keeps each rank's own records (metrics.jsonl,
tensorboard/, progress.json and periodic grids of its classes) in
`<run>/ranks/rank-NNNN/`; everything else is the same files, written by rank 0.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ganfleet.errors import CheckpointError
from ganfleet.rundir.atomic import atomic_write_text
from ganfleet.rundir.checkpoint import list_checkpoints
from ganfleet.rundir.manifest import check_manifest, check_member_name

MANIFEST_FORMAT = "ganfleet-run-1"
MAX_JSON_BYTES = 64 * 2**20


class RunDir:
    """Paths and atomic reads/writes of one run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def telemetry_path(self) -> Path:
        return self.path / "telemetry.json"

    @property
    def grids_dir(self) -> Path:
        return self.path / "grids"

    def pair_dir(self, name: str) -> Path:
        """The checkpoint folder of member `name`, always inside `pairs/` (CheckpointError for any other name, or
        for a link that leads out of the run)."""
        return self.inside(self.path / "pairs" / check_member_name(name, str(self.manifest_path)))

    def inside(self, path: Path) -> Path:
        """`path` when it stays inside the run folder: a link (of it or of `pairs/`) that leads out is refused, so
        nothing is read or written outside the run."""
        if (path.is_symlink() or path.parent.is_symlink()) and not path.resolve().is_relative_to(self.path.resolve()):
            raise CheckpointError(
                f"{path}: a link out of the run folder (to {path.resolve()}); ganfleet reads and writes only inside it"
            )
        return path

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def write_json(self, path: Path, data: dict[str, Any]) -> None:
        atomic_write_text(path, json.dumps(data, indent=2) + "\n")

    def read_json(self, path: Path) -> dict[str, Any]:
        """A JSON object file of the run; CheckpointError naming it when it is missing, unreadable or not an object."""
        self.inside(path)
        if path.exists() and not path.is_file():  # a FIFO would block the read, a device never end
            raise CheckpointError(f"{path}: not a regular file")
        try:
            if path.stat().st_size > MAX_JSON_BYTES:
                raise CheckpointError(
                    f"{path}: {path.stat().st_size} bytes, more than a run's JSON files ever hold ({MAX_JSON_BYTES})"
                )
            data = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise CheckpointError(f"{path}: missing; is {self.path} a ganfleet run directory?") from None
        except (OSError, ValueError, RecursionError) as exc:  # ValueError: not UTF-8, not JSON
            raise CheckpointError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
        if not isinstance(data, dict):
            raise CheckpointError(f"{path}: expected a JSON object, got {type(data).__name__}")
        return data

    def read_manifest(self) -> dict[str, Any]:
        """The manifest, checked (`manifest.py`): every reader may rely on its keys, names and prior."""
        manifest = self.read_json(self.manifest_path)
        if manifest.get("format") != MANIFEST_FORMAT:
            raise CheckpointError(
                f"{self.manifest_path}: format {manifest.get('format')!r}, expected {MANIFEST_FORMAT!r}"
            )
        return check_manifest(manifest, str(self.manifest_path))

    def write_manifest(self, manifest: dict[str, Any], status: str) -> None:
        """Write the manifest with each member's step read from its newest checkpoint file name."""
        members = []
        for m in manifest["members"]:
            checkpoints = list_checkpoints(self.pair_dir(m["name"]))
            step = int(checkpoints[-1].stem.split("-")[1]) if checkpoints else 0
            members.append({**m, "step": step})
        self.write_json(
            self.manifest_path,
            {**manifest, "members": members, "status": status, "updated": time.strftime("%Y-%m-%dT%H:%M:%S")},
        )
