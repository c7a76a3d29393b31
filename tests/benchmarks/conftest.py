"""The benchmarks import their siblings by name (`from reproduce_systems import ...`), as a script run from
benchmarks/ finds them; the tests put that folder on the path so importing `benchmarks.<script>` works the same."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = str(Path(__file__).resolve().parents[2] / "benchmarks")
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)
