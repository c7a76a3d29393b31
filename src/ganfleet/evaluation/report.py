"""What `ganfleet evaluate` writes: metrics.json, report.md, samples.png and curve.png.

metrics.json   every figure (model, real-data floor, per-class FID), settings, timings
report.md      a Markdown table: model vs the real-data floor
samples.png    generated samples, one row per class (requested label, or the classifier's
               prediction for unconditional fleets); a scatter plot for toy data
curve.png      FID / IS (or the toy metrics) over training steps, when the run was
               trained with --eval-every
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.errors import CheckpointError
from ganfleet.evaluation.cas import CAS_FIGURE
from ganfleet.grids import class_rows, display_scale, make_grid, save_png, save_scatter
from ganfleet.metrics import METRICS, Figure, SampleSet
from ganfleet.rundir import claim_output_folder, read_metrics
from ganfleet.rundir.atomic import atomic_write_text

SAMPLES_PER_CLASS = 10


def report_rows() -> list[Figure]:
    """The report table's rows: each metric's figures in the registry's order, CAS after the image metrics."""
    rows: list[Figure] = []
    for metric in METRICS.values():
        rows += metric.figures
        if metric.name == "fid_per_class":
            rows.append(CAS_FIGURE)
    return rows


CURVE_KEYS = ("fid", "is_mean", "conditional_accuracy", "modes_covered", "high_quality_share")


def _cell(metrics: dict | None, key: str, std_key: str | None) -> str:
    if not metrics or key not in metrics:
        return "-"
    value = metrics[key]
    digits = 6 if key.startswith("kid") else 4 if abs(value) < 10 else 2
    text = f"{value:.{digits}f}"
    if std_key and std_key in metrics:
        text += f" ± {metrics[std_key]:.{digits}f}"
    return text


def heading(summary: dict) -> list[str]:
    """The report's title and what was measured against what, for each kind of evaluation."""
    labelled = "labelled" if summary.get("conditional") else "unlabelled"
    if "input1" in summary:  # compare_samples
        one, two = summary["input1"], summary["input2"]
        return [
            f"# Comparison of `{one['path']}` with `{two['path']}`",
            "",
            f"Input 1 ({one['kind']}, {one['n']} {labelled} images) as generated, input 2 ({two['kind']}, {two['n']} "
            "images) "
            f"as real, both fitted to `{summary['data']['source']}`'s test split ({summary['data']['config']}) and "
            f"measured with its extractors: features `{summary['features']}`, seed {summary['seed']}.",
        ]
    if "run" in summary:
        title = f"Evaluation of `{summary['run']['path']}`"
        what = (
            f"Strategy `{summary['run']['strategy']}`, {summary['n_generated']} generated samples "
            f"({'labels in the test split proportions' if summary['conditional'] else 'unconditional'}), seed "
            f"{summary['seed']}."
        )
    elif "samples" in summary:
        title = f"Evaluation of the samples in `{summary['samples']['path']}`"
        what = (
            f"{summary['n_generated']} {labelled} images ({summary['samples']['kind']}), fitted to the test split's "
            "size; "
            f"seed {summary['seed']}."
        )
    else:
        title, what = f"Real-data floor of {summary['data']['source']}", ""
    real = (
        f"Real: {summary['data']['n_real']} images of `{summary['data']['source']}`; floor: "
        f"{summary.get('real_floor_n', '-')} train-split images against them. Features: `{summary['features']}`."
    )
    return [f"# {title}", "", *([what] if what else []), real]


def markdown(summary: dict) -> str:
    """The report: settings, then model vs floor for every metric computed, then per-class FID."""
    model, floor = summary.get("metrics"), summary.get("real_floor")
    lines = heading(summary)
    if summary.get("classifier"):
        c = summary["classifier"]
        kind = "canonical" if c.get("canonical") else "non-canonical, named"
        lines.append(
            f"Domain classifier `{c['path']}` ({kind}, recipe {c.get('recipe_id')}, weights "
            f"{c.get('weights_sha256', '')[:16]}; test accuracy {100 * c['test_accuracy']:.2f} %, data "
            f"{c['fingerprint'][:16]})."
        )
    if summary.get("curve_note"):
        lines.append(f"Curve: {summary['curve_note']}.")
    column, against = (
        ("input 1 vs 2", "input 2's images of the class") if "input1" in summary else ("model", "its real test images")
    )
    lines += ["", f"| metric | {column} | real floor | better |", "|---|---|---|---|"]
    for row in report_rows():
        key, label, better, std_key = row.key, row.label, row.better, row.std_key
        if (model and key in model) or (floor and key in floor):
            if key == "class_entropy":
                label += f" (max {next(m for m in (model, floor) if m and key in m)['class_entropy_max']:.4f})"
            lines.append(f"| {label} | {_cell(model, key, std_key)} | {_cell(floor, key, std_key)} | {better} |")
    return "\n".join(lines + per_class_table(summary, against)) + "\n"


