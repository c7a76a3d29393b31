"""benchmarks/gpu.py is ready for a lent GPU: its --quick mode runs the same code on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_gpu_benchmark_runs_on_the_cpu_in_quick_mode(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "gpu.py"),
            "--device",
            "cpu",
            "--quick",
            "--steps",
            "1",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "gpu.json").read_text())
    assert [(r["k"], r["packed"], r["mode"]) for r in report["ladder"]] == [
        (k, packed, mode) for k in (1, 4) for packed in (False, True) for mode in ("fp32", "bf16")
    ]
    assert all(r["img_per_s"] > 0 for r in report["ladder"] + report["weak_scaling"])
    assert [r["k"] for r in report["weak_scaling"]] == [2, 8]
    assert "| K pairs | stepped | precision | img/s |" in (tmp_path / "gpu.md").read_text()
