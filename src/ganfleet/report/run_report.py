"""A run directory's report: samples, losses per pair, the FID curve and per-class FID when measured, training figures.

    write_run_report("runs/fm")  -> runs/fm/report.md, samples.png, losses.png (curve.png, fid_per_class.png)

It reads only what the run directory holds: the manifest and checkpoints
(samples), metrics.jsonl of every rank (losses, the `--eval-every` curve),
telemetry.json (time and images over every session that trained) and, after
`ganfleet evaluate`, eval/metrics.json (FID and per-class FID).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganfleet.distributed.telemetry import check_telemetry, training_totals
from ganfleet.errors import CheckpointError
from ganfleet.evaluation.report import comparable_records, read_summary, save_curve
from ganfleet.fleet import Fleet
from ganfleet.grids import class_rows, display_scale, make_grid, save_png, save_scatter
from ganfleet.report.figures import save_fid_per_class, save_loss_curves
from ganfleet.rundir import RunDir, check_contained, claim_output_folder, read_metrics
from ganfleet.rundir.resume import saved_config

SAMPLES_PER_CLASS = 10
CLI = "./ganfleet"  # how the report's commands are run from the repository root (see README: no activation needed)


def run_records(run: RunDir) -> list[dict]:
    """Every rank's metrics.jsonl records (a single process writes the run's own)."""
    paths = [run.metrics_path, *sorted((run.path / "ranks").glob("rank-*/metrics.jsonl"))]
    return [r for path in paths for r in read_metrics(path)]


def save_fleet_samples(fleet: Fleet, path: Path, seed: int = 0) -> Path:
    """SAMPLES_PER_CLASS samples of every class, one labelled row each (64 unlabelled for an unconditional fleet; toy:
    a scatter)."""
    if not fleet.is_conditional:
        x = fleet.sample(64, seed=seed)
        if x.ndim == 2:
            return save_scatter(x, None, path)
        return save_png(make_grid(x, 8), path, scale=display_scale(x.shape[-1]))
    labels = [
        k for k in range(fleet.n_classes) for _ in range(SAMPLES_PER_CLASS if fleet.sample_shape != (2,) else 200)
    ]
    x = fleet.sample(len(labels), labels=labels, seed=seed)
    if x.ndim == 2:
        return save_scatter(x, torch.tensor(labels), path)
    grid, names = class_rows(x, labels, fleet.class_names, SAMPLES_PER_CLASS)
    return save_png(make_grid(grid, SAMPLES_PER_CLASS), path, scale=display_scale(x.shape[-1]), row_names=names)


def member_names(fleet: Fleet) -> dict[str, str]:
    """member -> what a reader calls it: its class name for one-class pairs, else the member's own name."""
    return {m.name: fleet.class_names[m.label] if m.label is not None else m.name for m in fleet.members}


def _training_line(run: RunDir) -> str:
    if not run.telemetry_path.exists():
        return "Training: no telemetry.json yet (the run has not finished a session)."
    totals = training_totals(check_telemetry(run.read_json(run.telemetry_path), str(run.telemetry_path)))
    return (
        f"Training: {totals['wall_s']:.0f} s over {totals['sessions']} session(s) that trained, "
        f"{totals['images']:,} images, {totals['img_per_s']:.0f} img/s."
    )


def _loss_table(fleet: Fleet, records: list[dict]) -> list[str]:
    last: dict[str, dict] = {}
    for r in sorted((r for r in records if "pairs" in r), key=lambda r: r["step"]):
        last.update(r["pairs"])
    names = member_names(fleet)
    rows = [
        f"| {m.name} | {names[m.name]} | {fleet.steps[m.name]} | "
        f"{last.get(m.name, {}).get('d_loss', float('nan')):.3f} | "
        f"{last.get(m.name, {}).get('g_loss', float('nan')):.3f} |"
        for m in fleet.members
    ]
    return [
        "| pair | class | steps | D loss | G loss |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "Losses are the means over each pair's last logging tick.",
    ]


