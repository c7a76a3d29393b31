"""`--pack` end to end: the training loop with packed pairs, its artifact, resume and `auto`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from ganfleet.cli import main
from ganfleet.config import RunConfig, apply_values
from ganfleet.errors import ConfigError
from ganfleet.fleet import Fleet
from ganfleet.packing import PackedPairs
from ganfleet.packing import choice as pack_plan
from ganfleet.packing.choice import PackPlan, candidate_plans, choose_plan, parse_pack, plan_execution
from ganfleet.pairs import step_rule
from ganfleet.pairs.executor import LoopedPairs
from ganfleet.rundir import RunDir
from ganfleet.rundir.checkpoint import list_checkpoints, load_latest
from ganfleet.strategies import get_strategy
from ganfleet.train import train
from ganfleet.train.execution import build_executor
from tests.conftest import tiny_config
from tests.packing.test_pack import full_state, make_pairs, tiny_points

MEMBERS = ["class-0000", "class-0001", "class-0002"]


def run_files(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())


def checkpoint_layout(path: Path) -> tuple[dict, dict]:
    """Tensor names with dtypes and shapes, and the header keys of one checkpoint file."""
    with safe_open(str(path), framework="pt") as f:
        return {k: (f.get_slice(k).get_dtype(), tuple(f.get_slice(k).get_shape())) for k in f.keys()}, sorted(  # noqa: SIM118 (safe_open has keys() but cannot be iterated)
            f.metadata()
        )


def final(run: Path, member: str) -> dict[str, torch.Tensor]:
    state = load_latest(RunDir(run).pair_dir(member))
    assert state is not None
    out = {f"g.{k}": v for k, v in state.generator.items()}
    out.update({f"d.{k}": v for k, v in state.discriminator.items()})
    for side in ("opt_g", "opt_d"):
        for i, s in getattr(state, side)["state"].items():
            out.update({f"{side}.{i}.{k}": v for k, v in s.items()})
    return out


def test_packed_run_equals_unpacked_run_with_per_pair_budgets(tmp_path: Path) -> None:
    """Toy MLPs (no BatchNorm, so float32 agrees to 1e-5); classes of 20, 14, 10 points make budgets 5, 4, 3."""
    points = tiny_points()
    common = {
        "data__name": "toy",
        "model__arch": "mlp",
        "budget__steps": None,
        "budget__epochs": 1.0,
        "cadence__checkpoint_every": 0,
        "cadence__log_every": 1,
    }
    straight = train(tiny_config(tmp_path / "off", **common), progress=False, dataset=points)
    packed = train(tiny_config(tmp_path / "packed", train__pack="3", **common), progress=False, dataset=points)
    assert straight.steps == packed.steps == {"class-0000": 5, "class-0001": 4, "class-0002": 3}
    for member in MEMBERS:
        a, b = final(tmp_path / "packed", member), final(tmp_path / "off", member)
        assert a.keys() == b.keys()
        for key in a:
            torch.testing.assert_close(
                a[key], b[key], rtol=1e-5, atol=1e-5, msg=lambda m, member=member, key=key: f"{member} {key}: {m}"
            )


def test_packed_run_writes_the_same_artifact(tiny_images, tmp_path: Path) -> None:
    """Conv nets, packs of 2 (a pack of 2 and one of 1): same files, checkpoint layout, manifest; the fleet loads."""
    train(tiny_config(tmp_path / "off", cadence__grid_every=2, train__pack="off"), progress=False, dataset=tiny_images)
    train(tiny_config(tmp_path / "packed", cadence__grid_every=2, train__pack="2"), progress=False, dataset=tiny_images)
    off, packed = tmp_path / "off", tmp_path / "packed"
    assert run_files(off) == run_files(packed)
    for member in MEMBERS:
        for a, b in zip(
            list_checkpoints(RunDir(off).pair_dir(member)),
            list_checkpoints(RunDir(packed).pair_dir(member)),
            strict=True,
        ):
            assert a.name == b.name and checkpoint_layout(a) == checkpoint_layout(b)
    manifests = [RunDir(r).read_manifest() for r in (off, packed)]
    assert [m["execution"]["pack"] for m in manifests] == ["pack: off", "pack: 2 channels_last"]  # how, not what
    for m in manifests:
        del m["updated"], m["execution"], m["config_sha256"]  # their config.json differ in pack and out
    assert manifests[0] == manifests[1]
    fleet = Fleet.load(packed)
    assert fleet.sample(6, labels=[0, 1, 2, 0, 1, 2], seed=0).shape == (6, 1, 32, 32)
    # the packed pairs did train like the separate ones (float32 BatchNorm nets: close, not equal; see test_packing.py)
    torch.testing.assert_close(
        final(packed, "class-0001")["d.head.weight"], final(off, "class-0001")["d.head.weight"], rtol=1e-3, atol=1e-3
    )


def test_packed_resume_equals_uninterrupted_and_pack_may_change(tiny_images, tmp_path: Path) -> None:
    train(tiny_config(tmp_path / "straight", train__pack="3"), progress=False, dataset=tiny_images)
    train(tiny_config(tmp_path / "resumed", train__pack="3", budget__steps=2), progress=False, dataset=tiny_images)
    train(tiny_config(tmp_path / "resumed", train__pack="3"), resume=True, progress=False, dataset=tiny_images)
    for member in MEMBERS:
        a, b = final(tmp_path / "straight", member), final(tmp_path / "resumed", member)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), member
    # packing is how a run executes, not what it trains: a resumed run may change it
    train(
        tiny_config(tmp_path / "resumed", train__pack="off", budget__steps=5),
        resume=True,
        progress=False,
        dataset=tiny_images,
    )
    assert RunDir(tmp_path / "resumed").read_manifest()["members"][0]["step"] == 5


def test_auto_times_every_candidate_on_copies_and_keeps_the_fastest(tiny_images) -> None:
    """With the generator EMA (of BatchNorm generators: its counters must not move either)."""
    pairs = make_pairs(tiny_images, ema__kimg=0.05)
    before = [{k: v.clone() for k, v in full_state(p).items()} for p in pairs]
    assert any(k.startswith("ema.") for k in before[0])
    rule = step_rule(tiny_config("unused", ema__kimg=0.05))
    best, timings = choose_plan(pairs, rule, steps=1)
    assert list(timings) == ["off", "1 channels_last", "3 channels_last", "3"]
    assert timings[str(best)] == min(timings.values()) > 0
    for p, state in zip(pairs, before):  # the run's own pairs are untouched
        assert p.step == 0 and all(torch.equal(full_state(p)[k], v) for k, v in state.items())
    assert candidate_plans(5, convolutional=False) == [PackPlan(None), PackPlan(1), PackPlan(4), PackPlan(5)]
    assert [str(p) for p in candidate_plans(20, convolutional=True)] == [
        "off",
        "1 channels_last",
        "4 channels_last",
        "16 channels_last",
        "20 channels_last",
        "20",
    ]


def test_auto_halves_a_pack_that_does_not_fit(tiny_images, monkeypatch: pytest.MonkeyPatch) -> None:
    tried = []

    def out_of_memory_above_one(plan, pairs, rule, steps):
        tried.append(plan.size)
        if plan.size is not None and plan.size > 1:
            raise torch.OutOfMemoryError("simulated: this pack does not fit")
        return 1.0

    monkeypatch.setattr(pack_plan, "seconds_per_pair_step", out_of_memory_above_one)
    monkeypatch.setattr(pack_plan, "candidate_plans", lambda n, conv: [PackPlan(4, True)])
    pairs = make_pairs(tiny_images) * 2  # 6 pairs
    best, timings = choose_plan(pairs, step_rule(tiny_config("unused")))
    assert tried == [4, 2, 1] and best == PackPlan(1, True) and timings == {"1 channels_last": 1.0}


def test_plan_execution_says_what_it_chose(tiny_images) -> None:
    pairs = make_pairs(tiny_images)
    rule = step_rule(tiny_config("unused"))
    run, line = plan_execution("off", pairs, rule)
    assert isinstance(run, LoopedPairs) and line == "pack: off"
    run, line = plan_execution("2", pairs, rule)
    assert (run.size, run.channels_last, line) == (2, True, "pack: 2 channels_last")
    packed, line = build_executor(
        tiny_config("unused", train__pack="2"), get_strategy("class-parallel"), 3, pairs, rule, None
    )
    assert isinstance(packed, PackedPairs) and line == "pack: 2 channels_last"


@pytest.mark.parametrize(("value", "expected"), [("off", "off"), ("auto", "auto"), ("12", 12), (False, "off"), (4, 4)])
def test_pack_setting_accepts_off_auto_and_pair_counts(value: object, expected: str) -> None:
    assert apply_values(RunConfig(), {"train.pack": value}).train.pack == expected


@pytest.mark.parametrize("value", ["0", "-2", "yes", "1.5", 0, True, 2.0])
def test_pack_setting_rejects_anything_else(value: object) -> None:
    with pytest.raises(
        ConfigError, match=r"train.pack: expected fast, off, auto or a positive number of pairs per pack"
    ):
        apply_values(RunConfig(), {"train.pack": value})


def test_cli_pack_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--pack", "auto", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["train"]["pack"] == "auto"
    assert main(["train", "--pack", "zero", "--dry-run"]) == 2
    assert "train.pack: expected fast, off, auto or a positive number" in capsys.readouterr().err


def test_the_run_says_how_it_packs(tiny_images, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train(tiny_config(tmp_path / "auto", train__pack="auto", budget__steps=1), progress=True, dataset=tiny_images)
    err = capsys.readouterr().err
    assert "pack auto: chose " in err and "(ms per pair-step: off " in err
    assert RunDir(tmp_path / "auto").read_manifest()["status"] == "complete"
    # what it times, while it times, and the time in telemetry
    assert (
        err.index("pack auto: timing 4 ways to step 3 pairs")
        < err.index("pack auto: timed 1/4, pack off: ")
        < err.index("chose")
    )
    telemetry = json.loads((tmp_path / "auto" / "telemetry.json").read_text())
    assert telemetry["ranks"][0]["seconds"]["pack"] > 0


def test_fast_is_channels_last_packs_of_one_for_conv_nets_on_cpu_and_timed_on_a_gpu() -> None:
    cpu, gpu = torch.device("cpu"), torch.device("cuda", 0)
    assert parse_pack("fast", convolutional=True, device=cpu) == PackPlan(1, channels_last=True)
    assert parse_pack("fast", convolutional=False, device=cpu) == PackPlan(None)
    assert parse_pack("fast", convolutional=True, device=gpu) is None  # auto's ladder, timed
