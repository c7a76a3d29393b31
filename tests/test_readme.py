"""The README as a new user meets it: every `sh` block runs, in order, in a fresh copy of the repository.

The copy holds the repository's files (tracked and untracked-but-not-ignored,
as a clone with this work would) and the test's own `.venv`, which stands for
the set-up command `make demo` installed: its install step is not re-run
(`make -o .venv/.installed`), and `make test`, this suite, is not run from
inside itself. Nothing is activated: PATH has no `.venv/bin`, commands run as
written (`./ganfleet ...`, `.venv/bin/torchrun ...`). `GANFLEET_SMOKE=1`
shrinks every budget (`ganfleet.smoke`), so the walk takes minutes, not hours;
`python` blocks run with `.venv/bin/python`. `text` blocks (a cluster's
commands) are not run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganfleet.recipes import fashion_mnist_available
from tests.conftest import LONGEST

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
NOT_RUN_HERE = {"make test"}  # the suite itself


def blocks(kind: str | None = None) -> list[tuple[str, str]]:
    """(language, body) of every fenced block of the README, in order (of one language if given)."""
    return [(lang, body) for lang, body in FENCE.findall(README.read_text()) if kind is None or lang == kind]


def commands(body: str) -> list[str]:
    """The shell commands of a block: one per line, backslash continuations joined, blank lines skipped."""
    return [c.strip() for c in body.replace("\\\n", " ").splitlines() if c.strip()]


def steps() -> list[tuple[str, str]]:
    """('sh' | 'python', what to run) for the whole README, in order."""
    out = []
    for lang, body in blocks():
        if lang == "sh":
            out += [("sh", c) for c in commands(body) if c.split("#")[0].strip() not in NOT_RUN_HERE]
        elif lang == "python":
            out.append(("python", body))
    return out


def test_every_block_says_whether_it_runs() -> None:
    """An untagged block would be neither run nor marked as not runnable."""
    assert {lang for lang, _ in blocks()} <= {"sh", "python", "text"}
    assert len(steps()) > 20


def test_the_blocks_write_distinct_output_folders() -> None:
    """Run in order, no command may fail on a folder an earlier one made (a resume reuses its run on purpose)."""
    outs = []
    for lang, command in steps():
        words = shlex.split(command.split(" #")[0]) if lang == "sh" else []
        if "--out" in words and "--resume" not in words:
            outs.append(words[words.index("--out") + 1].rstrip("/"))
    assert len(outs) == len(set(outs)), sorted(o for o in outs if outs.count(o) > 1)


def test_the_makefile_demo_is_the_demo_command() -> None:
    assert "-m ganfleet demo --out runs/demo" in (REPO / "Makefile").read_text()


def fresh_copy(root: Path) -> Path:
    """The repository's files as a clone would have them, and the test's .venv beside them."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    copy = root / "ganfleet"
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)  # modification times too: make sees .venv as up to date
    (copy / ".venv").symlink_to(Path(sys.prefix))
    return copy


def environment(root: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.prefix) / "bin")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(venv_bin))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return {**env, "PATH": path, "GANFLEET_SMOKE": "1", "OMP_NUM_THREADS": "1", "GANFLEET_CACHE": str(root / "cache")}


def run_step(lang: str, what: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    if lang == "python":
        return subprocess.run([".venv/bin/python", "-c", what], cwd=cwd, env=env, capture_output=True, text=True)
    if what.startswith("make "):
        what = "make -o .venv/.installed " + what[len("make ") :]
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail; " + what], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.mark.slow
def test_every_readme_command_runs_in_order(tmp_path: Path) -> None:
    if not fashion_mnist_available():
        pytest.skip("the README's commands use Fashion-MNIST (make data installs it)")
    if not (Path(sys.prefix) / "bin" / "python").is_file() or sys.prefix == sys.base_prefix:
        pytest.skip("needs to run from the project's virtual environment (.venv)")
    copy, env = fresh_copy(tmp_path), environment(tmp_path)
    before = {p.name for p in copy.iterdir()}
    reports = []
    for lang, what in steps():
        started = time.perf_counter()
        done = run_step(lang, what, copy, env)
        print(f"{time.perf_counter() - started:6.1f} s  {what.splitlines()[0][:110]}")  # shown with -s, or on failure
        assert done.returncode == 0, f"README: {what}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        assert "Traceback" not in done.stderr, f"README: {what}\n{done.stderr[-3000:]}"
        command = what.split("#")[0]
        trains = re.search(r"(^\./ganfleet| -m ganfleet) train ", command) is not None
        if trains and "--dry-run" not in command and "--resume" not in command:  # off a terminal: plain ticks
            assert "plan: " in done.stderr and "\ntick 1 " in done.stderr and "\r" not in done.stderr, done.stderr[
                -2000:
            ]
        if "--nproc" in command or "torchrun" in command:
            assert "rank 0's" in done.stderr, done.stderr[-2000:]  # the bar says whose pairs it shows
        if lang == "sh" and command.split()[:2] in (["make", "demo"], ["./ganfleet", "demo"]):
            reports.append((copy / "runs/demo/report.md").read_text())
    written = {p.name for p in copy.iterdir()} - before
    assert written <= {"runs", "classifiers"}, written  # outputs go under the ignored folders, not the checkout's root
    training = [next(line for line in r.splitlines() if line.startswith("Training:")) for r in reports]
    assert len(training) == 2 and training[0] == training[1]  # a re-run demo keeps the first session's figures
    assert (copy / "runs/fm/report.md").is_file() and (copy / "runs/export/0-T-shirt-top").is_dir()


def test_the_walk_is_the_test_scheduled_first() -> None:
    """conftest names it by its node id, which a rename would silently break."""
    assert f"tests/{Path(__file__).name}::{test_every_readme_command_runs_in_order.__name__}" == LONGEST
