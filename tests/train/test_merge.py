"""`ganfleet merge`: two runs of disjoint classes, trained by separate processes, equal one run of all of them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganfleet import Fleet
from ganfleet.cli import main
from ganfleet.rundir import load_latest

TINY = [
    *("--data", "digits", "--max-per-class", "16", "--width", "0.125", "--batch-size", "8", "--steps", "3"),
    *("--threads", "1", "--pack", "off", "--grid-every", "0", "--quiet"),
]


def train_apart(out: Path, classes: str) -> None:
    """`ganfleet train` in a process of its own, as one task of a job array."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "ganfleet", "train", *TINY, "--classes", classes, "--out", str(out)]
    subprocess.run(argv, check=True, env=env, capture_output=True)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def halves(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("merge")
    runs = {"a": root / "a", "b": root / "b", "one": root / "one"}
    train_apart(runs["a"], "2,0")
    train_apart(runs["b"], "1")
    train_apart(runs["one"], "0,1,2")
    return runs


def test_two_halves_trained_apart_merge_into_the_run_of_all_their_classes(halves, tmp_path: Path, capsys) -> None:
    before = {name: digest(path) for name, path in halves.items()}
    out = tmp_path / "merged"
    assert main(["merge", str(halves["a"]), str(halves["b"]), "--out", str(out)]) == 0
    assert f"merged 2 runs (3 pairs) -> {out}" in capsys.readouterr().out
    merged, one = (json.loads((p / "manifest.json").read_text()) for p in (out, halves["one"]))
    for key in ("strategy", "model", "data", "budget", "members"):
        assert merged[key] == one[key], key
    assert merged["status"] == "complete" and [o["class_ids"] for o in merged["merged_from"]] == [[2, 0], [1]]
    for name in ("class-0000", "class-0001", "class-0002"):
        mine, theirs = load_latest(out / "pairs" / name), load_latest(halves["one"] / "pairs" / name)
        assert mine is not None and theirs is not None and mine.step == theirs.step == 3
        for part in ("generator", "discriminator", "ema"):
            a, b = getattr(mine, part), getattr(theirs, part)
            assert a is not None and b is not None and a.keys() == b.keys()
            assert all(torch.equal(a[k], b[k]) for k in a), (name, part)  # bitwise, at one thread per process
    labels = torch.tensor([0, 1, 2, 2])
    assert torch.equal(Fleet.load(out).sample(4, labels, seed=5), Fleet.load(halves["one"]).sample(4, labels, seed=5))
    assert {name: digest(path) for name, path in halves.items()} == before  # the sources are only read
    assert main(["train", "--resume", "--out", str(out), "--steps", "4", "--quiet"]) == 0  # a run like any other
    assert Fleet.load(out).steps == {"class-0000": 4, "class-0001": 4, "class-0002": 4}


def test_what_does_not_fit_is_one_line_and_writes_nothing(halves, tmp_path: Path, capsys) -> None:
    other = tmp_path / "other"
    train_apart(other, "1")  # class 1 again
    cases = [
        ([halves["a"], halves["one"]], "class 0 is in both"),
        ([halves["a"], other, halves["b"]], "class 1 is in both"),
        ([halves["a"]], "at least two runs"),
        ([halves["a"], tmp_path / "missing"], "manifest.json"),
    ]
    for sources, message in cases:
        assert main(["merge", *map(str, sources), "--out", str(tmp_path / "m")]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
        assert not (tmp_path / "m").exists() and not list(tmp_path.glob(".m.merging-*"))
    wider = tmp_path / "wider"
    subprocess.run(
        [sys.executable, "-m", "ganfleet", "train", *TINY, "--classes", "1", "--lr-g", "5e-4", "--out", str(wider)],
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
    )
    assert main(["merge", str(halves["a"]), str(wider), "--out", str(tmp_path / "m")]) == 2
    assert "optim.lr_g: 0.001 vs 0.0005" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    assert main(["merge", str(halves["a"]), str(halves["b"]), "--out", str(tmp_path / "taken")]) == 2
    assert "already exists" in capsys.readouterr().err
