"""Checks that a resumed run continues the same experiment."""

from __future__ import annotations

import hashlib

from ganfleet.config import RunConfig, build_config, flatten, upgrade_tree
from ganfleet.errors import ConfigError
from ganfleet.rundir.rundir import RunDir

# Keys that may change between a run and its resumption: the budget (train
# longer), bookkeeping cadences and where and how it runs (device, packing). Anything else would make the
# resumed run a different experiment from the one its checkpoints belong to.
RESUMABLE_KEYS = frozenset(
    {
        "out",
        "budget.epochs",
        "budget.steps",
        "budget.kimg",
        "budget.classes",
        "cadence.log_every",
        "cadence.grid_every",
        "cadence.checkpoint_every",
        "cadence.keep_checkpoints",
        "train.device",
        "train.pack",
        "eval.every",
        "eval.n",
        "eval.classifier",
        "eval.member",
    }
)


def config_digest(run: RunDir) -> str:
    """SHA-256 of the run's config.json as it is on disk (the manifest records the one the run wrote)."""
    return hashlib.sha256(run.config_path.read_bytes()).hexdigest()


def check_resumable(run: RunDir, config: RunConfig) -> None:
    """ConfigError listing every key (outside RESUMABLE_KEYS) whose value differs from the saved config.

    Both sides are compared as built configs, so a saved "4" and a given 4 (train.threads) are the same.
    """
    recorded = run.read_manifest().get("config_sha256")
    if recorded is not None and recorded != config_digest(run):
        raise ConfigError(
            f"{run.config_path}: changed since the run wrote it (manifest.json records another checksum); put it "
            "back, and give what should change as flags on --resume"
        )
    saved = flatten(saved_config(run).to_dict())
    now = flatten(config.to_dict())
    changed = sorted(k for k in set(saved) | set(now) if k not in RESUMABLE_KEYS and saved.get(k) != now.get(k))
    if changed:
        details = "; ".join(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in changed)
        raise ConfigError(f"{run.config_path}: --resume needs the same settings as the saved run, but {details}")


CORE_SECTIONS = ("data", "model", "train")  # in every run's config.json, since the first ganfleet


def saved_config(run: RunDir) -> RunConfig:
    """The config a run directory was trained with (its config.json, upgraded if it predates a key's move)."""
    tree = run.read_json(run.config_path)
    missing = [s for s in CORE_SECTIONS if not isinstance(tree, dict) or s not in tree]
    if missing:
        raise ConfigError(f"{run.config_path}: missing section {missing[0]!r}; a run's config.json holds every section")
    try:
        return build_config(upgrade_tree(tree))
    except ConfigError as exc:
        raise ConfigError(f"{run.config_path}: {exc}") from None
