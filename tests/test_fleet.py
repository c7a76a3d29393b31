"""Fleet.load / sample: labels from the prior, routing to the class's generator, determinism."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import torch

from ganfleet import Fleet
from ganfleet.errors import CheckpointError
from ganfleet.rundir import load_latest
from ganfleet.train import train
from tests.conftest import make_tiny_images, tiny_config


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """One tiny trained run per strategy (module-scoped: trained once)."""
    out = {}
    for strategy in ("gan", "cgan", "class-parallel"):
        path = tmp_path_factory.mktemp(strategy) / "run"
        train(tiny_config(path, train__strategy=strategy, budget__steps=2), progress=False, dataset=make_tiny_images())
        out[strategy] = path
    return out


def test_load_describes_the_run(runs) -> None:
    fleet = Fleet.load(runs["class-parallel"])
    assert fleet.strategy == "class-parallel"
    assert fleet.class_names == ["a", "b", "c"]
    assert fleet.prior == [10 / 22, 7 / 22, 5 / 22]
    assert fleet.sample_shape == (1, 32, 32)
    assert fleet.steps == {"class-0000": 2, "class-0001": 2, "class-0002": 2}
    assert all(not g.training for g in fleet.generators.values())


@pytest.mark.parametrize("strategy", ["gan", "cgan", "class-parallel"])
def test_sample_shape_range_and_determinism(runs, strategy: str) -> None:
    fleet = Fleet.load(runs[strategy])
    x = fleet.sample(9, seed=0)
    assert x.shape == (9, 1, 32, 32) and x.dtype == torch.float32
    assert float(x.min()) >= -1 and float(x.max()) <= 1
    assert torch.equal(x, fleet.sample(9, seed=0))
    assert not torch.equal(x, fleet.sample(9, seed=1))
    torch.testing.assert_close(
        x, fleet.sample(9, seed=0, batch_size=2), rtol=1e-5, atol=1e-6
    )  # batch-size independent (up to kernel rounding)


def test_class_parallel_routes_each_label_to_its_generator(runs) -> None:
    fleet = Fleet.load(runs["class-parallel"])
    labels = torch.tensor([2, 0, 2, 1])
    x = fleet.sample(4, labels=labels, seed=5)
    z = torch.randn(4, 100, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        for i, k in enumerate(labels.tolist()):
            torch.testing.assert_close(x[i : i + 1], fleet.generators[f"class-000{k}"](z[i : i + 1]))


def test_cgan_passes_labels_to_one_generator(runs) -> None:
    fleet = Fleet.load(runs["cgan"])
    labels = torch.tensor([1, 1, 0])
    z = torch.randn(3, 100, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(fleet.sample(3, labels=labels, seed=3), fleet.generators["all"](z, labels))


def test_labels_come_from_the_prior(runs) -> None:
    fleet = Fleet.load(runs["class-parallel"])
    labels = fleet.draw_labels(22_000, seed=0)
    freq = torch.bincount(labels, minlength=3).double() / len(labels)
    torch.testing.assert_close(freq, torch.tensor(fleet.prior, dtype=torch.float64), atol=0.01, rtol=0)
    uniform = torch.bincount(fleet.draw_labels(30_000, seed=0, prior="uniform"), minlength=3).double() / 30_000
    torch.testing.assert_close(uniform, torch.full((3,), 1 / 3, dtype=torch.float64), atol=0.01, rtol=0)


def test_bad_requests(runs, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unconditional"):
        Fleet.load(runs["gan"]).sample(2, labels=[0, 1])
    fleet = Fleet.load(runs["class-parallel"])
    with pytest.raises(ValueError, match=re.escape("labels must be in 0..2")):
        fleet.sample(1, labels=[3])
    with pytest.raises(ValueError, match="got 2 labels for n=3"):
        fleet.sample(3, labels=[0, 1])
    with pytest.raises(CheckpointError, match=re.escape("manifest.json: missing")):
        Fleet.load(tmp_path)


def test_fleets_sample_the_generator_ema_and_older_runs_load_without_one(runs, tmp_path: Path) -> None:
    path = tmp_path / "ema"
    train(
        tiny_config(path, budget__steps=3, ema__kimg=0.05, model__spectral_norm="both"),
        progress=False,
        dataset=make_tiny_images(),
    )
    averaged, raw = Fleet.load(path), Fleet.load(path, ema=False)
    assert all(averaged.averaged.values()) and not any(raw.averaged.values())
    state = load_latest(path / "pairs" / "class-0001")
    assert state is not None and state.ema is not None
    for key, value in state.ema.items():
        assert torch.equal(averaged.generators["class-0001"].state_dict()[key], value)
    assert not torch.equal(averaged.sample(6, labels=[1] * 6, seed=0), raw.sample(6, labels=[1] * 6, seed=0))
    old = Fleet.load(runs["class-parallel"])  # no EMA in its checkpoints: the raw generators
    assert not any(old.averaged.values())


def test_a_manifest_from_before_the_recipe_fields_loads(runs, tmp_path: Path) -> None:
    run = Path(shutil.copytree(runs["class-parallel"], tmp_path / "old"))
    manifest = json.loads((run / "manifest.json").read_text())
    for key in ("spectral_norm", "d_dropout", "d_norm"):
        del manifest["model"][key]
    (run / "manifest.json").write_text(json.dumps(manifest))
    fleet = Fleet.load(run)
    assert fleet.spec.spectral_norm == "none" and fleet.spec.d_dropout == 0.25
    torch.testing.assert_close(
        fleet.sample(4, seed=3), Fleet.load(runs["class-parallel"]).sample(4, seed=3), rtol=0, atol=0
    )


def test_is_conditional_is_an_attribute_like_n_classes(runs) -> None:
    cp, gan = Fleet.load(runs["class-parallel"]), Fleet.load(runs["gan"])
    assert cp.is_conditional == True and gan.is_conditional == False  # noqa: E712 - compares as the bool it is
    assert bool(cp.is_conditional) and not gan.is_conditional and repr(gan.is_conditional) == "False"
    assert cp.is_conditional is True and gan.is_conditional is False
    assert (
        cp.member_is_conditional() is True and cp.member_is_conditional("class-0001") is False
    )  # a one-class pair is unconditional; routing by label is not


def test_truncation_and_given_noise(runs) -> None:
    fleet = Fleet.load(runs["class-parallel"])
    x = fleet.sample(6, labels=[0, 1, 2, 0, 1, 2], seed=3)
    z = torch.randn(6, fleet.spec.latent_dim, generator=torch.Generator().manual_seed(3))
    assert torch.equal(fleet.generate(z, [0, 1, 2, 0, 1, 2]), x)  # sample() is generate() of its seeded noise
    truncated = fleet.sample(6, labels=[0, 1, 2, 0, 1, 2], seed=3, truncation=0.5)
    assert truncated.shape == x.shape and not torch.equal(truncated, x)
    with pytest.raises(ValueError, match="give one label per noise vector"):
        fleet.generate(z)


def test_load_reads_a_generator_only_when_it_is_used(tmp_path: Path, tiny_images) -> None:
    train(tiny_config(tmp_path / "run"), progress=False, dataset=tiny_images)
    fleet = Fleet.load(tmp_path / "run")
    assert fleet.generators.loaded == {} and len(fleet.generators) == 3 and "class-0002" in fleet.generators
    fleet.sample(4, labels=[1, 1, 1, 1], seed=0)
    assert list(fleet.generators.loaded) == ["class-0001"]
    assert fleet.steps == dict.fromkeys(["class-0000", "class-0001", "class-0002"], 4)  # asks every pair


def test_a_generator_that_makes_nan_is_refused_naming_it(runs) -> None:
    fleet = Fleet.load(runs["class-parallel"])
    with torch.no_grad():
        next(fleet.generators["class-0001"].parameters()).fill_(float("nan"))
    with pytest.raises(CheckpointError, match=r"class-0001: made non-finite values \(sample \d+\)"):
        fleet.sample(6, labels=[0, 1, 2, 0, 1, 2], seed=0)
    assert fleet.sample(2, labels=[0, 2], seed=0).isfinite().all()  # the others still sample
