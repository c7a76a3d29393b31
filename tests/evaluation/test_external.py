"""`evaluate --samples` and `--input1/--input2`: any generator's samples on the scale of a fleet's evaluation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from ganfleet import Fleet
from ganfleet.cli import main
from ganfleet.cli.sample import save_npz
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.data.dataset import stratified_labels, to_uint8
from ganfleet.errors import EvaluationError
from ganfleet.evaluation import compare_samples, evaluate_run, evaluate_samples
from ganfleet.evaluation.samples import load_samples
from tests.evaluation.test_run import quick

DATA = DataConfig(name="digits", classes=[0, 1, 2])


@pytest.fixture
def exported(env, cache, tmp_path: Path) -> dict[str, Path]:
    """The class-parallel fleet's 60 evaluation samples (the labels and seed evaluate_run uses) as an npz and an image
    folder."""
    fleet = Fleet.load(env["class-parallel"])
    test = load_dataset(DataConfig(name="digits", classes=[0, 1, 2], split="test"))
    labels = stratified_labels(60, test.prior)
    x = fleet.sample(60, labels=labels, seed=0)
    save_npz(tmp_path / "s.npz", x, labels.numpy(), fleet.class_names)
    folder = tmp_path / "folder"
    for k, name in enumerate(["0-zero", "1-one", "2-two"]):
        (folder / name).mkdir(parents=True)
        from PIL import Image

        for i, image in enumerate(to_uint8(x[labels == k])[:, 0].numpy()):
            Image.fromarray(image).save(folder / name / f"{i:03d}.png")
    return {"npz": tmp_path / "s.npz", "folder": folder}


def test_exported_samples_measure_exactly_as_the_fleet(env, exported, tmp_path: Path) -> None:
    run = json.loads(
        evaluate_run(env["class-parallel"], quick(env, floor=False, cas_n=0), tmp_path / "run").read_text()
    )
    for kind, path in exported.items():
        summary = json.loads(
            evaluate_samples(path, DATA, quick(env, floor=False, cas_n=0), tmp_path / f"{kind}-eval").read_text()
        )
        assert summary["kind"] == "samples" and summary["conditional"] and summary["n_generated"] == 60
        for key in ("fid", "kid_mean", "precision", "conditional_accuracy", "fid_class/1"):
            assert summary["metrics"][key] == pytest.approx(run["metrics"][key], rel=1e-6), (kind, key)
    assert "# Evaluation of the samples in" in (tmp_path / "folder-eval" / "report.md").read_text()


def test_two_sets_compare_with_each_other(env, exported, tmp_path: Path) -> None:
    summary = json.loads(
        compare_samples(exported["npz"], exported["folder"], DATA, quick(env), tmp_path / "cmp").read_text()
    )
    assert summary["kind"] == "comparison" and summary["metrics"]["fid"] == pytest.approx(0.0, abs=1e-6)
    assert "real_floor" not in summary and "| FID |" in (tmp_path / "cmp" / "report.md").read_text()
    other = json.loads(
        compare_samples(env["class-parallel"], exported["npz"], DATA, quick(env, seed=5), tmp_path / "o").read_text()
    )
    assert other["metrics"]["fid"] > 0  # a run directory is sampled (another seed: other samples)


def test_samples_are_fitted_to_the_data_and_checked(env, cache, tmp_path: Path) -> None:
    test = load_dataset(DataConfig(name="digits", classes=[0, 1, 2], split="test"))
    np.savez(tmp_path / "small.npz", x=np.zeros((12, 16, 16), np.uint8), y=np.arange(12) % 3)
    samples = load_samples(tmp_path / "small.npz", test, "resize", None, 0)
    assert samples.images.shape == (12, 1, 32, 32) and samples.labels.tolist() == [0, 1, 2] * 4
    np.savez(tmp_path / "floats.npz", x=np.ones((10, 32, 32), np.float32))  # a generator's [-1, 1] output, no labels
    floats = load_samples(tmp_path / "floats.npz", test, "resize", None, 0)
    assert floats.labels is None and int(floats.images.min()) == 255
    np.savez(tmp_path / "bad.npz", x=np.zeros((10, 32, 32), np.uint8), y=np.array([0, 7] * 5))
    with pytest.raises(EvaluationError, match=re.escape("y must hold one label per image in 0..2")):
        load_samples(tmp_path / "bad.npz", test, "resize", None, 0)
    np.savez(tmp_path / "few.npz", x=np.zeros((3, 32, 32), np.uint8))
    with pytest.raises(EvaluationError, match="3 images; the metrics need at least 10"):
        load_samples(tmp_path / "few.npz", test, "resize", None, 0)
    (tmp_path / "two" / "a").mkdir(parents=True)
    (tmp_path / "two" / "b").mkdir()
    with pytest.raises(EvaluationError, match="2 class folders, but"):
        load_samples(tmp_path / "two", test, "resize", None, 0)


def test_the_command_needs_the_data_named(env, exported, capsys) -> None:
    assert main(["evaluate", "--samples", str(exported["npz"]), "--quiet"]) == 2
    assert "give --data NAME" in capsys.readouterr().err
    assert main(["evaluate", "--input1", str(exported["npz"]), "--data", "digits", "--quiet"]) == 2
    assert "needs both --input1 and --input2" in capsys.readouterr().err


def test_the_floor_of_samples_trains_cas_on_as_many_real_images(env, exported, tmp_path: Path) -> None:
    """CAS on the 60 samples given (or the first --cas-n of them) sits next to the recipe on as many real images."""
    for cas_n, expected in ((None, 60), (40, 40)):
        options = quick(env, metrics=["cas"], cas_n=cas_n)
        summary = json.loads(evaluate_samples(exported["npz"], DATA, options, tmp_path / f"n{cas_n}").read_text())
        assert summary["metrics"]["cas_n"] == summary["real_floor"]["cas_n"] == expected
