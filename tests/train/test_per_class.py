"""Per-class budgets: a finished class-parallel run trains chosen classes further and leaves the others untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganfleet.cli import main
from ganfleet.rundir import RunDir
from tests.conftest import make_tiny_images

FAST = ["--data", "npz", "--arch", "dcgan", "--width", "0.125", "--batch-size", "4", "--log-every", "1"]
FAST += ["--grid-every", "0", "--device", "cpu", "--quiet"]


@pytest.fixture
def npz(tmp_path: Path) -> Path:
    ds = make_tiny_images()
    path = tmp_path / "tiny.npz"
    np.savez(path, x=ds.samples[:, 0].numpy(), y=ds.labels.numpy(), class_names=np.array(ds.class_names))
    return path


def pair_files(run: Path, member: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((run / "pairs" / member).iterdir())}


def test_resume_with_classes_trains_those_pairs_further_and_no_other(npz: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert main(["train", *FAST, "--data-dir", str(npz), "--steps", "2", "--out", str(run)]) == 0
    before = {m: pair_files(run, m) for m in ("class-0000", "class-0002")}
    assert main(["train", "--resume", "--out", str(run), "--classes", "1", "--steps", "5", "--quiet"]) == 0
    manifest = RunDir(run).read_manifest()
    assert [(m["name"], m["target_steps"], m["step"]) for m in manifest["members"]] == [
        ("class-0000", 2, 2),
        ("class-0001", 5, 5),
        ("class-0002", 2, 2),
    ]
    assert {m: pair_files(run, m) for m in before} == before  # byte for byte
    assert RunDir(run).read_json(RunDir(run).config_path)["data"]["classes"] is None  # the data stay the run's
    # a plain resume now keeps every budget: nothing is left to train
    assert main(["train", "--resume", "--out", str(run), "--quiet"]) == 0
    assert {m: pair_files(run, m) for m in before} == before


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ("class-parallel", "budget.classes: class 7 is not in this run (classes 0..2)"),
        ("cgan", "budget.classes: only class-parallel runs have one pair per class (strategy is 'cgan')"),
    ],
)
def test_chosen_classes_a_run_does_not_have_are_one_line(
    npz: Path, tmp_path: Path, capsys, strategy: str, message: str
) -> None:
    run = tmp_path / "run"
    fresh = ["train", *FAST, "--data-dir", str(npz), "--steps", "2", "--strategy", strategy, "--out", str(run)]
    assert main(fresh) == 0
    capsys.readouterr()
    assert main(["train", "--resume", "--out", str(run), "--quiet", "--classes", "7", "--steps", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_fresh_run_cannot_choose_classes_to_train_further(npz: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert (
        main(["train", *FAST, "--data-dir", str(npz), "--steps", "2", "--set", "budget.classes=[1]", "--out", str(out)])
        == 2
    )
    assert (
        "budget.classes: trains chosen classes of an existing run further; use it with --resume"
        in capsys.readouterr().err
    )
    assert not out.exists()


def test_dry_run_of_a_resume_plans_with_the_kept_budgets(npz: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    assert main(["train", *FAST, "--data-dir", str(npz), "--steps", "2", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", "--out", str(run), "--classes", "1", "--steps", "5", "--dry-run"]) == 0
    assert "2..5 steps each: 9 pair-steps" in capsys.readouterr().err
