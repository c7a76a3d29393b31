"""benchmarks/scale.py at 200 classes x 2 steps: the 1,000-class path (image folder, default execution,
lazy Fleet) in CI's budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_hundred_classes_train_load_lazily_and_sample(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "scale.py"),
            "--classes",
            "200",
            "--steps",
            "2",
            "--per-class",
            "8",
            "--test-per-class",
            "2",
            "--no-evaluate",
            "--device",
            "cpu",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "scale.json").read_text())
    assert report["classes"] == 200 and report["data_files"] == 200 * (8 + 2) + 1
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["members"]) == 200
    assert all(m["step"] == 2 for m in manifest["members"])
    assert report["generators_read_for_one_class"] == 1  # Fleet.load reads a pair only when it is used
    assert report["sample_10000_s"] > 0 and report["peak_rss_mb"] > 0
