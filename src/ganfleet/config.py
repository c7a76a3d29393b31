"""Typed run configuration: dataclasses with a help text per field.

Precedence when a run is configured: field defaults < YAML file (`--config`) <
command-line flags < `--set section.key=value` overrides. Every field's help
text (the `help` metadata) is what `ganfleet train --help` shows, so the
documentation of an option lives in one place.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ganfleet.errors import ConfigError


def option(default: Any, help: str, **kwargs: Any) -> Any:
    """A dataclass field carrying its help text (shown by `--help` and `--dry-run` docs)."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help}, **kwargs)
    return field(default=default, metadata={"help": help}, **kwargs)


DATA_SOURCES = ("fashion-mnist", "mnist", "cifar10", "cifar100", "imagefolder", "npz", "digits", "toy")
TOY_MIXTURES = ("ring8", "ring10", "grid25", "swissroll")
ARCHS = ("auto", "paper", "dcgan", "mlp")
STRATEGIES = ("gan", "cgan", "class-parallel", "sgan")
D_NORMS = ("auto", "batch", "layer", "none")
WASSERSTEIN_LOSSES = ("wgan", "wgan-gp")
LOSSES = ("minimax", "ns", "wgan", "wgan-gp", "hinge", "dragan")


def _check_choice(section: str, key: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{section}.{key}: unknown value {value!r}; expected one of {', '.join(choices)}")


def _check_positive(section: str, key: str, value: float | int | None, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise ConfigError(f"{section}.{key}: expected a positive number, got {value!r}")


@dataclass
class DataConfig:
    """Where the images come from and how they are prepared."""

    name: str = option("digits", "data source: " + ", ".join(DATA_SOURCES))
    path: str | None = option(None, "folder or file of the data (auto-found for fashion-mnist, mnist; required for imagefolder, npz, cifar*)")
    split: str = option("train", "which split to load: train or test")
    classes: list[int] | None = option(None, "train on this subset of class indices only (relabelled 0..k-1, names kept)")
    max_per_class: int | None = option(None, "keep at most this many images per class (the first ones, deterministic)")
    image_size: int | None = option(None, "side length after fitting; default: next power of two >= the native size, at least 32")
    fit: str = option("resize", "how images reach image_size: resize (bilinear, as the paper's code) or pad (zero border)")
    mixture: str = option("ring8", "toy data only: " + ", ".join(TOY_MIXTURES))
    toy_per_class: int = option(2000, "toy data only: points drawn per mixture component (class)")

    def __post_init__(self) -> None:
        if self.path:
            self.path = os.path.expanduser(self.path)
        _check_choice("data", "name", self.name, DATA_SOURCES)
        _check_choice("data", "split", self.split, ("train", "test"))
        _check_choice("data", "fit", self.fit, ("resize", "pad"))
        _check_choice("data", "mixture", self.mixture, TOY_MIXTURES)
        _check_positive("data", "max_per_class", self.max_per_class, allow_none=True)
        _check_positive("data", "toy_per_class", self.toy_per_class)
        if self.image_size is not None and (self.image_size < 32 or self.image_size & (self.image_size - 1)):
            raise ConfigError(f"data.image_size: expected a power of two >= 32, got {self.image_size}")
        if self.classes is not None and len(set(self.classes)) != len(self.classes):
            raise ConfigError(f"data.classes: duplicate class indices in {self.classes}")


@dataclass
class ModelConfig:
    """Generator and discriminator architecture."""

    arch: str = option("auto", "paper (the paper's tables, BatchNorm eps 0.8), dcgan (same, standard BatchNorm), mlp (toy data); auto: mlp for toy data, dcgan otherwise")
    width: float = option(1.0, "channel multiplier for the conv nets (0.25 trains ~6x faster on CPU), hidden-unit multiplier for the mlp (of 512); 1.0 is the papers' width")
    latent_dim: int = option(100, "noise dimension (the paper's 100)")
    d_norm: str = option("auto", "conv discriminator normalisation after blocks 2-4: batch (the paper's BatchNorm), layer (per sample over C,H,W), none; auto: layer for wgan and wgan-gp (train-mode BatchNorm fixes each channel's batch mean, so the batch-mean score E C(fake) - E C(real) compares moves only through the last feature map's spatial pattern, and the gradient penalty stops being per sample), batch otherwise; the mlp has none")

    def __post_init__(self) -> None:
        _check_choice("model", "arch", self.arch, ARCHS)
        _check_choice("model", "d_norm", self.d_norm, D_NORMS)
        _check_positive("model", "width", self.width)
        _check_positive("model", "latent_dim", self.latent_dim)


@dataclass
class TrainConfig:
    """Strategy, loss, optimiser, budget and bookkeeping."""

    strategy: str = option("class-parallel", "gan: one unconditional pair on all data (DC-GAN); cgan: one conditional pair (DC-CGAN); class-parallel: one independent pair per class (distributed DC-CGAN); sgan: independent local pairs plus a global pair trained from them (SGAN)")
    loss: str = option("ns", "minimax, ns (non-saturating, the paper's), wgan (weight clipping), wgan-gp, hinge, dragan")
    n_critic: int | None = option(None, "discriminator steps per generator step; default 5 for wgan and wgan-gp, 1 otherwise")
    penalty_weight: float = option(10.0, "gradient-penalty weight lambda for wgan-gp and dragan")
    clip_value: float = option(0.01, "weight-clipping bound for wgan")
    lr_g: float = option(2e-4, "generator Adam learning rate")
    lr_d: float = option(2e-4, "discriminator Adam learning rate")
    beta1: float = option(0.5, "Adam beta1")
    beta2: float = option(0.999, "Adam beta2")
    batch_size: int = option(64, "images per batch per pair")
    epochs: float | None = option(None, "budget in passes over each pair's own images (default 5 when steps is not given)")
    steps: int | None = option(None, "budget in generator steps per pair (overrides epochs)")
    seed: int = option(0, "base seed; each pair's seed is derived from it and the pair's class, so results do not depend on scheduling")
    device: str = option("auto", "cpu, cuda, cuda:N or auto (cuda when available)")
    pack: str = option("off", "train K pairs at once through packed networks (same results up to rounding): off (one pair at a time), K (at most K pairs per pack) or auto (time the options on the run's own pairs at start-up, keep the fastest; see docs/packing.md)")
    log_every: int = option(50, "steps between log lines (a tick)")
    grid_every: int = option(500, "steps between sample-grid PNGs (0: only at the end)")
    checkpoint_every: int = option(500, "steps between per-pair checkpoints (0: only at the end)")
    keep_checkpoints: int = option(2, "checkpoints kept per pair (older ones deleted); >= 2 so a corrupt newest one can fall back")
    locals: int | None = option(None, "sgan: number of local pairs, each on all data (default 5); with split_by_class there is one per class, leave it unset")
    split_by_class: bool = option(False, "sgan: one local pair per class (class-parallel locals) and a global pair conditioned on the label")
    messenger_steps: int | None = option(None, "sgan: I_D, updates of each messenger discriminator against the global generator per iteration (default n_critic)")
    share_weights: bool = option(False, "sgan: the local generators share their data-side layers, as do the local discriminators (about half the parameters for the mlp; N-SW-GAN)")

    def __post_init__(self) -> None:
        _check_choice("train", "strategy", self.strategy, STRATEGIES)
        _check_choice("train", "loss", self.loss, LOSSES)
        for key in ("lr_g", "lr_d", "batch_size", "log_every", "penalty_weight", "clip_value"):
            _check_positive("train", key, getattr(self, key))
        _check_positive("train", "n_critic", self.n_critic, allow_none=True)
        _check_positive("train", "epochs", self.epochs, allow_none=True)
        _check_positive("train", "steps", self.steps, allow_none=True)
        for key in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, key) < 1.0:
                raise ConfigError(f"train.{key}: expected a value in [0, 1), got {getattr(self, key)}")
        for key in ("grid_every", "checkpoint_every"):
            if getattr(self, key) < 0:
                raise ConfigError(f"train.{key}: expected >= 0, got {getattr(self, key)}")
        self.pack = str(self.pack).lower()
        if self.pack == "false":  # YAML 1.1 reads a bare `off` as false
            self.pack = "off"
        if self.pack not in ("off", "auto") and not (self.pack.isdigit() and int(self.pack) > 0):
            raise ConfigError(f"train.pack: expected off, auto or a positive number of pairs per pack, got {self.pack!r}")
        if self.keep_checkpoints < 2:
            raise ConfigError(f"train.keep_checkpoints: expected >= 2 (a fallback is needed), got {self.keep_checkpoints}")
        _check_positive("train", "locals", self.locals, allow_none=True)
        _check_positive("train", "messenger_steps", self.messenger_steps, allow_none=True)
        if self.strategy != "sgan":
            for key, unset in (("locals", None), ("split_by_class", False), ("messenger_steps", None), ("share_weights", False)):
                if getattr(self, key) != unset:
                    raise ConfigError(f"train.{key}: only used by strategy sgan (strategy is {self.strategy!r})")
        if self.split_by_class and self.locals is not None:
            raise ConfigError("train.locals: split_by_class makes one local pair per class; leave locals unset")

    @property
    def critic_steps(self) -> int:
        """Discriminator updates per generator update."""
        if self.n_critic is not None:
            return self.n_critic
        return 5 if self.loss in WASSERSTEIN_LOSSES else 1


@dataclass
class EvalConfig:
    """Evaluation during training: an FID/IS curve logged to metrics.jsonl (`ganfleet evaluate` plots it)."""

    every: int = option(0, "steps between quick evaluations during training (0: none); each appends {step, eval: {fid, kid, is, ...}} to metrics.jsonl")
    n: int = option(2000, "generated samples per evaluation during training (a full `ganfleet evaluate` uses 10,000)")
    classifier: str | None = option(None, "domain classifier folder; default: the cache entry for this data, trained once if missing")
    member: str | None = option(None, "sample from this member's generator only (e.g. global: sgan's global generator); default: the fleet's routing")

    def __post_init__(self) -> None:
        if self.every < 0:
            raise ConfigError(f"eval.every: expected >= 0, got {self.every}")
        if self.n < 10:
            raise ConfigError(f"eval.n: expected at least 10 samples (IS uses 10 splits), got {self.n}")


@dataclass
class RunConfig:
    """Everything a training run needs; saved as `config.json` in the run directory."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    out: str = option("runs/run", "run directory (created; holds manifest, checkpoints, grids, logs)")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @property
    def resolved_arch(self) -> str:
        """The architecture actually built (resolves `auto`)."""
        if self.model.arch != "auto":
            return self.model.arch
        return "mlp" if self.data.name == "toy" else "dcgan"

    @property
    def resolved_d_norm(self) -> str:
        """The discriminator normalisation actually built (resolves `auto`)."""
        if self.model.d_norm != "auto":
            return self.model.d_norm
        if self.resolved_arch == "mlp":
            return "none"
        return "layer" if self.train.loss in WASSERSTEIN_LOSSES else "batch"

    def check(self) -> None:
        """Cross-section checks (each section checks itself in __post_init__)."""
        arch = self.resolved_arch
        if (self.data.name == "toy") != (arch == "mlp"):
            raise ConfigError(f"model.arch: {arch!r} does not fit data {self.data.name!r}: toy data needs mlp, images need paper or dcgan")
        if arch == "mlp" and self.model.d_norm not in ("auto", "none"):
            raise ConfigError(f"model.d_norm: the mlp discriminator has no normalisation; expected auto or none, got {self.model.d_norm!r}")


# --------------------------------------------------------------------------- building


def _resolve_type(tp: Any) -> tuple[Any, bool]:
    """Return (base type, optional) for annotations like `int | None` or `list[int] | None`."""
    optional = False
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        tp = args[0]
    return tp, optional


def _coerce(where: str, tp: Any, value: Any) -> Any:
    base, optional = _resolve_type(tp)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where}: a value is required")
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(where, item, v) for v in value]
    try:
        if base is bool:
            if isinstance(value, str):
                if value.lower() in ("true", "1", "yes"):
                    return True
                if value.lower() in ("false", "0", "no"):
                    return False
                raise ValueError
            return bool(value)
        if base is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if base is float:
            return float(value)
        if base is str:
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {getattr(base, '__name__', base)}, got {value!r}") from None
    return value


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_dict(cls: type, data: dict[str, Any], where: str = "") -> Any:
    """Build dataclass `cls` from a nested dict; unknown keys are an error naming the valid ones."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a mapping, got {data!r}")
    hints = _hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in names:
            raise ConfigError(f"{path}: unknown key; valid keys are {', '.join(names)}")
        tp = hints[key]
        if dataclasses.is_dataclass(tp):
            kwargs[key] = from_dict(tp, value, path)
        else:
            kwargs[key] = _coerce(path, tp, value)
    return cls(**kwargs)


