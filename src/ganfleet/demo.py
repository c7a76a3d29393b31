"""`ganfleet demo`: train a small class-parallel fleet, then write its report (samples, losses, training figures)."""

from __future__ import annotations

from pathlib import Path

from ganfleet.errors import ConfigError
from ganfleet.recipes import demo_config
from ganfleet.report import write_run_report
from ganfleet.rundir import RunDir, check_resumable
from ganfleet.train import train


def run_demo(out: Path, progress: bool = True) -> Path:
    """Train (or finish) the demo fleet in `out`; returns the path of its report.

    Run again on a finished demo it trains nothing and the report keeps the
    figures of the sessions that trained (`telemetry.json` keeps every session).
    A demo of other settings (an earlier ganfleet's) is refused and left as it is.
    """
    config = demo_config(str(out))
    print(f"demo: class-parallel fleet on {config.data.name} -> {out}")
    run = RunDir(out)
    resume = run.exists()
    if resume:
        try:
            check_resumable(run, config)
        except ConfigError as exc:
            raise ConfigError(
                f"{out} holds a demo of other settings (an earlier ganfleet's?), left as it is; give another --out "
                f"to train today's demo ({exc})"
            ) from None
    train(config, resume=resume, progress=progress)
    report = write_run_report(out)
    print(f"demo: samples -> {out / 'samples.png'}\ndemo: report  -> {report}")
    return report