def _evaluation_section(run: RunDir, fleet: Fleet, out: Path, path: Path, summary: dict | None) -> list[str]:
    """The report's evaluation lines from `summary`, what `path` (eval/metrics.json) holds (None: not evaluated)."""
    if summary is None:
        return [
            "## Evaluation",
            "",
            f"Not evaluated yet: `{CLI} evaluate {run.path}` measures FID, KID, IS, precision/recall, "
            "class metrics and CAS against the test split (then run `report` again for the per-class chart).",
        ]
    model, floor = summary["metrics"], summary.get("real_floor")
    lines = [
        "## Evaluation",
        "",
        f"From `{path}` ({summary.get('n_generated', '?')} samples, features `{summary.get('features')}`):",
    ]
    if model.get("fid") is not None:
        lines.append(
            f"FID {model['fid']:.2f}"
            + (f" (real-data floor {floor['fid']:.2f})" if floor and floor.get("fid") is not None else "")
            + (f", CAS {model['cas']:.3f}" if model.get("cas") is not None else "")
            + "."
        )
    if save_fid_per_class(out / "fid_per_class.png", fleet.class_names, model, floor) is not None:
        lines += ["", "![per-class FID](fid_per_class.png)"]
    return lines


REPORT_FILES = ("report.md", "samples.png", "losses.png", "curve.png", "fid_per_class.png")


def is_run_report_folder(path: Path) -> bool:
    """Whether `path` holds a run report ganfleet wrote (its report.md opens with the report's title)."""
    try:
        with open(path / "report.md", encoding="utf-8", errors="replace") as f:
            return f.readline().startswith("# Run report: ")
    except OSError:
        return False


def write_run_report(run_dir: str | Path, out: str | Path | None = None, seed: int = 0, force: bool = False) -> Path:
    """Write report.md and its PNGs into `out` (default: the run directory); returns the report's path.

    Another `out` must be new, empty or a report ganfleet wrote (with `force`: beside other files, never over
    one of them), checked before anything is drawn.
    """
    run = RunDir(run_dir)
    out = Path(out) if out is not None else run.path
    if out.resolve() != run.path.resolve():
        claim_output_folder(out, REPORT_FILES, is_run_report_folder, force)
    else:  # the run's own folder: its report's names, but never a report.md of the user's or a link out
        check_contained(out, REPORT_FILES)
        if (out / "report.md").exists() and not is_run_report_folder(out) and not force:
            raise CheckpointError(
                f"{out / 'report.md'}: not a report ganfleet wrote; move it away, pass --force to replace it, or "
                "give --out"
            )
    fleet = Fleet.load(run.path)  # everything read and checked before the first file is written
    manifest, config = fleet.manifest, saved_config(run)
    records, training = run_records(run), _training_line(run)
    evaluated = run.path / "eval" / "metrics.json"
    summary = read_summary(evaluated) if evaluated.exists() or evaluated.is_symlink() else None
    save_fleet_samples(fleet, out / "samples.png", seed)
    data = manifest["data"]
    steps = sorted(set(fleet.steps.values()))
    lines = [
        f"# Run report: `{run.path}`",
        "",
        f"Strategy `{fleet.strategy}` on **{data['source']}** "
        f"({sum(data['counts']):,} images, {fleet.n_classes} classes), "
        f"`{manifest['model']['arch']}` at width {config.model.width}, loss `{config.loss.name}`; "
        f"status {manifest.get('status', '?')}, {steps[0] if len(steps) == 1 else f'{steps[0]}..{steps[-1]}'} "
        "steps per pair.",
        "",
        training,
        "",
        "## Samples",
        "",
        "![samples](samples.png)",
        "",
        "One row per class, named on the left." if fleet.is_conditional else "Unconditional samples.",
    ]
    if save_loss_curves(out / "losses.png", records, member_names(fleet)) is not None:
        lines += ["", "## Losses", "", "![losses](losses.png)", ""]
    lines += _loss_table(fleet, records)
    evals = [r for r in records if "eval" in r]
    if evals and save_curve(out / "curve.png", comparable_records(evals, evals[-1].get("extractors"))) is not None:
        lines += ["", "## During training (--eval-every)", "", "![FID and accuracy over training](curve.png)"]
    lines += [
        "",
        *_evaluation_section(run, fleet, out, evaluated, summary),
        "",
        "## Next",
        "",
        f"From the repository root (`{CLI}` runs ganfleet in `.venv`):",
        "",
        f"    {CLI} sample {run.path} --n 100 --out runs/grid.png",
        f"    {CLI} sample {run.path} --per-class 100 --out runs/export/",
        f"    {CLI} evaluate {run.path}",
        "",
    ]
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.md"
    report.write_text("\n".join(lines))
    return report
