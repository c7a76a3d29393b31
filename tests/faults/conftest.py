"""What the fault suite shares: a tiny data set and run, the CLI run in this process, and snapshots of folders."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from ganfleet.cli import main
from tests.conftest import make_tiny_images

REPO = Path(__file__).resolve().parents[2]
MEMBERS = ["class-0000", "class-0001", "class-0002"]


def snapshot(root: Path) -> dict[str, str]:
    """Every path under `root` with its kind and, for files, the SHA-256 of its bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = f"link:{os.readlink(path)}"
        elif path.is_file():
            out[rel] = "file:" + hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


@dataclass
class Outcome:
    """One CLI call in this process: its exit status, stderr, and the traceback of an exception that escaped main."""

    status: int | None
    stderr: str
    escaped: str | None = None

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def call(argv: list[str], capsys: pytest.CaptureFixture) -> Outcome:
    """`ganfleet <argv>` as the console script runs it; an exception escaping main is what a user sees as a
    traceback."""
    capsys.readouterr()
    before = torch.get_num_threads()
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse
        status = exc.code if isinstance(exc.code, int) else 2
    except BaseException:
        return Outcome(None, capsys.readouterr().err, traceback.format_exc())
    finally:
        torch.set_num_threads(before)
    return Outcome(status, capsys.readouterr().err)


def tiny_train_args(data: Path, out: Path, *extra: str) -> list[str]:
    """train on the tiny npz: narrow dcgan, batch 4, quick cadences, CPU."""
    return [
        "train",
        "--data",
        "npz",
        "--data-dir",
        str(data),
        "--arch",
        "dcgan",
        "--width",
        "0.125",
        "--batch-size",
        "4",
        "--log-every",
        "2",
        "--grid-every",
        "0",
        "--checkpoint-every",
        "2",
        "--device",
        "cpu",
        "--quiet",
        "--out",
        str(out),
        *extra,
    ]


def write_tiny_npz(path: Path) -> Path:
    """The tiny 3-class images (10, 7, 5 per class) as an .npz data source."""
    ds = make_tiny_images()
    np.savez(path, x=ds.samples[:, 0].numpy(), y=ds.labels.numpy(), class_names=np.array(ds.class_names))
    return path


@dataclass
class FaultEnv:
    """A tiny npz and a finished 4-step run of it (copy the run before changing it)."""

    npz: Path
    run: Path
    cache: Path

    def run_copy(self, into: Path) -> Path:
        target = into / "run"
        shutil.copytree(self.run, target)
        return target


@pytest.fixture(scope="session")
def fault_env(tmp_path_factory: pytest.TempPathFactory) -> FaultEnv:
    root = tmp_path_factory.mktemp("faults")
    npz = write_tiny_npz(root / "tiny.npz")
    run = root / "run"
    torch.set_num_threads(1)
    assert main(tiny_train_args(npz, run, "--steps", "4")) == 0
    return FaultEnv(npz, run, root / "cache")


@pytest.fixture
def isolated_cache(fault_env: FaultEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No evaluation reads or fills the user's cache."""
    monkeypatch.setenv("GANFLEET_CACHE", str(fault_env.cache))
    monkeypatch.delenv("GANFLEET_INCEPTION_WEIGHTS", raising=False)
    yield


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a ganfleet subprocess: this checkout first, one thread."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        "OMP_NUM_THREADS": "1",
        **extra,
    }


def ganfleet(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """`python -m ganfleet <args>` in a subprocess, with one thread."""
    return subprocess.run(
        [sys.executable, "-m", "ganfleet", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=subprocess_env(),
        timeout=timeout,
        **kwargs,
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The kill cases: a few in CI, many with --stress."""
    stress = metafunc.config.getoption("--stress")
    if "kill_seed" in metafunc.fixturenames:
        metafunc.parametrize("kill_seed", range(20 if stress else 2))
    if "write_kill" in metafunc.fixturenames:
        cases = (
            [(how, k) for how in ("half", "rename") for k in range(1, 10)] if stress else [("half", 2), ("rename", 5)]
        )
        metafunc.parametrize("write_kill", cases, ids=lambda c: f"{c[0]}-{c[1]}")
