"""Per-tick training records: JSONL always, TensorBoard when it is installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganfleet.config import flatten
from ganfleet.errors import CheckpointError


class MetricsLog:
    """Appends one JSON object per tick to `metrics.jsonl` (and scalars to TensorBoard if available)."""

    def __init__(self, path: Path, tensorboard_dir: Path | None = None) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 (open for the run, closed by close())
        self._tb = None
        if tensorboard_dir is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional
                pass
            else:
                self._tb = SummaryWriter(str(tensorboard_dir))

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        if self._tb is not None:
            step = record.get("step", 0)
            for key, value in flatten(record, sep="/").items():
                if key != "step" and isinstance(value, (int, float)):
                    self._tb.add_scalar(key, value, step)

    def write_tick(self, record: Any) -> None:
        """A tick's record (the loop's `TickRecord`), as its JSON line."""
        self.write(record.to_json())

    def close(self) -> None:
        self._file.close()
        if self._tb is not None:
            self._tb.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """All records of a metrics.jsonl file, each checked (`check_record`); a torn last line from a kill is skipped.

    CheckpointError naming the file, the line and the field for a record that is not what training writes.
    """
    records: list[dict[str, Any]] = []
    if not path.exists():
        return records
    if not path.is_file():
        raise CheckpointError(f"{path}: not a regular file; expected the metrics.jsonl training writes")
    lines = path.read_text(errors="replace").splitlines()
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):  # RecursionError: nested past what json decodes
            if number == len(lines):
                continue  # a write cut short by a kill
            raise CheckpointError(f"{path}:{number}: not a JSON line") from None
        records.append(check_record(record, f"{path}:{number}"))
    return records


def _numbers(value: Any, where: str, field: str) -> dict[str, float]:
    if not isinstance(value, dict) or not all(_is_number(v) for v in value.values()):
        raise CheckpointError(f"{where}: {field} must map names to numbers")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_record(record: Any, where: str) -> dict[str, Any]:
    """One metrics.jsonl record when it is what training writes: an object with an integer step >= 0; `mean`
    and `eval` map names to numbers, `pairs` maps pair names to such maps."""
    if not isinstance(record, dict):
        raise CheckpointError(f"{where}: expected a JSON object, got {type(record).__name__}")
    step = record.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"{where}: step must be an integer >= 0, got {step!r}")
    for field in ("mean", "eval"):
        if field in record:
            _numbers(record[field], where, field)
    if not isinstance(record.get("extractors", ""), str):
        raise CheckpointError(f"{where}: extractors must name the extractors as a string")
    if "pairs" in record:
        pairs = record["pairs"]
        if not isinstance(pairs, dict):
            raise CheckpointError(f"{where}: pairs must map pair names to their values")
        for name, values in pairs.items():
            _numbers(values, where, f"pairs.{name}")
    return record
