"""`ganfleet demo`: train a small class-parallel fleet, then write its report (samples, losses, training figures)."""

from __future__ import annotations

from pathlib import Path

from ganfleet.recipes import demo_config
from ganfleet.report import write_run_report
from ganfleet.rundir import RunDir
from ganfleet.train import train


def run_demo(out: Path, progress: bool = True) -> Path:
    """Train (or finish) the demo fleet in `out`; returns the path of its report.

    Run again on a finished demo it trains nothing and the report keeps the
    figures of the sessions that trained (`telemetry.json` keeps every session).
    """
    config = demo_config(str(out))
    print(f"demo: class-parallel fleet on {config.data.name} -> {out}")
    train(config, resume=RunDir(out).exists(), progress=progress)
    report = write_run_report(out)
    print(f"demo: samples -> {out / 'samples.png'}\ndemo: report  -> {report}")
    return report
