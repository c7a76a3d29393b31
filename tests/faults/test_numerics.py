"""Numerical health: a pair whose losses or weights stop being finite is stopped, its last finite checkpoint kept
(the bad state never written), every other pair finishes exactly as it would have, and the run fails with one
line naming the pair and step; the manifest marks it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganfleet.rundir import RunDir, list_checkpoints, read_checkpoint
from ganfleet.train import train
from ganfleet.train.health import TrainingDiverged
from tests.conftest import tiny_config
from tests.faults.conftest import MEMBERS, FaultEnv, call, tiny_train_args
from tests.train.test_loop import assert_same_states


def all_finite(run: Path) -> bool:
    """Every tensor of every checkpoint in the run is finite."""
    for member in MEMBERS:
        for path in list_checkpoints(RunDir(run).pair_dir(member)):
            tensors, _ = read_checkpoint(path)
            if not all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point()):
                return False
    return True


def newest(run: Path, member: str) -> int:
    paths = list_checkpoints(RunDir(run).pair_dir(member))
    return int(paths[-1].stem.split("-")[1]) if paths else 0


def test_a_learning_rate_that_blows_up_fails_the_run_naming_every_pair(
    fault_env: FaultEnv, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    outcome = call(tiny_train_args(fault_env.npz, out, "--steps", "6", "--lr-d", "1e30"), capsys)
    assert outcome.escaped is None and outcome.status == 2
    (line,) = outcome.lines
    assert line.startswith(f"ganfleet: error: {out}: training diverged: ") and all(
        f"{m} at step" in line for m in MEMBERS
    )
    manifest = RunDir(out).read_manifest()
    assert manifest["status"] == "failed"
    assert all(m["diverged"]["reason"] == "non-finite losses" for m in manifest["members"])
    assert all_finite(out)


def poison_pair(monkeypatch: pytest.MonkeyPatch, name: str, at_step: int, weights: bool) -> None:
    """Fault injection: after `name` takes step `at_step`, its logged losses
    (or its discriminator's weights) become NaN."""
    import ganfleet.pairs.executor as executor

    real_step = executor.adversarial_step

    def step(pair, rule):
        out = real_step(pair, rule)
        if pair.name == name and pair.step == at_step:
            if weights:
                with torch.no_grad():
                    next(pair.discriminator.parameters()).fill_(float("nan"))
            else:
                for key, value in out.values.items():
                    out.values[key] = torch.full_like(value, float("nan"))
        return out

    monkeypatch.setattr(executor, "adversarial_step", step)


@pytest.mark.parametrize("weights", [False, True], ids=["losses", "weights"])
def test_one_pair_going_non_finite_stops_only_that_pair(
    tiny_images, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, weights: bool
) -> None:
    train(tiny_config(tmp_path / "straight", budget__steps=6, train__pack="off"), progress=False, dataset=tiny_images)
    # losses: NaN logged at step 3, seen at the next check (step 4); weights: NaN put in after step 4, whose
    # losses were finite, so the checkpoint of step 4 is what refuses them
    at_step = 4 if weights else 3
    poison_pair(monkeypatch, "class-0001", at_step=at_step, weights=weights)
    config = tiny_config(tmp_path / "run", budget__steps=6, train__pack="off")  # poisoned in the looped step
    with pytest.raises(TrainingDiverged) as raised:
        train(config, progress=False, dataset=tiny_images)
    reason = "non-finite discriminator." if weights else "non-finite losses"
    assert f"class-0001 at step {at_step} ({reason}" in str(raised.value)
    assert "kept its checkpoint of step 2" in str(raised.value) and "2 other pair(s) finished" in str(raised.value)
    assert "\n" not in str(raised.value)
    manifest = RunDir(config.out).read_manifest()
    assert manifest["status"] == "failed"
    assert [("diverged" in m, m["step"]) for m in manifest["members"]] == [(False, 6), (True, 2), (False, 6)]
    assert newest(tmp_path / "run", "class-0001") == 2 and all_finite(tmp_path / "run")
    assert_same_states(
        tmp_path / "straight", tmp_path / "run", ["class-0000", "class-0002"]
    )  # the others are untouched
    assert (tmp_path / "run" / "grids" / "final.png").is_file() and not (tmp_path / "run" / ".ganfleet.lock").exists()


def test_packed_pairs_going_non_finite_stop_alike(tiny_images, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    poison_pair(monkeypatch, "class-0002", at_step=3, weights=False)  # looped: the packs below are not poisoned
    import ganfleet.packing.pack as pack

    real_step = pack.adversarial_step

    def step(group, rule):
        out = real_step(group, rule)
        if "class-0002" in out.names and group.step == 3:
            k = out.names.index("class-0002")
            for key, value in out.values.items():
                out.values[key] = value.index_fill(0, torch.tensor([k]), float("inf"))
        return out

    monkeypatch.setattr(pack, "adversarial_step", step)
    config = tiny_config(tmp_path / "run", budget__steps=6, train__pack="3")
    with pytest.raises(
        TrainingDiverged, match=r"class-0002 at step 3 \(non-finite losses; kept its checkpoint of step 2\)"
    ):
        train(config, progress=False, dataset=tiny_images)
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["members"][2]["step"] == 2
    assert all_finite(tmp_path / "run")
