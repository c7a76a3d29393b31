"""The command line end to end: train -> sample on real data, configs, SGAN and W-CGAN flags, errors as one line."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ganfleet import Fleet
from ganfleet.cli import main
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset

REPO = Path(__file__).resolve().parents[2]
FAST = ["--width", "0.125", "--batch-size", "8", "--log-every", "1", "--grid-every", "0", "--quiet"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganfleet", *args], capture_output=True, text=True, cwd=REPO)


def test_train_then_sample_on_digits(tmp_path: Path, capsys) -> None:
    out = tmp_path / "digits"
    assert main(["train", "--data", "digits", "--max-per-class", "12", "--steps", "3", "--out", str(out), *FAST]) == 0
    assert "trained 10 pair(s) to step 3" in capsys.readouterr().out
    assert main(["sample", str(out), "--n", "12", "--out", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 0
    assert main(["sample", str(out), "--labels", "3,3,7", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["x"].shape == (3, 32, 32) and f["x"].dtype == np.uint8
        assert f["y"].tolist() == [3, 3, 7]
    # the samples file is itself a data source (class names kept; classes with no sample left out)
    ds = load_dataset(DataConfig(name="npz", path=str(tmp_path / "s.npz"), classes=[3, 7]))
    assert (ds.class_names, ds.counts) == (["3", "7"], [2, 1])


def test_train_and_sample_toy_points(tmp_path: Path) -> None:
    out = tmp_path / "toy"
    assert (
        main(
            [
                "train",
                "--data",
                "toy",
                "--mixture",
                "ring8",
                "--steps",
                "3",
                "--out",
                str(out),
                "--batch-size",
                "16",
                "--quiet",
                "--set",
                "data.toy_per_class=20",
            ]
        )
        == 0
    )
    fleet = Fleet.load(out)
    assert fleet.sample_shape == (2,) and fleet.n_classes == 8
    assert main(["sample", str(out), "--n", "50", "--out", str(tmp_path / "toy.png")]) == 0
    assert main(["sample", str(out), "--n", "50", "--out", str(tmp_path / "toy.npz")]) == 0
    with np.load(tmp_path / "toy.npz") as f:
        assert f["x"].shape == (50, 2) and f["x"].dtype == np.float32 and len(f["y"]) == 50


def test_resume_flag_continues_to_a_larger_budget(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "r")
    args = ["train", "--data", "digits", "--classes", "0,1", "--max-per-class", "8", "--out", out, *FAST]
    assert main([*args, "--steps", "2"]) == 0
    assert main([*args, "--steps", "4", "--resume"]) == 0
    assert Fleet.load(out).steps == {"class-0000": 4, "class-0001": 4}
    assert main([*args, "--steps", "4"]) == 2
    assert "pass --resume" in capsys.readouterr().err


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.slow
def test_paper_config_with_overrides(tmp_path: Path) -> None:
    """The published settings (full width, eps 0.8) from configs/, on MNIST-format IDX files the test writes."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 3)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (30, 28, 28)), 0x803)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels, 0x801)
    out = tmp_path / "paper"
    assert (
        main(
            [
                "train",
                "--config",
                str(REPO / "configs/paper-dccgan-mnist.yaml"),
                "--set",
                "budget.epochs=2",
                "--set",
                f"data.path={tmp_path}",
                "--set",
                f"out={out}",
                "--quiet",
            ]
        )
        == 0
    )
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == {
        "arch": "paper",
        "width": 1.0,
        "d_width_factor": 1.0,
        "latent_dim": 100,
        "d_norm": "auto",
        "spectral_norm": "none",
        "d_dropout": None,
    }
    assert config["budget"]["epochs"] == 2.0 and config["optim"]["lr_g"] == 0.0002
    fleet = Fleet.load(out)
    assert fleet.steps == {f"class-{k:04d}": 1 for k in range(10)}  # ceil(2 epochs * 3 images / 64)


