"""The classes of bad input that a second, independent set of 448 cases found unhandled (the first fault suite
passing): what `report`, `evaluate`, `sample`, `merge` and `train --resume` read from a run besides its checkpoints,
links out of a run, FIFOs, empty and zero-sized inputs. Each case ends as `check_refused` demands: one line naming
the file or key, exit 2, no traceback, every file under the test's folder (the user's included) byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.torch import save_file

from ganfleet.rundir.checkpoint import header_digest, list_checkpoints
from tests.faults.conftest import FaultEnv, call, snapshot, tiny_train_args
from tests.faults.test_malformed import check_refused

Case = Callable[[Path, FaultEnv], tuple[list[str], str]]


def edit_json(name: str, change: Callable[[dict], object], command: str = "report") -> Case:
    """`command` on a copy of the tiny run whose `name` (a JSON file in it) `change` edited (or replaced)."""

    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        run = env.run_copy(tmp)
        path = run / name
        tree = json.loads(path.read_text()) if path.suffix == ".json" and path.is_file() else {}
        replaced = change(tree)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(replaced if isinstance(replaced, str) else json.dumps(replaced))
        return [command, str(run), *(["--out", str(tmp / "s.png")] if command == "sample" else [])], name

    return build


def evaluated(**metrics: object) -> Callable[[dict], object]:
    return lambda _: {"kind": "run", "metrics": metrics, "files": {}}


def linked_out(name: str, command: str, target_is_folder: bool = False) -> Case:
    """`command` on a run whose `name` is a link to the user's file (or folder) outside it."""

    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        run = env.run_copy(tmp)
        outside = tmp / "users"
        outside.mkdir()
        target = outside / ("photos" if target_is_folder else "holiday.png")
        target.mkdir() if target_is_folder else target.write_bytes(b"the user's")
        victim = run / name
        victim.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(victim) if victim.is_dir() else victim.unlink(missing_ok=True)
        victim.symlink_to(target)
        tail = ["--resume", "--out", str(run), "--steps", "6"] if command == "train" else [str(run)]
        return ([*tiny_train_args(env.npz, run)[:-2], *tail] if command == "train" else [command, *tail]), name

    return build


