"""The single-process Cluster through the real loop: telemetry files, elastic auto-resume, failure status;
device rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganfleet.distributed.cluster import rank_device
from ganfleet.distributed.env import LaunchEnv
from ganfleet.errors import CheckpointError, ClusterError
from ganfleet.rundir import RunDir
from ganfleet.train import train
from tests.conftest import tiny_config
from tests.train.test_loop import assert_same_states

MEMBERS = ["class-0000", "class-0001", "class-0002"]


def elastic(monkeypatch: pytest.MonkeyPatch, restart: int, run_id: str) -> None:
    """The environment torchrun gives a single worker (WORLD_SIZE 1: no process group)."""
    for key, value in {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "LOCAL_RANK": "0",
        "TORCHELASTIC_RESTART_COUNT": str(restart),
        "TORCHELASTIC_RUN_ID": run_id,
    }.items():
        monkeypatch.setenv(key, value)


def test_single_process_run_writes_telemetry(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run")
    result = train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    summary = json.loads(run.telemetry_path.read_text())
    assert summary == result.telemetry and summary["world_size"] == 1
    (rank,) = summary["ranks"]
    assert rank["start_steps"] == dict.fromkeys(MEMBERS, 0) and rank["end_steps"] == dict.fromkeys(MEMBERS, 4)
    assert rank["images"] == 3 * 4 * 4  # 3 pairs x 4 steps x batch 4
    assert 0 < sum(rank["seconds"].values()) <= rank["wall_s"]
    assert 0.0 <= rank["idle_share"] < 0.05  # a single process waits for nobody
    assert [p["iteration"] for p in rank["progress"]] == [2, 4]
    live = json.loads((run.path / "progress.json").read_text())
    assert live["pid"] == rank["pid"] and "progress" not in live
    assert run.read_manifest()["launch"] == {
        "launcher": "single",
        "world_size": 1,
        "backend": None,
        "elastic_run_id": None,
        "restart_count": 0,
        "ranks": dict.fromkeys(MEMBERS, 0),
        "replicated": [],
    }


def test_a_torchrun_restart_resumes_its_own_run_only(
    tiny_images, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train(tiny_config(tmp_path / "straight"), progress=False, dataset=tiny_images)
    elastic(monkeypatch, restart=0, run_id="job-a")
    train(tiny_config(tmp_path / "run", budget__steps=2), progress=False, dataset=tiny_images)
    elastic(monkeypatch, restart=1, run_id="job-b")  # another job's restart must not adopt this run
    with pytest.raises(CheckpointError, match="a run already exists here"):
        train(tiny_config(tmp_path / "run"), progress=False, dataset=tiny_images)
    elastic(monkeypatch, restart=1, run_id="job-a")  # the same job relaunched: resumes without --resume
    result = train(tiny_config(tmp_path / "run"), progress=False, dataset=tiny_images)
    assert result.telemetry["ranks"][0]["start_steps"] == dict.fromkeys(MEMBERS, 2)
    assert RunDir(tmp_path / "run").read_manifest()["launch"]["restart_count"] == 1
    assert_same_states(tmp_path / "straight", tmp_path / "run", MEMBERS)


def test_a_failure_marks_the_manifest_failed(tiny_images, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ganfleet.pairs.executor as base

    real_step = base.adversarial_step

    def fail_at_step_3(pair, rule):
        if pair.step == 3:
            raise RuntimeError("boom")
        return real_step(pair, rule)

    monkeypatch.setattr(base, "adversarial_step", fail_at_step_3)
    config = tiny_config(tmp_path / "run", train__pack="off")  # the looped step fails
    with pytest.raises(RuntimeError, match="boom"):
        train(config, progress=False, dataset=tiny_images)
    run = RunDir(config.out)
    assert run.read_manifest()["status"] == "failed"
    assert not (run.grids_dir / "final.png").exists() and not run.telemetry_path.exists()


def test_an_existing_run_is_left_alone_when_the_new_one_may_not_start(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "run", budget__steps=1)
    train(config, progress=False, dataset=tiny_images)
    with pytest.raises(CheckpointError, match="pass --resume"):
        train(config, progress=False, dataset=tiny_images)
    assert RunDir(config.out).read_manifest()["status"] == "complete"


def test_one_gpu_per_local_rank() -> None:
    two_local = LaunchEnv("torchrun", rank=1, world_size=2, local_rank=1, local_world_size=2, init_method="env://")
    assert rank_device(torch.device("cpu"), two_local) == torch.device("cpu")
    with pytest.raises(ClusterError, match="would put every rank of this node on one GPU"):
        rank_device(torch.device("cuda", 0), two_local)
    if torch.cuda.device_count() < 2:
        with pytest.raises(ClusterError, match="local rank 1 needs GPU 1 but"):
            rank_device(torch.device("cuda"), two_local)
    else:
        assert rank_device(torch.device("cuda"), two_local) == torch.device("cuda", 1)
