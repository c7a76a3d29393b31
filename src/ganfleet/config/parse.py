"""Building a RunConfig: defaults < YAML file (`--config`) < flags < `--set section.key=value`.

Keys that moved to another section (`train.loss` is now `loss.name`) are
named in the error; a run directory's own `config.json` from before the move
is upgraded when it is read (`upgrade_tree`).
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

from ganfleet.config.fields import coerce
from ganfleet.config.run_config import RunConfig
from ganfleet.config.sections import BudgetConfig
from ganfleet.config.yaml_text import parse_yaml, read_yaml_file
from ganfleet.errors import ConfigError

# old dotted key -> new dotted key (the sections before the config was split)
MOVED_KEYS = {
    "train.loss": "loss.name",
    "train.n_critic": "loss.n_critic",
    "train.penalty_weight": "loss.penalty_weight",
    "train.clip_value": "loss.clip_value",
    "train.lr_g": "optim.lr_g",
    "train.lr_d": "optim.lr_d",
    "train.beta1": "optim.beta1",
    "train.beta2": "optim.beta2",
    "train.epochs": "budget.epochs",
    "train.steps": "budget.steps",
    "train.log_every": "cadence.log_every",
    "train.grid_every": "cadence.grid_every",
    "train.checkpoint_every": "cadence.checkpoint_every",
    "train.keep_checkpoints": "cadence.keep_checkpoints",
    "train.locals": "sgan.locals",
    "train.split_by_class": "sgan.split_by_class",
    "train.messenger_steps": "sgan.messenger_steps",
    "train.share_weights": "sgan.share_weights",
}


def _unknown_key(path: str, names: list[str]) -> ConfigError:
    if path in MOVED_KEYS:
        return ConfigError(f"{path}: moved to {MOVED_KEYS[path]}")
    return ConfigError(f"{path}: unknown key; valid keys are {', '.join(names)}")


def from_dict(cls: type, data: dict[str, Any], where: str = "") -> Any:
    """Build dataclass `cls` from a nested dict; unknown keys are an error naming the valid ones."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in names:
            raise _unknown_key(path, names)
        tp = hints[key]
        nested = isinstance(tp, type) and dataclasses.is_dataclass(tp)
        kwargs[key] = from_dict(tp, value, path) if nested else coerce(path, tp, value)
    return cls(**kwargs)


def build_config(tree: dict[str, Any]) -> RunConfig:
    """Build and cross-check a RunConfig from a nested dict."""
    config = from_dict(RunConfig, tree)
    config.check()
    return config


def apply_values(config: RunConfig, values: dict[str, Any]) -> RunConfig:
    """Set dotted keys (`budget.epochs`) on a copy of `config`, then re-validate every section."""
    tree = config.to_dict()
    budgets = [k for k, v in values.items() if k in {f"budget.{key}" for key in BudgetConfig.KEYS} and v is not None]
    if budgets:  # a budget given here replaces the one below it (a flag's --steps over a file's epochs)
        tree["budget"].update(dict.fromkeys([*BudgetConfig.KEYS, "classes"]))
    for key, value in values.items():
        parts = key.split(".")
        node: Any = tree
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node, dict) or part not in node or not isinstance(node[part], dict):
                sections = ", ".join(k for k, v in tree.items() if isinstance(v, dict))
                raise ConfigError(f"{key}: unknown section {'.'.join(parts[: i + 1])!r}; sections are {sections}")
            node = node[part]
        if parts[-1] not in node:
            raise _unknown_key(key, list(node))
        if isinstance(node[parts[-1]], dict):
            raise ConfigError(f"{key}: is a section; set one of its keys, e.g. {key}.{next(iter(node[parts[-1]]))}")
        node[parts[-1]] = value
    return build_config(tree)


def apply_override(config: RunConfig, assignment: str) -> RunConfig:
    """Apply one `section.key=value` override (value parsed as YAML) and return a new, re-validated config."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected section.key=value, e.g. budget.epochs=2")
    key, raw = assignment.split("=", 1)
    value = parse_yaml(raw, f"--set {key.strip()}") if raw.strip() else None
    return apply_values(config, {key.strip(): value})


def load_config(path: str | Path, base: RunConfig | None = None) -> RunConfig:
    """Read a YAML (or JSON) config file, over `base` (default: the defaults); errors name the file and the key."""
    path = Path(path)
    tree = read_yaml_file(path) or {}
    try:
        if base is None:
            return build_config(tree)
        if not isinstance(tree, dict):
            raise ConfigError(f"expected a mapping of sections, got {tree!r}")
        return apply_values(base, flatten(tree))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def flatten(tree: dict[str, Any], sep: str = ".", prefix: str = "") -> dict[str, Any]:
    """{"budget": {"epochs": 2}} -> {"budget.epochs": 2} (nested dicts to dotted keys)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{sep}{key}" if prefix else key
        if isinstance(value, dict):
            out.update(flatten(value, sep, name))
        else:
            out[name] = value
    return out


def upgrade_tree(tree: dict[str, Any]) -> dict[str, Any]:
    """A saved config tree with every moved key in its new place (a run directory written before the move).

    Runs from before budgets were one of epochs, steps or kimg may hold both
    epochs and steps; steps was the one used then, so epochs is dropped.
    """
    flat = {MOVED_KEYS.get(key, key): value for key, value in flatten(tree).items()}
    both = flat.get("budget.steps") is not None and flat.get("budget.epochs") is not None
    if not both and not any(key in MOVED_KEYS for key in flatten(tree)):
        return tree
    if both:
        flat["budget.epochs"] = None
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *sections, name = key.split(".")
        for section in sections:
            node = node.setdefault(section, {})
        node[name] = value
    return out
