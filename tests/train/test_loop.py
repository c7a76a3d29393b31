"""The training loop: per-class data, budgets, resume equals uninterrupted, graceful stop."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch

from ganfleet.errors import CheckpointError, ConfigError
from ganfleet.pairs import adversarial_step, make_pair, step_rule, target_steps
from ganfleet.rundir import RunDir
from ganfleet.rundir.checkpoint import list_checkpoints, load_latest
from ganfleet.strategies import get_strategy
from ganfleet.train import train
from ganfleet.train.interrupt import TrainingInterrupted
from tests.conftest import tiny_config


def final_state(run: Path, member: str) -> dict[str, torch.Tensor]:
    state = load_latest(RunDir(run).pair_dir(member))
    assert state is not None
    return {
        **{f"g.{k}": v for k, v in state.generator.items()},
        **{f"d.{k}": v for k, v in state.discriminator.items()},
        **{f"opt_g.{i}.{k}": v for i, s in state.opt_g["state"].items() for k, v in s.items()},
        **{f"ema.{k}": v for k, v in (state.ema or {}).items()},
    }


def assert_same_states(a: Path, b: Path, members: list[str]) -> None:
    for m in members:
        sa, sb = final_state(a, m), final_state(b, m)
        assert sa.keys() == sb.keys()
        for key in sa:
            assert torch.equal(sa[key], sb[key]), f"{m}: {key} differs"


def test_class_parallel_pair_k_sees_only_class_k(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run")
    members = get_strategy("class-parallel").members(tiny_images)
    assert [(m.name, m.label, m.classes) for m in members] == [
        ("class-0000", 0, (0,)),
        ("class-0001", 1, (1,)),
        ("class-0002", 2, (2,)),
    ]
    for m in members:
        pair = make_pair(config, tiny_images, m, torch.device("cpu"))
        assert len(pair.stream) == tiny_images.counts[m.label]
        for b in range(6):  # more than an epoch: every batch drawn only from class k
            x, y = pair.stream.batch(b)
            assert y is None
            pixels = (x + 1) * 127.5
            # class k's pixels lie in [60k, 60k + 40): no other class overlaps
            assert float(pixels.min()) >= 60 * m.label - 1e-3 and float(pixels.max()) <= 60 * m.label + 40


def test_pairs_do_not_depend_on_the_schedule(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run")
    members = get_strategy("class-parallel").members(tiny_images)
    rule = step_rule(config)
    cpu = torch.device("cpu")
    round_robin = [make_pair(config, tiny_images, m, cpu) for m in members]
    for _ in range(3):
        for p in round_robin:
            adversarial_step(p, rule)
    one_by_one = [make_pair(config, tiny_images, m, cpu) for m in reversed(members)]
    for p in one_by_one:
        torch.manual_seed(123)  # whatever the global RNG holds before, the pair's draws are its own
        for _ in range(3):
            adversarial_step(p, rule)
    for a, b in zip(round_robin, reversed(one_by_one)):
        for pa, pb in zip(a.generator.parameters(), b.generator.parameters()):
            assert torch.equal(pa, pb)


def test_epoch_budget_is_per_pair(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run", budget__steps=None, budget__epochs=2.0)
    result = train(config, progress=False, dataset=tiny_images)
    # 2 epochs of n_k images in batches of 4: ceil(2 n_k / 4) steps
    assert result.steps == {"class-0000": 5, "class-0001": 4, "class-0002": 3}
    assert target_steps(config, 10) == 5
    manifest = RunDir(config.out).read_manifest()
    assert manifest["status"] == "complete"
    assert [(m["name"], m["step"], m["target_steps"]) for m in manifest["members"]] == [
        ("class-0000", 5, 5),
        ("class-0001", 4, 4),
        ("class-0002", 3, 3),
    ]
    assert manifest["data"]["prior"] == [10 / 22, 7 / 22, 5 / 22]


def test_n_critic_divides_the_epoch_budget(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run", budget__steps=None, budget__epochs=2.0, loss__name="wgan")
    assert config.loss.critic_steps == 5
    assert target_steps(config, 10) == 1  # 20 images / (4 per batch * 5 batches per step)


RECIPE = {
    "model__spectral_norm": "discriminator",
    "augment__policy": "color,translation,cutout",
    "loss__lecam_weight": 0.3,
    "ema__kimg": 0.05,
    "loss__name": "hinge",
}


@pytest.mark.parametrize(
    ("strategy", "extra"),
    [("gan", {}), ("cgan", {}), ("class-parallel", {}), ("class-parallel", RECIPE), ("cgan", RECIPE)],
)
def test_resume_equals_uninterrupted(tiny_images, tmp_path: Path, strategy: str, extra: dict) -> None:
    straight = tiny_config(tmp_path / "straight", train__strategy=strategy, **extra)
    train(straight, progress=False, dataset=tiny_images)
    first = tiny_config(tmp_path / "resumed", train__strategy=strategy, budget__steps=2, **extra)
    train(first, progress=False, dataset=tiny_images)
    train(
        tiny_config(tmp_path / "resumed", train__strategy=strategy, **extra),
        resume=True,
        progress=False,
        dataset=tiny_images,
    )
    members = [m["name"] for m in RunDir(straight.out).read_manifest()["members"]]
    assert_same_states(tmp_path / "straight", tmp_path / "resumed", members)


def test_sigint_checkpoints_every_pair_then_resume_is_exact(
    tiny_images, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the fault is injected into the looped step: this run steps its pairs one at a time, NCHW
    train(
        tiny_config(tmp_path / "straight", cadence__checkpoint_every=0, train__pack="off"),
        progress=False,
        dataset=tiny_images,
    )
    import ganfleet.pairs.executor as base

    calls = {"n": 0}
    real_step = base.adversarial_step

    def step_then_interrupt(pair, rule):
        out = real_step(pair, rule)
        calls["n"] += 1
        if calls["n"] == 4:  # mid-iteration 2: the signal lands between pair steps
            os.kill(os.getpid(), signal.SIGINT)
        return out

    monkeypatch.setattr(base, "adversarial_step", step_then_interrupt)
    config = tiny_config(tmp_path / "stopped", cadence__checkpoint_every=0, train__pack="off")
    with pytest.raises(TrainingInterrupted, match="stopped by SIGINT at step 2"):
        train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    assert run.read_manifest()["status"] == "interrupted"
    assert [list_checkpoints(run.pair_dir(f"class-000{k}"))[-1].name for k in range(3)] == [
        "step-00000002.safetensors"
    ] * 3
    monkeypatch.setattr(base, "adversarial_step", real_step)
    train(config, resume=True, progress=False, dataset=tiny_images)
    assert_same_states(tmp_path / "straight", tmp_path / "stopped", [f"class-000{k}" for k in range(3)])


def test_existing_run_needs_resume_and_same_settings(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run", budget__steps=1)
    with pytest.raises(CheckpointError, match="nothing to resume"):
        train(config, resume=True, progress=False, dataset=tiny_images)
    train(config, progress=False, dataset=tiny_images)
    with pytest.raises(CheckpointError, match="a run already exists here; pass --resume"):
        train(config, progress=False, dataset=tiny_images)
    changed = tiny_config(tmp_path / "run", budget__steps=1, optim__lr_g=1e-3)
    with pytest.raises(ConfigError, match=r"optim.lr_g: 0.0002 -> 0.001"):
        train(changed, resume=True, progress=False, dataset=tiny_images)


def test_a_config_json_edited_by_hand_is_refused_on_resume(tiny_images, tmp_path: Path) -> None:
    """Settings change through flags on --resume; an edit of config.json would be taken for the run's own."""
    config = tiny_config(tmp_path / "run", budget__steps=1)
    train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    saved = json.loads(run.config_path.read_text())
    saved["loss"]["name"] = "ns" if saved["loss"]["name"] != "ns" else "hinge"
    run.config_path.write_text(json.dumps(saved, indent=2) + "\n")
    with pytest.raises(ConfigError, match=r"config\.json: changed since the run wrote it"):
        train(tiny_config(tmp_path / "run", budget__steps=2), resume=True, progress=False, dataset=tiny_images)