def test_dry_run_prints_the_resolved_config(capsys, tmp_path: Path) -> None:
    from ganfleet.recipes import fashion_mnist_available

    if not fashion_mnist_available():
        pytest.skip("a dry run loads the data: Fashion-MNIST is not installed (make data)")
    assert (
        main(
            [
                "train",
                "--config",
                str(REPO / "configs/paper-dccgan-fashion-mnist.yaml"),
                "--epochs",
                "3",
                "--set",
                "train.seed=9",
                "--out",
                str(tmp_path / "x"),
                "--dry-run",
            ]
        )
        == 0
    )
    config = json.loads(capsys.readouterr().out)
    assert (config["data"]["name"], config["budget"]["epochs"], config["train"]["seed"]) == ("fashion-mnist", 3.0, 9)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["train", "--strategy", "nope"],
            "train.strategy: unknown value 'nope'; expected one of gan, cgan, class-parallel",
        ),
        (["train", "--set", "train.nope=1"], "train.nope: unknown key; valid keys are strategy,"),
        (["train", "--set", "budget.epochs=many"], "budget.epochs: expected float, got 'many'"),
        (["train", "--data", "imagefolder", "--data-dir", "/nonexistent/folder"], "/nonexistent/folder"),
        (["train", "--config", "/nonexistent.yaml"], "/nonexistent.yaml: cannot read config file"),
        (["sample", "/nonexistent/run", "--out", "x.png"], "/nonexistent/run/manifest.json: missing"),
        (["inspect-data", "--data", "mnist", "--data-dir", "/nonexistent/mnist"], "/nonexistent/mnist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganfleet: error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_inspect_data_prints_counts_and_anova(capsys) -> None:
    assert main(["inspect-data", "--data", "digits"]) == 0
    out = capsys.readouterr().out
    assert "1437 samples, 10 classes" in out and "one-way ANOVA" in out


def test_help_lists_commands_and_documents_options() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("train", "sample", "inspect-data", "demo"):
        assert command in result.stdout
    train_help = run_cli("train", "--help").stdout
    assert "one independent pair per class" in train_help and "[budget.epochs]" in train_help


TOY = [
    "--data",
    "toy",
    "--mixture",
    "ring8",
    "--width",
    "0.0625",
    "--batch-size",
    "16",
    "--steps",
    "3",
    "--log-every",
    "1",
    "--grid-every",
    "0",
    "--quiet",
    "--set",
    "data.toy_per_class=20",
]


def test_sgan_switches_reach_the_config(tmp_path: Path, capsys) -> None:
    assert (
        main(
            [
                "train",
                "--strategy",
                "sgan",
                "--split-by-class",
                "--share-weights",
                "--messenger-steps",
                "2",
                "--loss",
                "wgan-gp",
                "--d-norm",
                "none",
                "--out",
                str(tmp_path / "x"),
                "--dry-run",
            ]
        )
        == 0
    )
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
    assert Fleet.load(out).member_is_conditional("global")


def test_sgan_flags_with_another_strategy_are_one_line_errors(capsys) -> None:
    assert main(["train", "--strategy", "class-parallel", "--locals", "4", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ganfleet: error: sgan.locals: only used by strategy sgan (strategy is 'class-parallel')"]


def test_an_error_that_is_not_the_projects_own_is_one_line_with_its_own_status(monkeypatch, capsys) -> None:
    def broken(args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("ganfleet.cli.commands.cmd_inspect_data", broken)
    monkeypatch.delenv("GANFLEET_DEBUG", raising=False)
    assert main(["inspect-data", "--data", "digits"]) == 3
    err = capsys.readouterr().err
    assert (
        err
        == "ganfleet: internal error: RuntimeError: boom second line (run with GANFLEET_DEBUG=1 for the traceback)\n"
    )
    monkeypatch.setenv("GANFLEET_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["inspect-data", "--data", "digits"])


def test_a_librarys_warning_is_one_line_too(monkeypatch, capsys) -> None:
    def warns(args):
        warnings.warn_explicit("deprecated\nthing", DeprecationWarning, "/lib/torch/nn/modules/module.py", 1)
        return 0

    monkeypatch.setattr("ganfleet.cli.commands.cmd_inspect_data", warns)
    assert main(["inspect-data", "--data", "digits"]) == 0
    assert capsys.readouterr().err == "ganfleet: warning: DeprecationWarning from module: deprecated thing\n"


def test_a_seed_beyond_64_bits_is_a_usage_error_everywhere(capsys) -> None:
    huge = str(2**70)
    for argv in (["sample", "run", "--n", "4", "--out", "x.png"], ["evaluate", "run"], ["report", "run"]):
        with pytest.raises(SystemExit) as stopped:
            main([*argv, "--seed", huge])
        assert stopped.value.code == 2
        assert "argument --seed: expected an integer in" in capsys.readouterr().err


def test_a_demo_of_other_settings_is_refused_and_left_as_it_is(tmp_path: Path, monkeypatch, capsys) -> None:
    """`ganfleet demo` over a demo an earlier ganfleet trained (here: without today's diversity term) says so in
    one line and changes nothing, rather than a --resume error the user never asked for."""
    from dataclasses import replace

    from ganfleet.recipes import demo_config
    from ganfleet.train import train

    monkeypatch.setenv("GANFLEET_SMOKE", "1")
    out = tmp_path / "demo"
    earlier = demo_config(str(out))
    train(replace(earlier, loss=replace(earlier.loss, diversity_weight=0.0)), progress=False)
    capsys.readouterr()
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert main(["demo", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "holds a demo of other settings" in err and "loss.diversity_weight" in err and "\n" not in err
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
