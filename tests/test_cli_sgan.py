"""The command line for SGAN and W-CGAN: flags, train -> sample from the global generator, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ganfleet import Fleet
from ganfleet.cli import main

TOY = ["--data", "toy", "--mixture", "ring8", "--width", "0.0625", "--batch-size", "16", "--steps", "3",
       "--log-every", "1", "--grid-every", "0", "--quiet", "--set", "data.toy_per_class=20"]


def test_sgan_switches_reach_the_config(tmp_path: Path, capsys) -> None:
    assert main(["train", "--strategy", "sgan", "--split-by-class", "--share-weights", "--messenger-steps", "2",
                 "--loss", "wgan-gp", "--d-norm", "none", "--out", str(tmp_path / "x"), "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["sgan"]["split_by_class"] is True and config["sgan"]["share_weights"] is True
    assert config["sgan"]["messenger_steps"] == 2 and config["sgan"]["locals"] is None
    assert config["model"]["d_norm"] == "none"
    assert main(["train", "--strategy", "sgan", "--locals", "3", "--out", str(tmp_path / "y"), "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["sgan"]["locals"] == 3 and config["sgan"]["split_by_class"] is False


def test_train_conditional_sgan_then_sample_the_global_generator(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sgan"
    assert main(["train", "--strategy", "sgan", "--split-by-class", "--out", str(out), *TOY]) == 0
    assert "trained 9 pair(s) to step 3" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert [m["name"] for m in manifest["members"]][:2] == ["global", "class-0000"]
    assert manifest["members"][0]["conditional"] is True
    assert main(["sample", str(out), "--member", "global", "--labels", "0,5,5", "--out", str(tmp_path / "g.npz")]) == 0
    with np.load(tmp_path / "g.npz") as f:
        assert f["x"].shape == (3, 2) and f["y"].tolist() == [0, 5, 5]
    assert Fleet.load(out).is_conditional("global")


def test_sgan_flags_with_another_strategy_are_one_line_errors(capsys) -> None:
    assert main(["train", "--strategy", "class-parallel", "--locals", "4", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ganfleet: error: sgan.locals: only used by strategy sgan (strategy is 'class-parallel')"]
