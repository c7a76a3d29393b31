"""Per-pair checkpoints: safetensors files written atomically, verified on load.

A checkpoint holds the generator and discriminator (parameters and buffers),
both Adam states, the step, and the generator's EMA when the pair keeps one
(checkpoints from before EMA have no such section and load as they are). Files are written to a temporary name in the
same folder, flushed to disk, then renamed over, so a crash or kill leaves
either the old file or the new one, never half of one. A SHA-256 of the tensor
bytes, section by section, and one of the rest of the header (name, step, the
optimisers' settings) are kept in the header and checked on load, so a
truncated or corrupt newest checkpoint is detected and the previous one is used
instead (with a warning). Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from ganfleet.errors import CheckpointError
from ganfleet.rundir.atomic import atomic_write

FORMAT = "ganfleet-pair-2"  # 2: the header (name, step, optimiser settings) is checksummed too
FORMATS = ("ganfleet-pair-1", FORMAT)  # what is read: version 1's header has no checksum of its own
_NAME = re.compile(r"^step-(\d{8})\.safetensors$")
PREFIXES = ("generator", "discriminator", "opt_g", "opt_d")  # the sections every pair checkpoint has
OPTIONAL = ("ema",)  # sections only some have: the generator's moving average


class NonFiniteState(CheckpointError):
    """A pair's state holds NaN or infinity: it is not written, so its newest checkpoint stays the last finite one."""

    def __init__(self, name: str, tensor: str, step: int) -> None:
        super().__init__(f"{name}: non-finite {tensor} at step {step}; not written")
        self.tensor = tensor


def first_nonfinite(tensors: dict[str, torch.Tensor]) -> str | None:
    """The name of the first floating-point tensor (in name order) holding a NaN or an infinity;
    None when all are finite."""
    floating = [k for k in sorted(tensors) if tensors[k].is_floating_point()]
    if not floating:
        return None
    finite = torch.stack([torch.isfinite(tensors[k]).all() for k in floating]).tolist()
    return next((k for k, ok in zip(floating, finite) if not ok), None)


@dataclass
class PairState:
    """What a pair checkpoint restores: weights, optimiser states, step."""

    step: int
    generator: dict[str, torch.Tensor]
    discriminator: dict[str, torch.Tensor]
    opt_g: dict
    opt_d: dict
    ema: dict[str, torch.Tensor] | None = None


def checkpoint_name(step: int) -> str:
    return f"step-{step:08d}.safetensors"


