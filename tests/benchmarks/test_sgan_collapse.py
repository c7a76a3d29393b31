"""benchmarks/sgan_collapse.py: the spread of a set of images against its closed form, and a run measured end to end."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def collapse_module():
    spec = importlib.util.spec_from_file_location("sgan_collapse", REPO / "benchmarks" / "sgan_collapse.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spread_is_zero_for_one_image_repeated_and_the_offset_of_two_images() -> None:
    spread = collapse_module().spread
    image = torch.rand(1, 1, 4, 4)
    assert spread(image.expand(5, 1, 4, 4)) == 0.0
    # two images apart by 0.3 in every pixel: RMS distance 0.3; three images at 0, 0.3, 0.6: mean of 0.3, 0.3, 0.6
    assert abs(spread(torch.cat([image, image + 0.3])) - 0.3) < 1e-6
    assert abs(spread(torch.cat([image, image + 0.3, image + 0.6])) - 0.4) < 1e-6


@pytest.mark.slow
def test_a_split_sgan_run_is_measured_and_a_class_parallel_run_refused(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    common = ["--data", "digits", "--steps", "2", "--width", "0.125", "--threads", "1", "--quiet"]
    for name, strategy in (("sgan", ["--strategy", "sgan", "--split-by-class"]), ("cp", [])):
        train = [sys.executable, "-m", "ganfleet", "train", *common, *strategy, "--out", str(tmp_path / name)]
        assert subprocess.run(train, capture_output=True, env=env).returncode == 0
    script = [sys.executable, str(REPO / "benchmarks" / "sgan_collapse.py"), "--n", "8"]
    done = subprocess.run([*script, str(tmp_path / "sgan")], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    row = done.stdout.splitlines()[-1].split("|")
    assert row[1].strip() == str(tmp_path / "sgan") and all(float(row[i]) > 0 for i in (2, 3, 4, 6, 7))
    refused = subprocess.run([*script, str(tmp_path / "cp")], capture_output=True, text=True, env=env)
    assert refused.returncode != 0 and "not an sgan --split-by-class run" in refused.stderr