def apply_override(config: RunConfig, assignment: str) -> RunConfig:
    """Apply one `section.key=value` override (value parsed as YAML) and return a new, re-validated config."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected section.key=value, e.g. train.epochs=2")
    key, raw = assignment.split("=", 1)
    value = yaml.safe_load(raw) if raw.strip() else None
    return apply_values(config, {key.strip(): value})


def apply_values(config: RunConfig, values: dict[str, Any]) -> RunConfig:
    """Set dotted keys (`train.epochs`) on a copy of `config`, then re-validate every section."""
    tree = config.to_dict()
    for key, value in values.items():
        parts = key.split(".")
        node: Any = tree
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node, dict) or part not in node or not isinstance(node[part], dict):
                raise ConfigError(f"{key}: unknown section {'.'.join(parts[: i + 1])!r}; sections are {', '.join(k for k, v in tree.items() if isinstance(v, dict))}")
            node = node[part]
        if parts[-1] not in node:
            raise ConfigError(f"{key}: unknown key; valid keys are {', '.join(node)}")
        if isinstance(node[parts[-1]], dict):
            raise ConfigError(f"{key}: is a section; set one of its keys, e.g. {key}.{next(iter(node[parts[-1]]))}")
        node[parts[-1]] = value
    return build_config(tree)


def build_config(tree: dict[str, Any]) -> RunConfig:
    """Build and cross-check a RunConfig from a nested dict."""
    config = from_dict(RunConfig, tree)
    config.check()
    return config


def load_config(path: str | Path) -> RunConfig:
    """Read a YAML (or JSON) config file; errors name the file and the key."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    try:
        return build_config(tree)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def flatten(tree: dict[str, Any], sep: str = ".", prefix: str = "") -> dict[str, Any]:
    """{"train": {"epochs": 2}} -> {"train.epochs": 2} (nested dicts to dotted keys)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{sep}{key}" if prefix else key
        if isinstance(value, dict):
            out.update(flatten(value, sep, name))
        else:
            out[name] = value
    return out


def field_help(cls: type) -> dict[str, str]:
    """Help text of each field of a config dataclass."""
    return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}
