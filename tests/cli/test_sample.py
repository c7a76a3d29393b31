"""`ganfleet sample` and `ganfleet report`: labelled grids, an exported training set, latent walks, truncation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganfleet.cli import main
from ganfleet.cli.sample import class_folder_names
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset


@pytest.fixture
def run(env) -> Path:
    return env["class-parallel"]  # digits 0-2, 32x32 grey, with --eval-every records


def test_per_class_export_is_an_image_folder_in_class_order(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    assert main(["sample", str(run), "--per-class", "4", "--out", f"{out}/"]) == 0
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["0-0", "1-1", "2-2"] and all(len(list((out / f).glob("*.png"))) == 4 for f in folders)
    with Image.open(out / "1-1" / "00003.png") as image:
        assert (image.mode, image.size) == ("L", (32, 32))
    assert json.loads((out / "samples.json").read_text())["counts"] == {"0-0": 4, "1-1": 4, "2-2": 4}
    back = load_dataset(
        DataConfig(name="imagefolder", path=str(out))
    )  # ganfleet's own ImageFolder-style loader reads it
    assert back.counts == [4, 4, 4] and back.class_names == folders


def test_folder_names_sort_in_class_order_and_are_safe() -> None:
    names = class_folder_names(["T-shirt/top", "Trouser"] + [f"c{k}" for k in range(9)])
    assert names[:2] == ["00-T-shirt-top", "01-Trouser"] and sorted(names) == names


def test_per_class_npz_walks_and_truncation(run: Path, tmp_path: Path) -> None:
    assert main(["sample", str(run), "--per-class", "2", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["x"].shape == (6, 32, 32) and f["y"].tolist() == [0, 0, 1, 1, 2, 2]
    assert main(["sample", str(run), "--interpolate", "5", "--out", str(tmp_path / "walk.npz")]) == 0
    with np.load(tmp_path / "walk.npz") as f:
        assert f["x"].shape == (15, 32, 32) and f["y"].tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert (
        main(["sample", str(run), "--interpolate", "5", "--truncation", "1.0", "--out", str(tmp_path / "walk.png")])
        == 0
    )
    with Image.open(tmp_path / "walk.png") as image:  # 3 rows of 5, 2x upscaled, a margin naming the classes
        assert image.size[1] == (3 * 34 + 2) * 2 and image.size[0] > (5 * 34 + 2) * 2


def test_grid_rows_are_named_by_class(run: Path, tmp_path: Path) -> None:
    assert main(["sample", str(run), "--labels", "0,0,2", "--columns", "2", "--out", str(tmp_path / "g.png")]) == 0
    with Image.open(tmp_path / "g.png") as image:  # class 0 fills a row of 2, class 2 starts its own
        grey = np.asarray(image.convert("L"))
    assert grey.shape[0] == (2 * 34 + 2) * 2
    margin = grey[:, : grey.shape[1] - (2 * 34 + 2) * 2]
    assert margin.shape[1] > 0 and (margin < 128).any()  # text in the margin


def test_unconditional_fleets_cannot_export_by_class(env, tmp_path: Path, capsys) -> None:
    assert main(["sample", str(env["gan"]), "--per-class", "2", "--out", f"{tmp_path}/x/"]) == 2
    assert "unconditional" in capsys.readouterr().err


def test_report_of_a_run(env, run: Path, tmp_path: Path) -> None:
    assert main(["report", str(run), "--out", str(tmp_path / "r")]) == 0
    report = (tmp_path / "r" / "report.md").read_text()
    for picture in ("samples.png", "losses.png", "curve.png"):
        assert f"]({picture})" in report and (tmp_path / "r" / picture).stat().st_size > 0
    assert "Training: " in report and "| class-0001 | 1 |" in report and "Not evaluated yet" in report


def test_no_ema_samples_the_raw_generators(tiny_images, tmp_path: Path) -> None:
    from ganfleet.train import train
    from tests.conftest import tiny_config

    train(tiny_config(tmp_path / "run", ema__kimg=0.05), progress=False, dataset=tiny_images)
    for name, extra in (("ema", []), ("raw", ["--no-ema"])):
        assert (
            main(["sample", str(tmp_path / "run"), "--labels", "0,1,2", "--out", str(tmp_path / f"{name}.npz"), *extra])
            == 0
        )
    ema, raw = (np.load(tmp_path / f"{name}.npz")["x"] for name in ("ema", "raw"))
    assert ema.shape == raw.shape and not np.array_equal(ema, raw)


def test_outputs_never_replace_what_ganfleet_did_not_write(env, tmp_path: Path, capsys) -> None:
    """A file is replaced only with --force; an export or report goes into a new, empty or ganfleet-written
    folder, or with --force beside other files, never over one of them."""
    run = str(env["class-parallel"])
    mine = tmp_path / "grid.png"
    mine.write_bytes(b"the user's picture")
    assert main(["sample", run, "--n", "4", "--out", str(mine)]) == 2
    assert (
        "grid.png: already exists; pass --force" in capsys.readouterr().err
        and mine.read_bytes() == b"the user's picture"
    )
    assert main(["sample", run, "--n", "4", "--out", str(mine), "--force"]) == 0
    export = tmp_path / "export"
    assert main(["sample", run, "--per-class", "3", "--out", f"{export}/"]) == 0
    assert main(["sample", run, "--per-class", "2", "--out", f"{export}/"]) == 0  # its own export: replaced whole
    assert sorted(p.name for p in export.rglob("*.png")) == ["00000.png"] * 3 + ["00001.png"] * 3
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"jpeg")
    assert main(["sample", run, "--per-class", "2", "--out", f"{folder}/"]) == 2
    assert "holds files ganfleet did not write (holiday.jpg)" in capsys.readouterr().err
    assert main(["sample", run, "--per-class", "2", "--out", f"{folder}/", "--force"]) == 0
    assert (folder / "holiday.jpg").read_bytes() == b"jpeg"
    report = tmp_path / "notes"
    report.mkdir()
    (report / "report.md").write_text("my notes")
    argv = ["evaluate", run, "--n", "20", "--no-floor", "--metrics", "fid", "--classifier", str(env["classifier"])]
    assert main([*argv, "--quiet", "--out", str(report)]) == 2
    assert main([*argv, "--quiet", "--out", str(report), "--force"]) == 2
    assert "--force would overwrite report.md" in capsys.readouterr().err
    assert (report / "report.md").read_text() == "my notes"
    assert main(["report", run, "--out", str(report)]) == 2  # the run report: the same rule
    assert "holds files ganfleet did not write (report.md)" in capsys.readouterr().err
    assert main(["report", run, "--out", str(tmp_path / "mine")]) == 0
    assert main(["report", run, "--out", str(tmp_path / "mine")]) == 0  # its own report: replaced
    assert (report / "report.md").read_text() == "my notes"
