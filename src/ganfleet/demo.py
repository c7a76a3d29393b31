"""`ganfleet demo`: train a small class-parallel fleet, then write samples and a short report."""

from __future__ import annotations

from pathlib import Path

from ganfleet.fleet import Fleet
from ganfleet.grids import display_scale, make_grid, save_png
from ganfleet.recipes import demo_config
from ganfleet.train import TrainResult, train
from ganfleet.rundir import read_metrics
from ganfleet.rundir import RunDir

SAMPLES_PER_CLASS = 10


def run_demo(out: Path, progress: bool = True) -> Path:
    """Train (or finish) the demo fleet in `out`; returns the path of its report."""
    config = demo_config(str(out))
    run = RunDir(out)
    print(f"demo: class-parallel fleet on {config.data.name} -> {out}")
    result = train(config, resume=run.exists(), progress=progress)
    fleet = Fleet.load(out)
    labels = [k for k in range(fleet.n_classes) for _ in range(SAMPLES_PER_CLASS)]
    x = fleet.sample(len(labels), labels=labels, seed=0)
    samples = save_png(make_grid(x, SAMPLES_PER_CLASS), out / "samples.png", scale=display_scale(x.shape[-1]))
    report = out / "report.md"
    report.write_text(_report(config.to_dict(), fleet, result, samples))
    print(f"demo: samples -> {samples}\ndemo: report  -> {report}")
    return report


def _report(config: dict, fleet: Fleet, result: TrainResult, samples: Path) -> str:
    records = [r for r in read_metrics(RunDir(result.run_dir).metrics_path) if "pairs" in r]
    last = records[-1]["pairs"] if records else {}
    rows = "\n".join(
        f"| {m.label} | {fleet.class_names[m.label]} | {fleet.steps[m.name]} | {last.get(m.name, {}).get('d_loss', float('nan')):.3f} | {last.get(m.name, {}).get('g_loss', float('nan')):.3f} |"
        for m in fleet.members
        if m.label is not None
    )
    run = result.run_dir
    return f"""# ganfleet demo

A class-parallel fleet (one independent generator/discriminator pair per class) trained on
**{fleet.manifest['data']['source']}** ({sum(fleet.manifest['data']['counts'])} images, {fleet.n_classes} classes),
architecture `{config['model']['arch']}` at width {config['model']['width']}, loss `{config['loss']['name']}`.

This session: {result.seconds:.0f} s of training at {result.images_per_second:.0f} img/s
(run `{run}` again with `ganfleet demo` to reuse it; it resumes, it does not retrain).

![samples]({samples.name})

`{samples.name}`: one row per class, {SAMPLES_PER_CLASS} samples each (class {fleet.class_names[0]!r} on top).

| class | name | steps | D loss | G loss |
|---|---|---|---|---|
{rows}

Losses are the means over the last logging tick. Try next:

    ganfleet sample {run} --n 100 --out grid.png            # labels drawn from the class prior
    ganfleet sample {run} --labels 3,3,7 --out samples.npz  # arrays x (uint8) and y
    python -c "import ganfleet; print(ganfleet.Fleet.load('{run}').sample(4, seed=0).shape)"
"""