def test_a_run_saved_with_string_counts_resumes(tiny_images, tmp_path: Path) -> None:
    """Older versions saved train.threads and train.pack as strings; the same values as counts still resume."""
    config = tiny_config(tmp_path / "run", budget__steps=1, train__threads=1, train__pack=2)
    train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    saved = json.loads(run.config_path.read_text())
    saved["train"].update(threads="1", pack="2")
    run.config_path.write_text(json.dumps(saved))
    manifest = json.loads(run.manifest_path.read_text())
    del manifest["config_sha256"]  # older versions recorded no checksum of config.json
    run.manifest_path.write_text(json.dumps(manifest))
    more = tiny_config(tmp_path / "run", budget__steps=2, train__threads=1, train__pack=2)
    assert train(more, resume=True, progress=False, dataset=tiny_images).steps == dict.fromkeys(
        [f"class-000{k}" for k in range(3)], 2
    )


def test_run_directory_contents(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run", cadence__grid_every=2)
    train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    assert sorted(p.name for p in run.grids_dir.iterdir()) == ["final.png", "step-00000002.png", "step-00000004.png"]
    lines = run.metrics_path.read_text().splitlines()
    assert len(lines) == 2  # ticks at steps 2 and 4
    assert sorted(p.name for p in (run.path / "pairs").iterdir()) == ["class-0000", "class-0001", "class-0002"]
    assert [p.name for p in list_checkpoints(run.pair_dir("class-0001"))] == [
        "step-00000002.safetensors",
        "step-00000004.safetensors",
    ]


def test_resume_on_fewer_ranks_removes_the_temporaries_of_every_earlier_rank(tiny_images, tmp_path: Path) -> None:
    """A rank killed mid-write leaves a temporary in its records; a resume on fewer ranks (no rank of that number
    left to clean its own folder) must remove it all the same."""
    train(tiny_config(tmp_path / "run", budget__steps=2), progress=False, dataset=tiny_images)
    records = tmp_path / "run" / "ranks" / "rank-0001"
    records.mkdir(parents=True)
    stale = records / ".ganfleet-tmp.4242.progress.json"
    stale.write_text("half")
    train(tiny_config(tmp_path / "run", budget__steps=3), resume=True, progress=False, dataset=tiny_images)
    assert not stale.exists()
