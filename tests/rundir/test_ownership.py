"""Which folders train writes into: new, empty, a ganfleet run; a foreign folder only with --force, and then only
when no name ganfleet writes is taken there. The user's files, temporaries named like ganfleet's old ones included,
are never touched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ganfleet.errors import CheckpointError
from ganfleet.rundir import RunDir, claim_out_dir
from ganfleet.train import train
from tests.conftest import tiny_config


def test_kinds_of_folder(tmp_path: Path) -> None:
    assert claim_out_dir(RunDir(tmp_path / "new")) == "new"
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".ganfleet-tmp.12.config.json").write_text("a killed write")  # only a temporary: still empty
    assert claim_out_dir(RunDir(tmp_path / "empty")) == "empty"
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="names a file, not a folder"):
        claim_out_dir(RunDir(tmp_path / "file"))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(CheckpointError, match=r"not empty and not a ganfleet run \(holds notes.txt\)"):
        claim_out_dir(RunDir(tmp_path / "mine"))
    assert claim_out_dir(RunDir(tmp_path / "mine"), force=True) == "foreign"


def test_force_trains_beside_the_users_files_and_touches_none(tiny_images, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    mine = {
        "notes.txt": b"the user's",
        ".draft.tmp-42": b"a draft",
        "data/x.bin": b"\x00\x01",
        ".notes.txt.tmp-7": b"theirs",
    }
    for name, data in mine.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    with pytest.raises(CheckpointError, match="not empty and not a ganfleet run"):
        train(tiny_config(out, budget__steps=2), progress=False, dataset=tiny_images)
    train(tiny_config(out, budget__steps=2), progress=False, dataset=tiny_images, force=True)
    assert {name: (out / name).read_bytes() for name in mine} == mine
    assert RunDir(out).read_manifest()["status"] == "complete"
    # now a ganfleet run: it resumes without --force, and ganfleet's own stale temporaries (old and new names) go
    stale = [out / ".config.json.tmp-99", out / "pairs" / "class-0000" / ".ganfleet-tmp.99.step-00000002.safetensors"]
    for path in stale:
        path.write_bytes(b"half")
    train(tiny_config(out, budget__steps=3), resume=True, progress=False, dataset=tiny_images)
    assert not any(p.exists() for p in stale) and {name: (out / name).read_bytes() for name in mine} == mine


def test_force_never_overwrites_a_name_ganfleet_writes(tiny_images, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    (out / "grids").mkdir(parents=True)
    (out / "metrics.jsonl").write_text("their metrics\n")
    with pytest.raises(
        CheckpointError, match=re.escape("--force would overwrite metrics.jsonl, grids, which ganfleet did not write")
    ):
        train(tiny_config(out, budget__steps=2), progress=False, dataset=tiny_images, force=True)
    assert (out / "metrics.jsonl").read_text() == "their metrics\n" and sorted(p.name for p in out.iterdir()) == [
        "grids",
        "metrics.jsonl",
    ]
