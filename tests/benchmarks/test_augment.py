"""benchmarks/augment.py --quick: a fleet on N real images per class, then the classifier on real, real + synthetic
and synthetic images, each tested on the real test split; a second call keeps the finished cell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_quick_grid_trains_one_cell_and_tabulates_it(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src"), "GANFLEET_SMOKE": "1"}
    argv = [
        sys.executable,
        str(REPO / "benchmarks" / "augment.py"),
        "--quick",
        "--threads",
        "1",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    cell = json.loads((tmp_path / "n-10" / "seed-0" / "accuracy-50.json").read_text())
    assert (
        all(0.0 <= cell[name] <= 1.0 for name in ("real", "mixed", "synthetic")) and cell["synthetic_per_class"] == 50
    )
    fleet = json.loads((tmp_path / "n-10" / "seed-0" / "fleet" / "manifest.json").read_text())
    assert fleet["data"]["counts"] == [10] * 10 and fleet["status"] == "complete"  # N images a class, nothing else
    assert "| 10 | 1 |" in (tmp_path / "results-50.md").read_text()
    again = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert again.returncode == 0 and "training the fleet" not in again.stdout  # the finished cell is kept
