"""`ganfleet train` as a user drives it: resume by folder, a dry run that resolves and validates, presets, budgets,
signals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganfleet import Fleet
from ganfleet.cli import main
from ganfleet.config import RunConfig, apply_values, load_config
from ganfleet.errors import ConfigError
from ganfleet.pairs import target_steps
from ganfleet.recipes import fashion_mnist_available, recipe_config
from ganfleet.train.estimate import resume_line
from tests.conftest import HANG_S

REPO = Path(__file__).resolve().parents[2]
FAST = ["--width", "0.125", "--batch-size", "8", "--log-every", "1", "--grid-every", "0", "--quiet"]
DIGITS = ["--data", "digits", "--classes", "0,1", "--max-per-class", "8"]


def test_resume_needs_only_the_folder_and_what_changes(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "r")
    assert main(["train", *DIGITS, "--steps", "2", "--out", out, *FAST, "--lr-d", "1e-3"]) == 0
    assert main(["train", "--resume", "--out", out, "--steps", "4", "--quiet"]) == 0  # the saved lr, width, data, ...
    assert Fleet.load(out).steps == {"class-0000": 4, "class-0001": 4}
    saved = json.loads((Path(out) / "config.json").read_text())
    assert saved["optim"]["lr_d"] == 1e-3 and saved["model"]["width"] == 0.125 and saved["budget"]["steps"] == 4
    capsys.readouterr()
    assert main(["train", "--resume", "--out", out, "--steps", "5", "--lr-d", "2e-4", "--quiet"]) == 2
    assert "optim.lr_d: 0.001 -> 0.0002" in capsys.readouterr().err  # outside RESUMABLE_KEYS: still refused


def test_resume_says_where_each_run_starts(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "r")
    assert main(["train", *DIGITS, "--steps", "2", "--out", out, *FAST]) == 0
    assert "resuming" not in capsys.readouterr().err
    assert main(["train", "--resume", "--out", out, "--steps", "3"]) == 0
    assert "resuming from step 4 of 6 (each pair at step 2)" in capsys.readouterr().err


def test_the_resume_line_sums_the_pairs_and_says_a_restart() -> None:
    assert resume_line({"a": 0, "b": 0}, {"a": 5, "b": 5}) is None
    assert resume_line({"a": 3}, {"a": 5, "b": 5}) == "resuming from step 3 of 5"
    assert resume_line({"a": 1, "b": 4}, {"a": 5, "b": 5}, 2) == (
        "restart 2 after a failure: resuming from step 5 of 10 (each pair at step 1..4)"
    )


def test_resume_with_another_kind_of_budget_replaces_the_saved_one(tmp_path: Path) -> None:
    out = str(tmp_path / "r")
    assert main(["train", *DIGITS, "--steps", "2", "--out", out, *FAST]) == 0
    assert (
        main(["train", "--resume", "--out", out, "--kimg", "0.04", "--quiet"]) == 0
    )  # 40 images / 8 per step = 5 steps
    assert Fleet.load(out).steps == {"class-0000": 5, "class-0001": 5}
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    assert manifest["budget"]["kimg"] == 0.04 and manifest["budget"]["steps"] is None
    assert manifest["budget"]["target_images"] == 80 and manifest["members"][0]["target_images"] == 40


def test_dry_run_resolves_auto_and_null_and_validates(capsys) -> None:
    assert main(["train", "--data", "digits", "--recipe", "paper", "--dry-run"]) == 0
    captured = capsys.readouterr()
    config = json.loads(captured.out)
    assert (config["model"]["arch"], config["model"]["d_norm"], config["model"]["d_dropout"]) == (
        "paper",
        "batch",
        0.25,
    )
    assert (config["loss"]["n_critic"], config["train"]["device"], config["budget"]["epochs"]) == (1, "cpu", 5.0)
    assert config["data"]["image_size"] == 32
    assert captured.err.startswith("plan: 10 pair(s) (class-parallel, paper at width 1, on cpu)")
    assert main(["train", "--data", "digits", "--classes", "0,99", "--dry-run"]) == 2  # fails here, not at training
    assert "class 99 out of range" in capsys.readouterr().err


@pytest.mark.skipif(not fashion_mnist_available(), reason="needs Debian's dataset-fashion-mnist (make data)")
def test_dry_run_says_the_folder_it_found_and_the_threads_it_would_take(capsys) -> None:
    assert main(["train", "--data", "fashion-mnist", "--threads", "auto", "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert (
        Path(config["data"]["path"], "train-images-idx3-ubyte.gz").exists()
        or Path(config["data"]["path"], "train-images-idx3-ubyte").exists()
    )
    assert isinstance(config["train"]["threads"], int) and config["train"]["threads"] >= 1


def test_a_new_run_trains_the_recommended_recipe_and_a_resumed_one_keeps_its_own(tmp_path: Path, capsys) -> None:
    assert main(["train", "--data", "digits", "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert (config["model"]["arch"], config["loss"]["name"], config["model"]["d_width_factor"]) == ("dcgan", "hinge", 2)
    out = str(tmp_path / "paper")
    assert main(["train", *DIGITS, "--recipe", "paper", "--steps", "1", "--out", out, *FAST]) == 0
    assert main(["train", "--resume", "--out", out, "--steps", "2", "--quiet"]) == 0  # not refused: still the paper's
    assert json.loads((Path(out) / "config.json").read_text())["loss"]["name"] == "ns"
    capsys.readouterr()
    assert main(["train", "--data", "toy", "--dry-run"]) == 0  # points keep the defaults (an MLP): no image recipe
    assert json.loads(capsys.readouterr().out)["model"]["arch"] == "mlp"


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "configs").glob("paper-*.yaml")))
def test_the_paper_configs_mean_the_same_over_either_recipe(name: str) -> None:
    path = str(REPO / "configs" / name)
    assert load_config(path, recipe_config("recommended")) == load_config(path, RunConfig())


def test_preset_sits_over_the_recipe_and_under_flags(capsys) -> None:
    assert main(["train", "--recipe", "recommended", "--preset", "cpu", "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["model"]["width"] == 0.25 and config["model"]["spectral_norm"] == "discriminator"
    assert main(["train", "--preset", "cpu", "--width", "0.5", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["width"] == 0.5


def test_a_budget_is_one_of_epochs_steps_kimg(tmp_path: Path) -> None:
    config = apply_values(RunConfig(), {"budget.kimg": 6.4, "train.batch_size": 32})
    assert target_steps(config, 1000) == 200 and config.budget.epochs is None
    assert target_steps(apply_values(config, {"loss.name": "wgan-gp"}), 1000) == 40  # 5 critic steps see 5 batches
    with pytest.raises(ConfigError, match="budget: give one of epochs, steps or kimg, got epochs and steps"):
        apply_values(RunConfig(), {"budget.epochs": 2.0, "budget.steps": 3})
    path = tmp_path / "c.yaml"
    path.write_text("budget:\n  epochs: 3\n")
    layered = apply_values(
        load_config(path), {"budget.steps": 7}
    )  # a flag over the file: its budget replaces the file's
    assert (layered.budget.epochs, layered.budget.steps) == (None, 7)


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_with_the_shells_status(tmp_path: Path, sig: signal.Signals, status: int) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    job = subprocess.Popen(
        [sys.executable, "-m", "ganfleet", "train", *DIGITS, "--steps", "100000", "--out", str(out), *FAST],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + HANG_S
    while not (out / "progress.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    job.send_signal(sig)
    _, stderr = job.communicate(timeout=HANG_S)
    assert job.returncode == status, stderr
    assert (
        f"stopped by {sig.name}" in stderr
        and json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    )


def test_a_run_of_some_classes_names_pairs_by_class_and_refuses_an_older_naming(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert (
        main(
            [
                "train",
                "--data",
                "digits",
                "--classes",
                "7,3",
                "--max-per-class",
                "8",
                "--steps",
                "1",
                "--out",
                str(out),
                *FAST,
            ]
        )
        == 0
    )
    assert Fleet.load(out).steps == {"class-0007": 1, "class-0003": 1}
    manifest = json.loads((out / "manifest.json").read_text())  # as a run of --classes from before issue 22
    for k, member in enumerate(manifest["members"]):
        (out / "pairs" / member["name"]).rename(out / "pairs" / f"class-{k:04d}")
        member["name"] = f"class-{k:04d}"
    (out / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["train", "--resume", "--out", str(out), "--steps", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "the run has pairs class-0000, class-0001 but its config makes class-0007, class-0003" in err
    assert err.count("\n") == 1


def test_resume_refuses_changed_data_and_a_missing_pair_folder(tmp_path: Path, capsys) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    data = tmp_path / "data.npz"
    x, y = rng.integers(0, 255, (12, 8, 8), dtype=np.uint8), np.repeat(np.arange(2), 6)
    np.savez(data, x=x, y=y)
    out = tmp_path / "r"
    args = ["--data", "npz", "--data-dir", str(data), "--steps", "1", "--out", str(out), *FAST]
    assert main(["train", *args]) == 0
    np.savez(data, x=np.concatenate([x, x[:1]]), y=np.concatenate([y, y[:1]]))  # one more image
    capsys.readouterr()
    assert main(["train", "--resume", "--out", str(out), "--steps", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "the run was trained on other data" in err and "another --out" in err and err.count("\n") == 1
    np.savez(data, x=x, y=y)
    shutil.rmtree(out / "pairs" / "class-0001")
    assert main(["train", "--resume", "--out", str(out), "--steps", "2", "--quiet"]) == 2
    assert (
        "pairs/class-0001: no checkpoint, but the manifest says the pair trained to step 1" in capsys.readouterr().err
    )


def test_ctrl_c_at_any_moment_of_the_start_is_one_line(tmp_path: Path) -> None:
    """SIGINT while the command imports torch, builds its parser, plans or trains: one line, no traceback, and
    exit 130 (or death by SIGINT, which a shell reports as 130 too). The run is long enough never to end first."""
    for k, delay in enumerate((0.5, 0.9, 1.3, 1.8, 2.5)):  # from 0.5 s: past the interpreter's own start
        argv = ["train", "--data", "digits", "--width", "0.25", "--steps", "100000", "--quiet", "--out", f"r{k}"]
        process = subprocess.Popen(
            [sys.executable, "-m", "ganfleet", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
            cwd=tmp_path,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        err = process.communicate(timeout=HANG_S)[1]
        assert process.returncode in (130, -signal.SIGINT), (delay, process.returncode, err)
        assert err.startswith("ganfleet: interrupted: ") and err.count("\n") == 1, (delay, err)
