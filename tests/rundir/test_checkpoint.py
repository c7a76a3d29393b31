"""Per-pair checkpoints: round trip, atomic writes, corruption detection and fallback."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as safetensors_save

from ganfleet.errors import CheckpointError
from ganfleet.models import ModelSpec, build_pair
from ganfleet.rundir import (
    NonFiniteState,
    list_checkpoints,
    load_generator_weights,
    load_latest,
    newest_valid,
    read_checkpoint,
    remove_temporaries,
    save_pair,
)
from ganfleet.rundir.checkpoint import tensor_digest


def trained_pair(steps: int = 2):
    g, d = build_pair(ModelSpec("dcgan", (1, 32, 32), width=0.125), seed=0)
    opt_g = torch.optim.Adam(g.parameters(), 1e-3)
    opt_d = torch.optim.Adam(d.parameters(), 1e-3)
    for _ in range(steps):
        for opt, loss_fn in (
            (opt_d, lambda: d(g(torch.randn(4, 100)).detach()).mean()),
            (opt_g, lambda: -d(g(torch.randn(4, 100))).mean()),
        ):
            opt.zero_grad()
            loss_fn().backward()
            opt.step()
    return g, d, opt_g, opt_d


def test_round_trip_restores_weights_buffers_and_adam(tmp_path: Path) -> None:
    g, d, opt_g, opt_d = trained_pair()
    save_pair(tmp_path, "class-0000", 7, g, d, opt_g, opt_d)
    state = load_latest(tmp_path)
    assert state is not None and state.step == 7
    for key, value in g.state_dict().items():  # parameters and BatchNorm running stats
        assert torch.equal(state.generator[key], value), key
    for key, value in d.state_dict().items():
        assert torch.equal(state.discriminator[key], value), key
    g2, _d2 = build_pair(ModelSpec("dcgan", (1, 32, 32), width=0.125), seed=1)
    opt_g2 = torch.optim.Adam(g2.parameters(), 1e-3)
    opt_g2.load_state_dict(state.opt_g)
    original, restored = opt_g.state_dict(), opt_g2.state_dict()
    assert restored["param_groups"][0]["betas"] == list(original["param_groups"][0]["betas"])
    for idx, st in original["state"].items():
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(restored["state"][idx][key], st[key])


def test_keeps_only_the_newest(tmp_path: Path) -> None:
    g, d, opt_g, opt_d = trained_pair(1)
    for step in (2, 4, 6, 8):
        save_pair(tmp_path, "p", step, g, d, opt_g, opt_d, keep=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-00000006.safetensors", "step-00000008.safetensors"]
    assert not [p for p in tmp_path.iterdir() if "tmp" in p.name]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_corrupt_newest_falls_back_with_a_warning(tmp_path: Path, damage: str) -> None:
    g, d, opt_g, opt_d = trained_pair(1)
    save_pair(tmp_path, "p", 2, g, d, opt_g, opt_d)
    save_pair(tmp_path, "p", 4, g, d, opt_g, opt_d)
    newest = tmp_path / "step-00000004.safetensors"
    data = bytearray(newest.read_bytes())
    if damage == "truncate":
        newest.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "flip":
        data[-100] ^= 0xFF  # a bit flip inside the tensor data: only the checksum sees it
        newest.write_bytes(bytes(data))
    else:
        newest.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=str(newest)):
        read_checkpoint(newest)
    with pytest.warns(UserWarning, match="skipping checkpoint: .*step-00000004.*falling back"):
        state = load_latest(tmp_path)
    assert state is not None and state.step == 2


def test_generator_only_read_and_empty_folder(tmp_path: Path) -> None:
    g, d, opt_g, opt_d = trained_pair(1)
    assert load_latest(tmp_path) is None
    with pytest.raises(CheckpointError, match="no valid checkpoint"):
        load_generator_weights(tmp_path)
    save_pair(tmp_path, "p", 3, g, d, opt_g, opt_d)
    weights, step, averaged = load_generator_weights(tmp_path)
    assert step == 3 and set(weights) == set(g.state_dict()) and not averaged
    found = newest_valid(tmp_path, ("generator",))
    assert found is not None and all(k.startswith("generator.") for k in found[1])


def test_a_failed_write_leaves_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g, d, opt_g, opt_d = trained_pair(1)
    save_pair(tmp_path, "p", 2, g, d, opt_g, opt_d)
    before = (tmp_path / "step-00000002.safetensors").read_bytes()

    def crash(src, dst):  # the rename is the commit point: fail right before it
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_pair(tmp_path, "p", 2, g, d, opt_g, opt_d)
    assert (tmp_path / "step-00000002.safetensors").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["step-00000002.safetensors"]  # no temp file left behind


def test_a_non_finite_state_is_not_written(tmp_path: Path) -> None:
    g, d, opt_g, opt_d = trained_pair(steps=1)
    save_pair(tmp_path, "p", 1, g, d, opt_g, opt_d)
    with torch.no_grad():
        next(d.parameters())[0] = float("inf")
    with pytest.raises(NonFiniteState, match=r"p: non-finite discriminator\..* at step 2; not written"):
        save_pair(tmp_path, "p", 2, g, d, opt_g, opt_d)
    assert [p.name for p in tmp_path.iterdir()] == ["step-00000001.safetensors"]


def test_remove_temporaries_deletes_only_what_a_killed_write_left(tmp_path: Path) -> None:
    g, d, opt_g, opt_d = trained_pair(steps=1)
    kept = save_pair(tmp_path, "class-0000", 5, g, d, opt_g, opt_d)
    stale = [
        tmp_path / ".ganfleet-tmp.4242.step-00000010.safetensors",
        tmp_path / ".ganfleet-tmp.7.progress.json",
        tmp_path / ".step-00000010.safetensors.tmp-4242",
        tmp_path / ".progress.json.tmp-7",
    ]  # the older names too
    for path in stale:
        path.write_bytes(b"half")
    (tmp_path / "notes.tmp-1").write_text("not ours")  # not a hidden atomic_write temporary
    (tmp_path / ".draft.tmp-42").write_text("not ours either")  # the old pattern, but not a name ganfleet writes
    assert sorted(remove_temporaries(tmp_path)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".draft.tmp-42", "notes.tmp-1", kept.name]
    assert remove_temporaries(tmp_path / "missing") == []


def test_the_generator_ema_is_one_more_section_and_older_checkpoints_load_without_it(tmp_path: Path) -> None:
    g, d, opt_g, opt_d = trained_pair(1)
    save_pair(tmp_path / "old", "p", 1, g, d, opt_g, opt_d)  # as written before EMA existed
    ema = copy.deepcopy(g)
    with torch.no_grad():
        for p in ema.parameters():
            p.mul_(0.5)
    save_pair(tmp_path / "new", "p", 1, g, d, opt_g, opt_d, ema=ema)
    old, new = load_latest(tmp_path / "old"), load_latest(tmp_path / "new")
    assert old is not None and old.ema is None
    assert new is not None and all(torch.equal(new.ema[k], v) for k, v in ema.state_dict().items())
    weights, _, averaged = load_generator_weights(tmp_path / "new")
    assert averaged and all(torch.equal(weights[k], v) for k, v in ema.state_dict().items())
    raw, _, averaged = load_generator_weights(tmp_path / "new", ema=False)
    assert not averaged and all(torch.equal(raw[k], v) for k, v in g.state_dict().items())
    weights, _, averaged = load_generator_weights(tmp_path / "old")
    assert not averaged and all(torch.equal(weights[k], v) for k, v in g.state_dict().items())


def test_a_checkpoint_of_another_pair_another_step_or_with_nan_is_skipped(tmp_path: Path) -> None:
    """Valid files with the wrong content: each is skipped with a warning, as a corrupt one, and the previous
    one is loaded."""
    from safetensors.torch import load_file, save_file

    g, d, opt_g, opt_d = trained_pair(1)
    mine, other = tmp_path / "pairs" / "class-0000", tmp_path / "pairs" / "class-0001"
    save_pair(mine, "class-0000", 2, g, d, opt_g, opt_d)
    save_pair(other, "class-0001", 4, g, d, opt_g, opt_d)
    newest = mine / "step-00000004.safetensors"
    (other / "step-00000004.safetensors").replace(newest)  # another pair's checkpoint, copied in
    with pytest.warns(UserWarning, match="the checkpoint of pair 'class-0001', not of class-0000"):
        assert load_latest(mine).step == 2
    save_pair(mine, "class-0000", 4, g, d, opt_g, opt_d)
    newest.rename(mine / "step-00000006.safetensors")  # a step the header does not say
    with pytest.warns(UserWarning, match="header step '4' differs from the file name's"):
        assert load_latest(mine).step == 2
    (mine / "step-00000006.safetensors").unlink()
    save_pair(mine, "class-0000", 4, g, d, opt_g, opt_d)
    from safetensors import safe_open

    with safe_open(str(newest), framework="pt") as f:
        metadata = f.metadata()
    tensors = load_file(str(newest))
    key = next(k for k in sorted(tensors) if k.startswith("generator.") and tensors[k].is_floating_point())
    tensors[key][0] = float("nan")
    digests = json.loads(metadata["sha256"])
    generator = {k.removeprefix("generator."): v for k, v in tensors.items() if k.startswith("generator.")}
    digests["generator"] = tensor_digest(generator)
    save_file(tensors, str(newest), metadata={**metadata, "sha256": json.dumps(digests)})  # NaN, checksum right
    with pytest.warns(UserWarning, match=f"{key} holds NaN or infinite values"):
        assert load_latest(mine).step == 2


def rewritten(path: Path, **fields: str) -> None:
    """Rewrite the checkpoint at `path` with header fields replaced (the tensors, and their checksums, kept)."""
    tensors, metadata = read_checkpoint(path)
    path.write_bytes(safetensors_save(tensors, metadata={**metadata, **fields}))


def test_an_edited_optimiser_setting_is_caught_by_the_header_checksum(tmp_path: Path) -> None:
    g, d, opt_g, opt_d = trained_pair(steps=1)
    path = save_pair(tmp_path, "p", 1, g, d, opt_g, opt_d)
    _, metadata = read_checkpoint(path)
    rewritten(path, opt_g_groups=metadata["opt_g_groups"].replace('"lr": 0.001', '"lr": 0.002'))
    with pytest.raises(CheckpointError, match="checksum mismatch in the header; the file is corrupt"):
        read_checkpoint(path)


def test_a_version_1_checkpoint_without_a_header_checksum_still_loads(tmp_path: Path) -> None:
    g, d, opt_g, opt_d = trained_pair(steps=1)
    path = save_pair(tmp_path, "p", 1, g, d, opt_g, opt_d)
    tensors, metadata = read_checkpoint(path)
    tensors = {k: v.clone() for k, v in tensors.items()}  # not views of the file about to be rewritten in place
    digests = {k: v for k, v in json.loads(metadata["sha256"]).items() if k != "header"}
    rewritten(path, format="ganfleet-pair-1", sha256=json.dumps(digests))
    got, header = read_checkpoint(path)
    assert header["format"] == "ganfleet-pair-1" and all(torch.equal(got[k], tensors[k]) for k in tensors)
