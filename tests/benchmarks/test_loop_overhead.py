"""benchmarks/loop_overhead.py --quick: the whole loop against the step alone, on tiny cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_mode_times_the_loop_and_the_step(tmp_path: Path) -> None:
    out = tmp_path / "loop.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    script = str(REPO / "benchmarks" / "loop_overhead.py")
    done = subprocess.run(
        [sys.executable, script, "--quick", "--out", str(out)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())
    assert [(r["case"], r["k"]) for r in rows] == [("mlp", 4), ("mlp", 16), ("conv", 4)]
    for r in rows:
        assert r["iterations"] > 0 and 0 < r["step_in_loop_s"] <= r["loop_s"] and r["bare_step_s"] > 0
        assert r["outside_share"] < 1
    assert "| case (cpu) | K pairs |" in done.stdout and "1 threads" in done.stderr
