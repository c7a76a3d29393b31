"""A run's manifest, checked before anything is built or read from it.

`Fleet.load`, `--resume` and `ganfleet evaluate` trust what `check_manifest`
accepts: the keys every reader needs, member names that are plain file names
(`^[A-Za-z0-9._-]+$`, not `.` or `..`), so a member's checkpoints are always
inside the run's `pairs/` folder, a class prior of non-negative finite numbers,
and a model spec whose sizes are bounded (`models.check_sizes`: a manifest
cannot make the reader build a network of a trillion units).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ganfleet.data.dataset import MAX_CLASSES
from ganfleet.errors import CheckpointError, ConfigError
from ganfleet.models import ModelSpec
from ganfleet.strategies import STRATEGIES

MEMBER_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def check_member_name(name: Any, where: str) -> str:
    """`name` if it is a plain file name (letters, digits, `.`, `_`, `-`; not `.` or `..`);
    CheckpointError otherwise."""
    if not isinstance(name, str) or not MEMBER_NAME.match(name) or name in (".", ".."):
        raise CheckpointError(
            f"{where}: member name {name!r} is not a plain name (expected letters, digits, '.', '_' or '-')"
        )
    return name


KINDS = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bool: "true or false",
    int: "an integer",
    (int, float): "a number",
}


def _require(mapping: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """`mapping[key]`, which must be there and of `kind` (a bool is not a number)."""
    if key not in mapping:
        raise CheckpointError(f"{where}: missing {key!r}")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise CheckpointError(f"{where}: {key} must be {KINDS[kind]}, got {value!r}")
    return value


def check_model_spec(model: dict, where: str) -> ModelSpec:
    """The manifest's model as a ModelSpec, its sizes bounded (`ModelSpec` checks them)."""
    shape = _require(model, "sample_shape", list, f"{where}: model")
    _require(model, "latent_dim", int, f"{where}: model")
    _require(model, "width", (int, float), f"{where}: model")
    if not 0 <= _require(model, "n_classes", int, f"{where}: model") <= MAX_CLASSES:
        raise CheckpointError(f"{where}: model.n_classes must be 0..{MAX_CLASSES}, got {model['n_classes']!r}")
    if not (shape and all(isinstance(s, int) and not isinstance(s, bool) for s in shape)):
        raise CheckpointError(f"{where}: model.sample_shape must be a list of sizes, got {shape!r}")
    try:
        return ModelSpec.from_dict(model)
    except KeyError as exc:
        raise CheckpointError(f"{where}: model: missing {exc}") from None
    except (ConfigError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: model: {exc}") from None


def _whole_numbers(values: list) -> bool:
    """Whether every value is an integer >= 0 (a bool is not one)."""
    return all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)


def _check_data(data: dict, where: str) -> int:
    """The number of classes; the class names, prior and class ids checked (ids filled in as 0..K-1 for a run
    from before they were recorded)."""
    names = _require(data, "class_names", list, f"{where}: data")
    prior = _require(data, "prior", list, f"{where}: data")
    if not 0 < len(names) <= MAX_CLASSES or not all(isinstance(n, str) for n in names):
        raise CheckpointError(f"{where}: data.class_names must be 1 to {MAX_CLASSES} strings")
    finite = all(isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p) and p >= 0 for p in prior)
    if len(prior) != len(names) or not finite or sum(prior) <= 0:
        raise CheckpointError(
            f"{where}: data.prior must be {len(names)} non-negative finite numbers with a positive sum, got {prior!r}"
        )
    _require(data, "source", str, f"{where}: data")
    counts = _require(data, "counts", list, f"{where}: data")
    if len(counts) != len(names) or not _whole_numbers(counts):
        raise CheckpointError(f"{where}: data.counts must be {len(names)} image counts (integers >= 0), got {counts!r}")
    if not isinstance(data.get("fingerprint", ""), str):
        raise CheckpointError(f"{where}: data.fingerprint must be a string, got {data['fingerprint']!r}")
    ids = data.get("class_ids", list(range(len(names))))  # runs before issue 22 name no ids: 0..K-1
    whole = isinstance(ids, list) and _whole_numbers(ids)
    if not whole or len(ids) != len(names) or len(set(ids)) != len(ids):
        raise CheckpointError(f"{where}: data.class_ids must be {len(names)} distinct class indices, got {ids!r}")
    data["class_ids"] = ids  # every reader may rely on it
    return len(names)


def trained_member(member: dict) -> bool:
    """Whether `train` makes this member of a manifest (not one added to the finished run: `ganfleet distill`'s
    records how it was made under "distilled")."""
    return "distilled" not in member


def _check_member(member: Any, n_classes: int, where: str) -> None:
    if not isinstance(member, dict):
        raise CheckpointError(f"{where}: every member must be a mapping, got {member!r}")
    name = check_member_name(member.get("name"), where)
    _require(member, "conditional", bool, f"{where}: member {name}")
    classes = _require(member, "classes", list, f"{where}: member {name}")
    label = member.get("label")
    outside = [
        c
        for c in classes + ([] if label is None else [label])
        if not (isinstance(c, int) and not isinstance(c, bool) and 0 <= c < n_classes)
    ]
    if outside:
        raise CheckpointError(f"{where}: member {name}: class {outside[0]!r} is not one of the {n_classes} classes")


def check_manifest(manifest: Any, where: str) -> dict:
    """`manifest` when every reader can rely on it; CheckpointError naming `where` (the file) and the key otherwise."""
    if not isinstance(manifest, dict):
        raise CheckpointError(f"{where}: expected a JSON object, got {type(manifest).__name__}")
    if _require(manifest, "strategy", str, where) not in STRATEGIES:
        raise CheckpointError(f"{where}: strategy {manifest['strategy']!r} is not one of {', '.join(STRATEGIES)}")
    check_model_spec(_require(manifest, "model", dict, where), where)
    n_classes = _check_data(_require(manifest, "data", dict, where), where)
    members = _require(manifest, "members", list, where)
    if not members:
        raise CheckpointError(f"{where}: members is empty; a run has at least one member")
    for member in members:
        _check_member(member, n_classes, where)
    labelled = [m["name"] for m in members if m.get("label") is not None]
    if labelled and manifest["strategy"] in ("gan", "cgan"):
        raise CheckpointError(
            f"{where}: strategy {manifest['strategy']!r} has no one-class pairs, but member {labelled[0]} has a label"
        )
    if not labelled and manifest["strategy"] == "class-parallel":
        raise CheckpointError(f"{where}: strategy 'class-parallel' without a one-class pair (no member has a label)")
    names = [m["name"] for m in members]
    if len(set(names)) != len(names):
        raise CheckpointError(
            f"{where}: member names repeat ({', '.join(sorted({n for n in names if names.count(n) > 1}))})"
        )
    return manifest
