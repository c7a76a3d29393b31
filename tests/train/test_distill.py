"""`ganfleet distill`: a conditional pair trained on a fleet's samples becomes the fleet's member `distilled`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from ganfleet import Fleet
from ganfleet.cli import main
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.data.dataset import to_uint8
from ganfleet.rundir import load_generator_weights
from tests.train.test_merge import digest

TINY = [
    *("--data", "digits", "--classes", "0,1,2", "--max-per-class", "16", "--width", "0.125", "--batch-size", "8"),
    *("--threads", "1", "--pack", "off", "--grid-every", "0", "--quiet"),
]
QUIET = ["--threads", "1", "--quiet"]


def members(run: Path) -> dict[str, dict]:
    return {m["name"]: m for m in json.loads((run / "manifest.json").read_text())["members"]}


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("distill") / "run"
    assert main(["train", *TINY, "--steps", "3", "--out", str(run)]) == 0
    return run


@pytest.fixture
def run(fleet_run: Path, tmp_path: Path) -> Path:
    """A copy of the trained fleet, for a test to distill."""
    return Path(shutil.copytree(fleet_run, tmp_path / "run"))


def test_the_distilled_pair_trains_on_the_fleets_samples_and_becomes_its_member(run: Path, capsys) -> None:
    fleet = Fleet.load(run)
    assert main(["distill", str(run), *QUIET]) == 0
    assert "-> member distilled" in capsys.readouterr().out
    # by default as many samples per class as the class had images, and the class pairs' steps together
    made = members(run)["distilled"]
    assert made["conditional"] and made["label"] is None and made["classes"] == [0, 1, 2]
    assert made["step"] == 9 and made["distilled"]["steps"] == 9
    assert json.loads((run / "distill" / "run" / "config.json").read_text())["loss"]["diversity_weight"] == 0.1
    samples = load_dataset(DataConfig(name="npz", path=str(run / "distill" / "samples.npz")))
    assert samples.class_names == fleet.class_names and samples.counts == [16, 16, 16]
    # the samples are the fleet's own for seed 0 (Fleet.sample, a second path to them)
    labels = samples.labels.sort(stable=True)
    expected = to_uint8(fleet.sample(48, labels=labels.values, seed=0))
    assert torch.equal(samples.samples[labels.indices], expected)
    # the member is the distilling run's generator, bit for bit, and samples by label
    mine, step, averaged = load_generator_weights(run / "pairs" / "distilled")
    theirs, _, _ = load_generator_weights(run / "distill" / "run" / "pairs" / "all")
    assert step == 9 and averaged and mine.keys() == theirs.keys()
    assert all(torch.equal(mine[k], theirs[k]) for k in mine)
    x = Fleet.load(run).sample(6, labels=[0, 1, 2, 2, 1, 0], seed=1, member="distilled")
    assert x.shape == (6, 1, 32, 32) and torch.isfinite(x).all()
    assert Fleet.load(run).member_is_conditional(None) and Fleet.load(run).sample(3, seed=0).shape[0] == 3


def test_distill_goes_on_with_more_steps_and_refuses_other_samples(run: Path, capsys) -> None:
    assert main(["distill", str(run), "--per-class", "8", "--steps", "4", *QUIET]) == 0
    assert main(["distill", str(run), "--per-class", "8", "--steps", "6", *QUIET]) == 0
    assert members(run)["distilled"]["step"] == 6 and len(list((run / "pairs" / "distilled").iterdir())) == 1
    assert "step 6 " in capsys.readouterr().out
    before = digest(run)
    assert main(["distill", str(run), "--per-class", "8", "--steps", "6", "--seed", "1", *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "other --seed" in err and "remove" in err
    assert digest(run) == before


def test_distill_takes_its_own_diversity_weight_and_keeps_it(run: Path, capsys) -> None:
    assert main(["distill", str(run), "--per-class", "8", "--steps", "2", "--diversity", "0.2", *QUIET]) == 0
    config = json.loads((run / "distill" / "run" / "config.json").read_text())
    assert config["loss"]["diversity_weight"] == 0.2
    assert json.loads((run / "config.json").read_text())["loss"]["diversity_weight"] == 0.0  # the fleet's own
    before = digest(run)
    assert main(["distill", str(run), "--per-class", "8", "--steps", "4", "--diversity", "0.5", *QUIET]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "distilled with --diversity 0.2, not 0.5" in err and "remove" in err
    assert digest(run) == before
    assert main(["distill", str(run), "--per-class", "8", "--steps", "3", *QUIET]) == 0  # going on keeps its 0.2
    assert json.loads((run / "distill" / "run" / "config.json").read_text())["loss"]["diversity_weight"] == 0.2


def test_the_fleet_trains_further_keeping_its_distilled_member(run: Path, capsys) -> None:
    assert main(["distill", str(run), "--per-class", "8", "--steps", "4", *QUIET]) == 0
    assert main(["train", "--resume", "--out", str(run), "--steps", "4", "--quiet"]) == 0
    after = members(run)
    assert after["class-0000"]["step"] == 4 and after["distilled"]["step"] == 4
    assert main(["distill", str(run), "--per-class", "8", *QUIET]) == 2
    assert "trained further since" in capsys.readouterr().err
    assert main(["merge", str(run), str(run), "--out", str(run.parent / "merged")]) == 2
    assert "has a distilled member (distilled)" in capsys.readouterr().err


def test_distill_takes_finished_fleets_of_class_pairs(fleet_run: Path, tmp_path: Path, capsys) -> None:
    one = tmp_path / "cgan"
    assert main(["train", *TINY, "--steps", "2", "--strategy", "cgan", "--out", str(one)]) == 0
    assert main(["distill", str(one), *QUIET]) == 2
    assert "no class pairs" in capsys.readouterr().err
    fleet = Path(shutil.copytree(fleet_run, tmp_path / "running"))
    manifest = json.loads((fleet / "manifest.json").read_text())
    (fleet / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    assert main(["distill", str(fleet), *QUIET]) == 2
    assert "distill takes a finished run" in capsys.readouterr().err
    assert not (fleet / "distill").exists()
    with pytest.raises(SystemExit) as stopped:
        main(["distill", str(one), "--threads", "0"])
    assert stopped.value.code == 2
    assert "expected auto or an integer in 1..1024, got '0'" in capsys.readouterr().err