def per_class_table(summary: dict, against: str) -> list[str]:
    """Per-class FID and, where CAS was measured, per-class CAS (the CAS classifier's recall of each real class)."""
    model, floor = summary.get("metrics"), summary.get("real_floor")
    kinds = [
        kind
        for kind in ("fid_class", "cas_class")
        if any(k.startswith(f"{kind}/") for m in (model, floor) if m for k in m)
    ]
    classes = sorted({int(k.split("/")[1]) for m in (model, floor) if m for k in m if k.split("/")[0] in kinds})
    if not classes:
        return []
    names = summary["data"]["class_names"]
    titles = {"fid_class": "FID", "cas_class": "CAS"}
    what = f"Per-class FID (each class's samples against {against})"
    if "cas_class" in kinds:
        what += "; per-class CAS (the share of the class's real test images the CAS classifier labels as it)"
    header = " | ".join(f"{titles[kind]} {who}" for kind in kinds for who in ("model", "real floor"))
    lines = ["", f"{what}:", "", f"| class | name | {header} |", "|---|---|" + "---|" * 2 * len(kinds)]
    for k in classes:
        cells = " | ".join(_cell(m, f"{kind}/{k}", None) for kind in kinds for m in (model, floor))
        lines.append(f"| {k} | {names[k]} | {cells} |")
    return lines


def save_samples(path: Path, samples: torch.Tensor, fake: SampleSet, test: ClassPartitionedDataset) -> Path:
    if samples.dtype != torch.uint8:
        return save_scatter(
            samples[:5000],
            fake.labels[:5000] if fake.labels is not None else None,
            path,
            real=test.samples[:2000],
            centers=test.mode_centers,
        )
    if fake.labels is not None:  # the labels asked for, else the classifier's
        rows = fake.labels
    else:
        assert fake.class_logits is not None
        rows = fake.class_logits.argmax(dim=1)
    grid, names = class_rows(
        samples, rows.tolist(), test.class_names, SAMPLES_PER_CLASS, SAMPLES_PER_CLASS, every_class=True
    )
    return save_png(make_grid(grid, SAMPLES_PER_CLASS), path, scale=display_scale(samples.shape[-1]), row_names=names)


def comparable_records(records: list[dict], extractors: str | None) -> list[dict]:
    """The --eval-every records measured with `extractors` (records of other classifiers are never mixed in)."""
    return [r for r in records if "eval" in r and (extractors is None or r.get("extractors") == extractors)]


def save_curve(path: Path, records: list[dict]) -> Path | None:
    """FID / IS (whatever was logged) against the step, one panel each; None when no eval record exists."""
    evals = [r for r in records if "eval" in r]
    keys = [k for k in CURVE_KEYS if any(k in r["eval"] for r in evals)]
    if not evals or not keys:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2), dpi=100, squeeze=False)
    for ax, key in zip(axes[0], keys):
        points = [(r["step"], r["eval"][key]) for r in evals if key in r["eval"]]
        ax.plot(*zip(*points), marker="o", ms=3)
        ax.set_xlabel("step")
        ax.set_title(key)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _finite(tree: object) -> object:
    """NaN/inf -> None so metrics.json is strict JSON."""
    if isinstance(tree, dict):
        return {k: _finite(v) for k, v in tree.items()}
    if isinstance(tree, float) and not math.isfinite(tree):
        return None
    return tree


def read_summary(path: Path) -> dict:
    """An evaluation's metrics.json as a reader may use it: a regular file holding an object whose `metrics` (and
    `real_floor`, if any) map names to finite numbers or null; CheckpointError naming the file and field otherwise."""
    if path.is_symlink() or not path.is_file():
        raise CheckpointError(f"{path}: not a regular file; expected the metrics.json `ganfleet evaluate` writes")
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as exc:  # ValueError: not JSON, or not UTF-8
        raise CheckpointError(f"{path}: unreadable ({type(exc).__name__}); run ganfleet evaluate again") from None
    if not isinstance(summary, dict):
        raise CheckpointError(f"{path}: expected a JSON object, got {type(summary).__name__}")
    for field in ("metrics", "real_floor"):
        values = summary.get(field)
        if field == "real_floor" and values is None:
            continue
        finite = isinstance(values, dict) and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
            for v in values.values()
        )
        if not finite:
            raise CheckpointError(f"{path}: {field} must map names to finite numbers (or null)")
    return summary


REPORT_NAMES = ("metrics.json", "report.md", "samples.png", "curve.png")


def is_report_folder(path: Path) -> bool:
    """Whether `path` holds an evaluation ganfleet wrote (its metrics.json lists the files it wrote)."""
    try:
        summary = json.loads((path / "metrics.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and isinstance(summary.get("files"), dict) and "kind" in summary


def claim_report_folder(out: Path, force: bool) -> None:
    """Refuse (one line) a report folder of files ganfleet did not write, before anything is measured."""
    claim_output_folder(out, REPORT_NAMES, is_report_folder, force)


def write_reports(
    out: Path,
    summary: dict,
    samples: torch.Tensor | None,
    fake: SampleSet | None,
    test: ClassPartitionedDataset,
    metrics_log: Path | None,
) -> Path:
    """Write every report into `out`; returns the path of metrics.json."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"metrics": "metrics.json", "report": "report.md"}
    if samples is not None and fake is not None:
        files["samples"] = save_samples(out / "samples.png", samples, fake, test).name
    if metrics_log is not None:
        logged = [r for r in read_metrics(metrics_log) if "eval" in r]
        records = comparable_records(logged, summary.get("extractors"))
        if len(records) < len(logged):
            summary = {
                **summary,
                "curve_note": f"{len(logged) - len(records)} of {len(logged)} --eval-every records were "
                "measured with other extractors (another classifier) and are left out",
            }
        if save_curve(out / "curve.png", records) is not None:
            files["curve"] = "curve.png"
    summary = {**summary, "files": files}
    atomic_write_text(out / "metrics.json", json.dumps(_finite(summary), indent=2) + "\n")
    atomic_write_text(out / "report.md", markdown(summary))
    return out / "metrics.json"
