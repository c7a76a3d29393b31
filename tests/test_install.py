"""Installing and running without activation: the Makefile's torch choice and the ./ganfleet script."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def install_recipe(*assignments: str) -> str:
    """What `make install` would run (make -n: printed, not run) for a fresh .venv."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(
        ["make", "-n", "-B", "install", "VENV=/nonexistent/venv", *assignments],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_torch_is_the_cpu_build_unless_cuda_is_asked_for() -> None:
    default = install_recipe()
    assert "--no-deps --no-index torch==2.13.0" in default  # a local wheel first, offline
    assert f"torch==2.13.0 --index-url {CPU_INDEX}" in default  # else PyTorch's CPU index, never PyPI's CUDA build
    assert 'if [ -n "" ]' in default  # no CUDA index unless asked
    cuda = install_recipe("TORCH=cu128")
    assert 'if [ -n "https://download.pytorch.org/whl/cu128" ]' in cuda
    assert '-e ".[dev,tb]"' in install_recipe("EXTRAS=dev,tb")


def test_every_torch_install_line_names_where_torch_comes_from() -> None:
    lines = [line for line in install_recipe().splitlines() if "pip install" in line and "torch==" in line]
    assert lines and all("--index-url" in line or "--no-index" in line for line in lines)


def test_the_ganfleet_script_runs_the_venv_without_activation(tmp_path: Path) -> None:
    script = REPO / "ganfleet"
    assert script.stat().st_mode & 0o111
    if (REPO / ".venv" / "bin" / "python").is_file():
        done = subprocess.run([str(script), "--version"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
        assert done.returncode == 0 and done.stdout.startswith("ganfleet ")
    lonely = tmp_path / "ganfleet"
    shutil.copy2(script, lonely)
    done = subprocess.run([str(lonely), "--help"], capture_output=True, text=True)
    assert done.returncode == 2 and "run 'make install'" in done.stderr
