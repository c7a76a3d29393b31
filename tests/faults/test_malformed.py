"""Malformed inputs, as a careful user would try them: each ends in one line naming the file or key, exit status 2,
no traceback, and every file that was there before is byte-identical afterwards (nothing added, nothing removed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.faults.conftest import FaultEnv, call, snapshot, tiny_train_args
from tests.faults.malformed import FILE_CASES, FLAG_CASES


def check_refused(argv: list[str], expect: str, root: Path, capsys: pytest.CaptureFixture) -> None:
    before = snapshot(root)
    outcome = call(argv, capsys)
    assert outcome.escaped is None, f"a traceback:\n{outcome.escaped}"
    assert outcome.status == 2, (outcome.status, outcome.stderr)
    assert "Traceback" not in outcome.stderr
    assert len(outcome.lines) == 1 and outcome.lines[0].startswith("ganfleet: error: "), outcome.stderr
    assert expect in outcome.lines[0], (expect, outcome.lines[0])
    assert snapshot(root) == before, "files changed"


@pytest.mark.parametrize(("extra", "expect"), [c[1:] for c in FLAG_CASES], ids=[c[0] for c in FLAG_CASES])
def test_bad_flag(
    fault_env: FaultEnv, tmp_path: Path, capsys: pytest.CaptureFixture, extra: list[str], expect: str
) -> None:
    (tmp_path / "notes.txt").write_text("the user's")
    check_refused([*tiny_train_args(fault_env.npz, tmp_path / "out", "--steps", "2"), *extra], expect, tmp_path, capsys)


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_bad_file(
    fault_env: FaultEnv, tmp_path: Path, capsys: pytest.CaptureFixture, isolated_cache: None, case: str
) -> None:
    argv, expect = FILE_CASES[case](tmp_path, fault_env)
    check_refused(argv, expect, tmp_path, capsys)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda(fault_env: FaultEnv, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for device in ("cuda", "cuda:0"):
        check_refused(
            tiny_train_args(fault_env.npz, tmp_path / "out", "--device", device), "train.device", tmp_path, capsys
        )
        check_refused(
            ["sample", str(fault_env.run), "--device", device, "--out", str(tmp_path / "s.png")],
            "--device",
            tmp_path,
            capsys,
        )


def test_the_suite_is_large_enough() -> None:
    assert len(FLAG_CASES) + len(FILE_CASES) >= 60
