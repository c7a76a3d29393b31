"""The report's plots: each pair's losses over training, and per-class FID against the real-data floor."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

LOSSES = (("d_loss", "discriminator loss"), ("g_loss", "generator loss"))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_loss_curves(path: Path, records: Sequence[dict], names: dict[str, str]) -> Path | None:
    """D and G loss against the step, one line per pair (named by `names`: member -> class name);
    None without records."""
    ticks = sorted((r for r in records if "pairs" in r), key=lambda r: r["step"])
    members = sorted({m for r in ticks for m in r["pairs"]})
    if not ticks:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), dpi=100)
    for ax, (key, title) in zip(axes, LOSSES):
        for member in members:
            points = [(r["step"], r["pairs"][member][key]) for r in ticks if key in r["pairs"].get(member, {})]
            if points:
                ax.plot(*zip(*points), lw=1, marker="." if len(points) < 20 else None, label=names.get(member, member))
        ax.set_xlabel("step")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    if len(members) > 1:
        axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def save_fid_per_class(path: Path, class_names: Sequence[str], model: dict, floor: dict | None) -> Path | None:
    """Grouped bars: each class's FID of the model (and of the real-data floor); None when the evaluation has none."""
    classes = [k for k in range(len(class_names)) if f"fid_class/{k}" in model]
    if not classes:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(classes) + 2), 3.6), dpi=100)
    width = 0.4 if floor else 0.8
    xs = range(len(classes))
    ax.bar(
        [x - (width / 2 if floor else 0) for x in xs],
        [model[f"fid_class/{k}"] or 0 for k in classes],
        width,
        label="model",
    )
    if floor:
        ax.bar(
            [x + width / 2 for x in xs], [floor.get(f"fid_class/{k}") or 0 for k in classes], width, label="real floor"
        )
    ax.set_xticks(list(xs), [class_names[k] for k in classes], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("FID (lower is better)")
    ax.set_title("per-class FID")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