def users_report(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    run = env.run_copy(tmp)
    (run / "report.md").write_text("# My notes on this run\n")
    return ["report", str(run)], "report.md"


def users_export_folder(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    """A folder of the user's photos whose own samples.json happens to count folders."""
    photos = tmp / "photos"
    (photos / "cats").mkdir(parents=True)
    (photos / "cats" / "00000.png").write_bytes(b"a cat")
    (photos / "samples.json").write_text(json.dumps({"counts": {"cats": 1}}))
    return ["sample", str(env.run), "--per-class", "2", "--out", f"{photos}/"], "photos"


def fifo(name: str, argv: Callable[[Path, FaultEnv, Path], list[str]], expect: str) -> Case:
    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        path = tmp / name
        os.mkfifo(path)
        return argv(tmp, env, path), expect

    return build


def every_checkpoint_truncated(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    run = env.run_copy(tmp)
    for path in list_checkpoints(run / "pairs" / "class-0000"):
        path.write_bytes(path.read_bytes()[:100])
    return ["sample", str(run), "--labels", "0,1", "--out", str(tmp / "s.png")], "none of its 2 checkpoint(s) is valid"


def optimizer_header_not_json(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    """A checkpoint whose optimiser settings are not JSON, its checksums sealed again (a forgery, or another tool)."""
    run = env.run_copy(tmp)
    for path in list_checkpoints(run / "pairs" / "class-0000"):
        with safe_open(str(path), framework="pt") as f:
            metadata, tensors = f.metadata(), {k: f.get_tensor(k).clone() for k in f.keys()}  # noqa: SIM118
        metadata["opt_g_groups"] = "not json"
        digests = json.loads(metadata.pop("sha256"))
        metadata["sha256"] = json.dumps({**digests, "header": header_digest(metadata)})
        save_file(tensors, str(path), metadata=metadata)
    return [*tiny_train_args(env.npz, run, "--steps", "6")[:-2], "--out", str(run), "--resume"], "opt_g_groups"


def samples_npz(tmp: Path, env: FaultEnv, **arrays: np.ndarray) -> list[str]:
    np.savez(tmp / "x.npz", **arrays)
    return ["evaluate", "--samples", str(tmp / "x.npz"), "--data", "npz", "--data-dir", str(env.npz), "--no-floor"]


def bare_npy(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    argv = samples_npz(tmp, env, x=np.zeros(1))
    with open(tmp / "x.npz", "wb") as f:
        np.save(f, np.zeros((20, 32, 32), np.uint8))
    return argv, ".npy"


def zero_sized_data(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    np.savez(tmp / "d.npz", x=np.zeros((3, 0, 0), np.uint8), y=np.array([0, 1, 2]))
    return tiny_train_args(tmp / "d.npz", tmp / "out"), "sides >= 1"


def lock_is_a_folder(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    run = env.run_copy(tmp)
    (run / ".ganfleet.lock").mkdir()
    return [*tiny_train_args(env.npz, run, "--steps", "6")[:-2], "--out", str(run), "--resume"], ".ganfleet.lock"


CASES: dict[str, Case] = {
    # what report reads from a run besides checkpoints
    "report-manifest-counts-missing": edit_json("manifest.json", lambda m: m["data"].pop("counts")),
    "report-manifest-counts-words": edit_json("manifest.json", lambda m: m["data"].update(counts=["a", "b", "c"])),
    "report-manifest-source-missing": edit_json("manifest.json", lambda m: m["data"].pop("source")),
    "sample-manifest-strategy-unknown": edit_json("manifest.json", lambda m: m.update(strategy="nonsense"), "sample"),
    "sample-manifest-strategy-of-others": edit_json("manifest.json", lambda m: m.update(strategy="gan"), "sample"),
    "report-config-empty": edit_json("config.json", lambda _: {}),
    "report-config-width-a-word": edit_json("config.json", lambda c: c["model"].update(width="wide")),
    "report-metrics-line-nested-deep": edit_json("metrics.jsonl", lambda _: "[" * 100_000 + "\n{}\n"),
    "report-eval-not-json": edit_json("eval/metrics.json", lambda _: "garbage"),
    "report-eval-a-list": edit_json("eval/metrics.json", lambda _: []),
    "report-eval-fid-a-word": edit_json("eval/metrics.json", evaluated(fid="abc")),
    "report-eval-fid-nan": edit_json("eval/metrics.json", lambda _: '{"metrics": {"fid": NaN}}'),
    "report-eval-linked-out": linked_out("eval/metrics.json", "report"),
    # outputs: nothing of the user's overwritten, deleted or written through a link
    "report-over-the-users-report": users_report,
    "report-samples-linked-out": linked_out("samples.png", "report"),
    "resume-metrics-linked-out": linked_out("metrics.jsonl", "train"),
    "resume-grids-linked-out": linked_out("grids", "train", target_is_folder=True),
    "sample-into-the-users-photos": users_export_folder,
    # FIFOs are never opened
    "evaluate-samples-fifo": fifo(
        "x.npz",
        lambda tmp, env, p: ["evaluate", "--samples", str(p), "--data", "npz", "--data-dir", str(env.npz)],
        "not a regular file",
    ),
    "train-config-fifo": fifo(
        "c.yaml", lambda tmp, env, p: [*tiny_train_args(env.npz, tmp / "o"), "--config", str(p)], "not a regular file"
    ),
    # checkpoints: one line when none is left, their header read before it is used
    "sample-every-checkpoint-truncated": every_checkpoint_truncated,
    "resume-optimizer-header-not-json": optimizer_header_not_json,
    # sizes: empty, zero-sized, too few
    "evaluate-samples-empty": lambda tmp, env: (
        samples_npz(tmp, env, x=np.zeros((0, 8, 8), np.uint8), y=np.zeros(0, np.int64)),
        "0 images",
    ),
    "evaluate-samples-a-bare-npy": bare_npy,
    "evaluate-run-five-samples": lambda tmp, env: (["evaluate", str(env.run_copy(tmp)), "--n", "5"], "--n"),
    "train-zero-sized-images": zero_sized_data,
    "train-classes-empty": lambda tmp, env: ([*tiny_train_args(env.npz, tmp / "o"), "--classes", ""], "data.classes"),
    "sample-labels-empty": lambda tmp, env: (
        ["sample", str(env.run), "--labels", "", "--out", str(tmp / "s.npz")],
        "--labels",
    ),
    # a run measured against other data than it was trained on
    "evaluate-run-other-data": lambda tmp, env: (["evaluate", str(env.run_copy(tmp)), "--data", "digits"], "--data"),
    "resume-lock-a-folder": lock_is_a_folder,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(
    fault_env: FaultEnv, tmp_path: Path, capsys: pytest.CaptureFixture, isolated_cache: None, case: str
) -> None:
    argv, expect = CASES[case](tmp_path, fault_env)
    check_refused(argv, expect, tmp_path, capsys)


@pytest.mark.parametrize(
    ("damage", "expect"),
    [
        (
            lambda b, tmp: [
                p.unlink() or p.symlink_to(tmp / "passwd") for p in list_checkpoints(b / "pairs" / "class-0002")
            ],
            "no valid checkpoint",
        ),
        (
            lambda b, tmp: [p.write_bytes(b"corrupt") for p in list_checkpoints(b / "pairs" / "class-0002")],
            "no valid checkpoint",
        ),
        (lambda b, tmp: edit_manifest(b, lambda m: m["data"].pop("fingerprint")), "trained on other data"),
    ],
    ids=["checkpoints-linked-out", "checkpoints-corrupt", "fingerprint-missing"],
)
def test_merge_copies_only_valid_checkpoints(
    fault_env: FaultEnv, tmp_path: Path, capsys: pytest.CaptureFixture, damage: Callable, expect: str
) -> None:
    (tmp_path / "passwd").write_text("root:x:0:0\n")
    a, b = tmp_path / "a", tmp_path / "b"
    for run, classes in ((a, "0,1"), (b, "2")):
        assert call([*tiny_train_args(fault_env.npz, run, "--steps", "2"), "--classes", classes], capsys).status == 0
    damage(b, tmp_path)
    check_refused(["merge", str(a), str(b), "--out", str(tmp_path / "m")], expect, tmp_path, capsys)


def relink(path: Path, target: Path) -> None:
    path.unlink()
    path.symlink_to(target)


def edit_manifest(run: Path, change: Callable[[dict], object]) -> None:
    manifest = json.loads((run / "manifest.json").read_text())
    change(manifest)
    (run / "manifest.json").write_text(json.dumps(manifest))


def test_the_users_samples_json_is_not_taken_for_an_export(fault_env: FaultEnv, tmp_path: Path, capsys) -> None:
    """With --force the export goes beside the user's files, never over them; ganfleet's own export is replaced."""
    argv, _ = users_export_folder(tmp_path, fault_env)
    before = snapshot(tmp_path / "photos")
    assert call([*argv, "--force"], capsys).status == 2  # samples.json is one of the names it would write
    assert snapshot(tmp_path / "photos") == before
    out = tmp_path / "export"
    for _ in range(2):
        assert call(["sample", str(fault_env.run), "--per-class", "2", "--out", f"{out}/"], capsys).status == 0
    assert json.loads((out / "samples.json").read_text())["format"] == "ganfleet-export-1"
