"""The shared warm start: one unconditional pair on every class first, each class pair starting as its copy."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
import torch

from ganfleet.errors import ConfigError
from ganfleet.rundir import RunDir
from ganfleet.rundir.checkpoint import list_checkpoints, load_latest
from ganfleet.train import plan_run, train
from ganfleet.train.interrupt import TrainingInterrupted
from ganfleet.train.run_plan import build_pairs, fork
from tests.conftest import tiny_config
from tests.packing.test_choice import final, tiny_points
from tests.train.test_loop import assert_same_states

CLASSES = [f"class-000{k}" for k in range(3)]
MEMBERS = ["shared", *CLASSES]
WARM = {"shared__kimg": 0.032, "budget__steps": 4}  # batch 4: 8 shared steps, then 4 per class pair
RECIPE = {
    "model__spectral_norm": "discriminator",
    "augment__policy": "color,translation,cutout",
    "ema__kimg": 0.05,
    "loss__name": "hinge",
}


def state_of(pair) -> dict[str, torch.Tensor]:
    opt = {
        f"opt_{side}.{i}.{k}": v
        for side, o in (("g", pair.opt_g), ("d", pair.opt_d))
        for i, s in o.state_dict()["state"].items()
        for k, v in s.items()
    }
    return {
        **{f"g.{k}": v for k, v in pair.generator.state_dict().items()},
        **{f"d.{k}": v for k, v in pair.discriminator.state_dict().items()},
        **{f"ema.{k}": v for k, v in pair.ema.state_dict().items()},
        **opt,
    }


@pytest.mark.parametrize("optimizer", ["copy", "reset"])
def test_every_class_pair_starts_as_the_shared_pairs_final_state(tiny_images, tmp_path: Path, optimizer: str) -> None:
    config = tiny_config(tmp_path / "run", shared__optimizer=optimizer, **WARM, **RECIPE)
    train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    shared = load_latest(run.pair_dir("shared"))
    assert shared is not None and shared.step == 8
    plan = plan_run(config, tiny_images)
    pairs = build_pairs(config, plan, tiny_images, CLASSES, torch.device("cpu"), run, resume=False)
    fork(pairs, run, "shared", optimizer)
    expected_opt = {
        f"opt_{side}.{i}.{k}": v
        for side, o in (("g", shared.opt_g), ("d", shared.opt_d))
        for i, s in o["state"].items()
        for k, v in s.items()
    }
    expected = {
        **{f"g.{k}": v for k, v in shared.generator.items()},
        **{f"d.{k}": v for k, v in shared.discriminator.items()},
        **{f"ema.{k}": v for k, v in shared.ema.items()},
        **(expected_opt if optimizer == "copy" else {}),
    }
    for pair in pairs:
        got = state_of(pair)
        assert got.keys() == expected.keys() and pair.step == 0
        for key, value in expected.items():
            assert torch.equal(got[key], value), f"{pair.name}: {key}"
    if optimizer == "copy":  # each pair its own moments, not one shared tensor
        moments = [p.opt_g.state_dict()["state"][0]["exp_avg"] for p in pairs]
        assert moments[0].data_ptr() != moments[1].data_ptr()
    manifest = run.read_manifest()
    assert [(m["name"], m["target_steps"], m["step"]) for m in manifest["members"]] == [
        ("shared", 8, 8),
        *((name, 4, 4) for name in CLASSES),
    ]


@pytest.mark.parametrize("conditional", [False, True])
def test_resume_right_after_the_fork_equals_an_uninterrupted_run(
    tiny_images, tmp_path: Path, conditional: bool
) -> None:
    warm = {**RECIPE, "shared__kimg": 0.016, "shared__conditional": conditional}  # 4 shared steps
    train(tiny_config(tmp_path / "straight", budget__steps=4, **warm), progress=False, dataset=tiny_images)
    train(tiny_config(tmp_path / "resumed", budget__steps=2, **warm), progress=False, dataset=tiny_images)
    longer = tiny_config(tmp_path / "resumed", budget__steps=4, **{**warm, "shared__kimg": 0.02})
    with pytest.raises(ConfigError, match=r"shared.kimg: 0.016 -> 0.02"):  # a run that has forked cannot re-fork
        train(longer, resume=True, progress=False, dataset=tiny_images)
    train(tiny_config(tmp_path / "resumed", budget__steps=4, **warm), resume=True, progress=False, dataset=tiny_images)
    assert_same_states(tmp_path / "straight", tmp_path / "resumed", MEMBERS)


def test_a_stop_during_the_warm_start_resumes_exactly(tiny_images, tmp_path: Path, monkeypatch) -> None:
    config = tiny_config(tmp_path / "stopped", train__pack="off", cadence__checkpoint_every=0, **WARM)
    train(
        tiny_config(tmp_path / "straight", train__pack="off", cadence__checkpoint_every=0, **WARM),
        progress=False,
        dataset=tiny_images,
    )
    import ganfleet.pairs.executor as base

    real_step = base.adversarial_step

    def step_then_interrupt(pair, rule):
        out = real_step(pair, rule)
        if pair.name == "shared" and pair.step == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return out

    monkeypatch.setattr(base, "adversarial_step", step_then_interrupt)
    with pytest.raises(TrainingInterrupted, match="at step 3"):
        train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    assert [c.name for c in list_checkpoints(run.pair_dir("shared"))] == ["step-00000003.safetensors"]
    assert not run.pair_dir("class-0000").exists() or not list_checkpoints(run.pair_dir("class-0000"))
    monkeypatch.setattr(base, "adversarial_step", real_step)
    train(config, resume=True, progress=False, dataset=tiny_images)
    assert_same_states(tmp_path / "straight", tmp_path / "stopped", MEMBERS)


@pytest.mark.parametrize(("freeze_d", "conditional"), [(0, False), (2, False), (0, True)])
def test_packed_equals_looped_through_the_fork(tmp_path: Path, freeze_d: int, conditional: bool) -> None:
    """Toy MLPs (no BatchNorm, so float32 agrees to 1e-5), as the packing tests compare whole runs; with FreezeD
    too (its frozen layers must stay frozen in a pack), and from a conditional warm start."""
    common = {
        "data__name": "toy",
        "model__arch": "mlp",
        "cadence__checkpoint_every": 0,
        "shared__freeze_d": freeze_d,
        "shared__conditional": conditional,
        **WARM,
    }
    for pack, name in (("off", "looped"), (3, "packed")):
        train(tiny_config(tmp_path / name, train__pack=pack, **common), progress=False, dataset=tiny_points())
    for member in MEMBERS:
        a, b = final(tmp_path / "packed", member), final(tmp_path / "looped", member)
        assert a.keys() == b.keys()
        for key in a:
            torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-5)


def test_a_warm_start_needs_class_pairs_and_leaves_them_a_quarter_of_the_images(tiny_images, tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "shared.kimg: a warm start forks class pairs, which only strategy class-parallel has (strategy is 'cgan')"
        ),
    ):
        tiny_config(tmp_path / "run", train__strategy="cgan", **WARM)
    too_long = tiny_config(tmp_path / "run", shared__kimg=0.148, budget__steps=4)  # 37 steps against 3 x 4
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "shared.kimg: the warm start (0.148 kimg) would take more than 3/4 of the run's images: the class pairs "
            "train on 0.048 kimg together; expected at most 0.144 kimg (3 times theirs)"
        ),
    ):
        train(too_long, progress=False, dataset=tiny_images)
    assert not (tmp_path / "run").exists()  # refused before anything is written
    most = tiny_config(tmp_path / "most", shared__kimg=0.144, budget__steps=4)  # 36 steps: 3/4 of the run's images
    assert train(most, progress=False, dataset=tiny_images).steps["shared"] == 36


@pytest.mark.parametrize("pack", ["off", 3])
def test_freeze_d_keeps_the_warm_starts_first_discriminator_layers(tiny_images, tmp_path: Path, pack) -> None:
    config = tiny_config(tmp_path / "run", train__pack=pack, shared__freeze_d=2, **WARM, **RECIPE)
    train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    shared = load_latest(run.pair_dir("shared"))
    assert shared is not None
    first_two = ("blocks.0.", "blocks.2.")  # the first two convs (spectral norm: bias and weight.original)
    for name in CLASSES:
        d = load_latest(run.pair_dir(name)).discriminator  # type: ignore[union-attr]
        frozen = [k for k in d if k.startswith(first_two) and ".weight.0._" not in k]  # not power iteration's u, v
        assert len(frozen) == 4
        assert all(torch.equal(d[k], shared.discriminator[k]) for k in frozen), name
        later = "head.parametrizations.weight.original"
        assert not torch.equal(d[later], shared.discriminator[later])  # the rest trained on
    # the shared pair itself trained every layer: its first conv moved from a fresh pair's
    fresh = build_pairs(config, plan_run(config, tiny_images), tiny_images, ["shared"], torch.device("cpu"), run, False)
    assert not torch.equal(fresh[0].discriminator.state_dict()["blocks.0.bias"], shared.discriminator["blocks.0.bias"])


def test_a_conditional_warm_start_starts_each_class_pair_as_it_with_its_label(tiny_images, tmp_path: Path) -> None:
    """The shared pair learns every class with labels; class pair k's generators then draw (eval mode) what the
    shared generators draw for label k, and the run goes on from there as any warm start."""
    config = tiny_config(tmp_path / "run", shared__conditional=True, **WARM, **RECIPE)
    train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    members = {m["name"]: m for m in run.read_manifest()["members"]}
    assert members["shared"]["conditional"] and not members["class-0001"]["conditional"]
    shared = load_latest(run.pair_dir("shared"))
    assert shared is not None and shared.ema is not None
    plan = plan_run(config, tiny_images)
    conditional = build_pairs(config, plan, tiny_images, ["shared"], torch.device("cpu"), run, resume=True)[0]
    pairs = build_pairs(config, plan, tiny_images, CLASSES, torch.device("cpu"), run, resume=False)
    fork(pairs, run, "shared", "copy", conditional=True)
    z = torch.randn(6, config.model.latent_dim)
    for pair in pairs:
        for fixed, shared_generator in ((pair.generator, conditional.generator), (pair.ema, conditional.ema)):
            fixed.eval()
            shared_generator.eval()
            with torch.no_grad():
                expected = shared_generator(z, torch.full((6,), pair.member.label))
                torch.testing.assert_close(fixed(z), expected, rtol=0, atol=1e-5)
        assert pair.step == 0 and pair.opt_g.state_dict()["state"]  # Adam's moments came along