def tensor_digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 of tensors' names and bytes, in name order: identifies weights whatever the file they came from."""
    h = hashlib.sha256()
    for key in sorted(tensors):
        h.update(key.encode())
        t = tensors[key]
        h.update(t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _split(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def _optimizer_to_tensors(opt_state: dict, prefix: str, tensors: dict[str, torch.Tensor]) -> str:
    """Flatten an optimiser state_dict into `tensors`; returns its param_groups as JSON."""
    for idx, state in opt_state["state"].items():
        for key, value in state.items():
            if not isinstance(value, torch.Tensor):
                value = torch.tensor(value)
            tensors[f"{prefix}.{idx}.{key}"] = value.detach().cpu().contiguous()
    return json.dumps(opt_state["param_groups"])


def _optimizer_from_tensors(tensors: dict[str, torch.Tensor], prefix: str, groups_json: str) -> dict:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix + "."):
            idx, name = key[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(idx), {})[name] = value
    return {"state": state, "param_groups": json.loads(groups_json)}


def _module_tensors(module: nn.Module, prefix: str, tensors: dict[str, torch.Tensor]) -> None:
    for key, value in module.state_dict().items():
        tensors[f"{prefix}.{key}"] = value.detach().cpu().contiguous().clone()


def save_pair(
    folder: Path,
    name: str,
    step: int,
    generator: nn.Module,
    discriminator: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    keep: int = 2,
    ema: nn.Module | None = None,
) -> Path:
    """Write `folder/step-XXXXXXXX.safetensors` atomically and delete all but the newest `keep`.

    NonFiniteState, and nothing written, when a weight, buffer or optimiser state is not finite.
    """
    tensors: dict[str, torch.Tensor] = {}
    _module_tensors(generator, "generator", tensors)
    _module_tensors(discriminator, "discriminator", tensors)
    sections: tuple[str, ...] = PREFIXES
    if ema is not None:
        _module_tensors(ema, "ema", tensors)
        sections = (*PREFIXES, "ema")
    groups_g = _optimizer_to_tensors(opt_g.state_dict(), "opt_g", tensors)
    groups_d = _optimizer_to_tensors(opt_d.state_dict(), "opt_d", tensors)
    bad = first_nonfinite(tensors)
    if bad is not None:
        raise NonFiniteState(name, bad, step)
    metadata = {"format": FORMAT, "name": name, "step": str(step), "opt_g_groups": groups_g, "opt_d_groups": groups_d}
    digests = {p: tensor_digest(_split(tensors, p)) for p in sections}
    metadata["sha256"] = json.dumps({**digests, "header": header_digest(metadata)})
    path = folder / checkpoint_name(step)
    data = save(
        tensors, metadata=metadata
    )  # bytes, written by atomic_write alone (save_file adds a temporary of its own)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    for old in list_checkpoints(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def copy_checkpoint(source: Path, folder: Path, name: str) -> Path:
    """Copy the verified checkpoint `source` into `folder` (atomically) as the checkpoint of pair `name`: the same
    tensors and step, its header relabelled and checksummed again."""
    tensors, metadata = read_checkpoint(source, PREFIXES + OPTIONAL)
    metadata = {**metadata, "format": FORMAT, "name": name}
    digests = json.loads(metadata.pop("sha256"))
    metadata["sha256"] = json.dumps({**digests, "header": header_digest(metadata)})
    data = save({k: t.contiguous() for k, t in tensors.items()}, metadata=metadata)
    path = folder / checkpoint_name(int(metadata["step"]))
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    return path


def list_checkpoints(folder: Path) -> list[Path]:
    """Checkpoint files in `folder`, oldest first (regular files only: a FIFO of that name is never opened)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name) and p.is_file())


def read_checkpoint(path: Path, prefixes: tuple[str, ...] = PREFIXES) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors under `prefixes` and the header of one checkpoint, verified against their checksums.

    An optional section (`OPTIONAL`) the file does not have is left out. Raises
    CheckpointError if the file is unreadable, truncated, not a pair
    checkpoint, lacks a section, or its bytes do not match the recorded SHA-256.
    """
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            keys = [k for k in f.keys() if k.split(".", 1)[0] in prefixes]  # noqa: SIM118 (safe_open has keys() but is not iterable)
            tensors = {k: f.get_tensor(k) for k in keys}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: unreadable checkpoint ({exc})") from None
    if metadata.get("format") not in FORMATS:
        raise CheckpointError(
            f"{path}: not a ganfleet pair checkpoint (format {metadata.get('format')!r}, expected {FORMAT!r})"
        )
    try:
        digests = json.loads(metadata.get("sha256", "{}"))
    except json.JSONDecodeError:
        raise CheckpointError(f"{path}: header field sha256 is not JSON; the file is corrupt") from None
    if not isinstance(digests, dict):
        raise CheckpointError(f"{path}: header field sha256 is not a mapping; the file is corrupt")
    if metadata["format"] != FORMATS[0] and digests.get("header") != header_digest(metadata):
        raise CheckpointError(f"{path}: checksum mismatch in the header; the file is corrupt")
    for field in ("opt_g_groups", "opt_d_groups"):
        if field in metadata and not _json_list(metadata[field]):
            raise CheckpointError(f"{path}: header field {field} is not a JSON list; the file is not ganfleet's")
    for prefix in prefixes:
        if prefix not in digests and prefix in OPTIONAL:
            continue
        if tensor_digest(_split(tensors, prefix)) != digests.get(prefix):
            raise CheckpointError(f"{path}: checksum mismatch in {prefix}; the file is corrupt")
    check_belongs(path, metadata)
    bad = first_nonfinite(tensors)
    if bad is not None:
        raise CheckpointError(f"{path}: {bad} holds NaN or infinite values")
    return tensors, metadata


def _json_list(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except (ValueError, RecursionError):
        return False


def header_digest(metadata: dict[str, str]) -> str:
    """SHA-256 of every header field but the checksums themselves."""
    rest = {k: v for k, v in metadata.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def check_belongs(path: Path, metadata: dict[str, str]) -> None:
    """A checkpoint in a run's `pairs/<name>/` is `<name>`'s, of the step its file name says."""
    if path.parent.parent.name == "pairs" and metadata.get("name") != path.parent.name:
        raise CheckpointError(f"{path}: the checkpoint of pair {metadata.get('name')!r}, not of {path.parent.name}")
    if metadata.get("step") != str(int(path.stem.split("-")[1])):
        raise CheckpointError(f"{path}: header step {metadata.get('step')!r} differs from the file name's")


def newest_valid(
    folder: Path, prefixes: tuple[str, ...] = PREFIXES
) -> tuple[Path, dict[str, torch.Tensor], dict[str, str]] | None:
    """The newest checkpoint in `folder` that reads and verifies, loaded, with a warning for each newer one skipped;
    None when the folder holds none; CheckpointError (one, no warnings) when it holds some and none is valid."""
    skipped: list[str] = []
    for path in reversed(list_checkpoints(folder)):
        try:
            tensors, metadata = read_checkpoint(path, prefixes)
        except CheckpointError as exc:
            skipped.append(str(exc))
            continue
        for reason in skipped:
            warnings.warn(f"skipping checkpoint: {reason}; falling back to the previous one", stacklevel=2)
        return path, tensors, metadata
    if skipped:
        oldest = skipped[-1]
        raise CheckpointError(f"{folder}: none of its {len(skipped)} checkpoint(s) is valid (the oldest: {oldest})")
    return None


def load_latest(folder: Path) -> PairState | None:
    """The newest valid checkpoint's full state, or None when the folder holds none."""
    found = newest_valid(folder, PREFIXES + OPTIONAL)
    if found is None:
        return None
    _, tensors, metadata = found
    return PairState(
        step=int(metadata["step"]),
        generator=_split(tensors, "generator"),
        discriminator=_split(tensors, "discriminator"),
        opt_g=_optimizer_from_tensors(tensors, "opt_g", metadata["opt_g_groups"]),
        opt_d=_optimizer_from_tensors(tensors, "opt_d", metadata["opt_d_groups"]),
        ema=_split(tensors, "ema") or None,
    )


def load_generator_weights(folder: Path, ema: bool = True) -> tuple[dict[str, torch.Tensor], int, bool]:
    """(generator state_dict, step, whether it is the EMA) of the newest valid checkpoint in `folder`.

    The generator's EMA when `ema` and the checkpoint has one, else its raw
    weights; only those bytes are read.
    """
    found = newest_valid(folder, ("generator", "ema") if ema else ("generator",))
    if found is None:
        raise CheckpointError(f"{folder}: no valid checkpoint")
    _, tensors, metadata = found
    averaged = _split(tensors, "ema")
    return (averaged or _split(tensors, "generator")), int(metadata["step"]), bool(averaged)
