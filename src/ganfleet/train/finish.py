"""What rank 0 writes when a run ends: the final grid, telemetry.json and the manifest's status."""

from __future__ import annotations

import warnings

import torch

from ganfleet.distributed import summarize
from ganfleet.distributed.telemetry import check_telemetry, with_sessions
from ganfleet.errors import CheckpointError
from ganfleet.rundir import RunDir
from ganfleet.train.health import diverged_message
from ganfleet.train.sample_grid import GridBlocks, save_grid


def finish_run(
    run: RunDir,
    manifest: dict,
    blocks: list[GridBlocks] | None,
    reports: list[dict] | None,
    mode_centers: torch.Tensor | None,
    diverged: list[dict[str, dict]] | None,
) -> tuple[dict, str | None]:
    """Rank 0, once every pair is done or stopped: the final grid from every rank's rows, telemetry.json and the
    manifest, `complete`, or `failed` with each member stopped on non-finite values marked `diverged`.

    Returns the telemetry summary and, when some pair was stopped, the line that says so.
    """
    assert blocks is not None and reports is not None and diverged is not None  # gathered on rank 0
    save_grid(
        {label: rows for b in blocks for label, rows in b.items()},
        run.grids_dir / "final.png",
        mode_centers,
        manifest["data"]["class_names"],
    )
    path = run.telemetry_path
    try:
        previous = check_telemetry(run.read_json(path), str(path)) if path.is_file() else None
    except CheckpointError as exc:  # a damaged record of earlier sessions must not fail a finished run
        warnings.warn(f"{exc}; the earlier sessions are left out of it", stacklevel=1)
        previous = None
    summary = with_sessions(summarize(reports), previous)
    run.write_json(run.telemetry_path, summary)
    stopped = {name: record for rank in diverged for name, record in rank.items()}
    members = [{**m, "diverged": stopped[m["name"]]} if m["name"] in stopped else m for m in manifest["members"]]
    run.write_manifest({**manifest, "members": members}, status="failed" if stopped else "complete")
    if not stopped:
        return summary, None
    kept = {m["name"]: m["step"] for m in run.read_manifest()["members"]}
    return summary, f"{run.path}: {diverged_message(stopped, kept, len(members))}"


def mark_stopped(run: RunDir, manifest: dict, status: str) -> None:
    """Best effort, after an error: the manifest must not claim the run is running or complete."""
    try:
        run.write_manifest(manifest, status=status)
    except OSError as exc:
        warnings.warn(f"{run.manifest_path}: could not record status {status!r} ({exc})", stacklevel=2)
