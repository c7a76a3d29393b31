"""The sections of a run's configuration, each a dataclass with a help text per field.

    data      which images (or toy points), which split, how they are fitted
    model     architecture, width, noise size, discriminator normalisation
    train     strategy, batch size, seed, device, packing
    loss      adversarial loss, critic steps, penalty, clipping, LeCam
    augment   DiffAugment of what the discriminator sees
    ema       the generator's moving average
    optim     Adam learning rates and betas of G and D
    budget    how long each pair trains: epochs over its own images, or steps
    shared    a shared warm start: one unconditional pair on every class, then each class pair its copy
    cadence   ticks (log lines), sample grids, checkpoints
    sgan      the SGAN strategy's options
    eval      evaluation during training

Every choice of names comes from the registry that owns the concept, so an
unknown name is an error listing the valid ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal, cast

from ganfleet.config.fields import check_fields, check_positive, name_or_count, option
from ganfleet.config.names import ArchName, LossName, MixtureName, NormName, SourceName, StrategyName
from ganfleet.data.augment import parse_policy
from ganfleet.data.options import Fit, Split
from ganfleet.devices import parse_device
from ganfleet.errors import ConfigError
from ganfleet.losses import LOSSES
from ganfleet.models import MAX_SIDE, check_sizes

MAX_BATCH = 65_536  # images per batch per pair; more is a typo that would try to allocate it
MAX_TOY_PER_CLASS = 1_000_000


@dataclass
class DataConfig:
    """Where the images come from and how they are prepared."""

    name: SourceName = option("digits", "data source")
    path: str | None = option(
        None, "folder or file of the data (auto-found for fashion-mnist, mnist; required for imagefolder, npz, cifar*)"
    )
    split: Split = option("train", "which split to load")
    classes: list[int] | None = option(
        None, "train on this subset of class indices only (relabelled 0..k-1, names kept)"
    )
    max_per_class: int | None = option(None, "keep at most this many images per class (the first ones, deterministic)")
    image_size: int | None = option(
        None, "side length after fitting; default: next power of two >= the native size, at least 32"
    )
    fit: Fit = option(
        "resize", "how images reach image_size: resize (bilinear, as the paper's code) or pad (zero border)"
    )
    mixture: MixtureName = option("ring8", "toy data only: the mixture")
    toy_per_class: int = option(2000, "toy data only: points drawn per mixture component (class)")

    def __post_init__(self) -> None:
        if self.path:
            self.path = os.path.expanduser(self.path)
        check_fields(self, "data")
        check_positive("data.max_per_class", self.max_per_class, allow_none=True)
        check_positive("data.toy_per_class", self.toy_per_class)
        if self.image_size is not None and (
            not 32 <= self.image_size <= MAX_SIDE or self.image_size & (self.image_size - 1)
        ):
            raise ConfigError(f"data.image_size: expected a power of two from 32 to {MAX_SIDE}, got {self.image_size}")
        if self.toy_per_class > MAX_TOY_PER_CLASS:
            raise ConfigError(
                f"data.toy_per_class: expected at most {MAX_TOY_PER_CLASS} points, got {self.toy_per_class}"
            )
        if self.classes is not None and not self.classes:
            raise ConfigError("data.classes: empty; give at least one class index (or none of the flag: every class)")
        if self.classes is not None and len(set(self.classes)) != len(self.classes):
            raise ConfigError(f"data.classes: duplicate class indices in {self.classes}")


@dataclass
class ModelConfig:
    """Generator and discriminator architecture."""

    arch: ArchName = option(
        "auto",
        "paper (the paper's tables, BatchNorm eps 0.8), dcgan (the same with standard BatchNorm), "
        "sngan (SNGAN's standard CNN) or mlp (toy data); auto: mlp for toy data, paper otherwise",
    )
    width: float = option(
        1.0,
        "channel multiplier for the conv nets, hidden-unit multiplier (of 512) for the mlp; "
        "1.0 is the papers' width, 0.25 (--preset cpu) much faster on a CPU",
    )
    d_width_factor: float = option(1.0, "the discriminator's width as a multiple of model.width (1: the papers')")
    latent_dim: int = option(100, "noise dimension (the paper's 100)")
    d_norm: NormName = option(
        "auto",
        "conv discriminator normalisation after blocks 2-4: batch (the paper's BatchNorm), layer (per sample "
        "over C,H,W) or none; auto: none with a spectral-norm discriminator, layer for wgan and wgan-gp "
        "(BatchNorm would couple a critic's samples; models/dcgan.py says how), batch otherwise. "
        "The mlp has none.",
    )
    spectral_norm: Literal["none", "discriminator", "both"] = option(
        "none",
        "spectral normalisation (Miyato et al. 2018) of every conv, linear and embedding weight of the "
        "discriminator, or of both networks; none is the paper's",
    )
    d_dropout: float | None = option(
        None,
        "channel dropout after each discriminator block (the paper's 0.25); default 0.25, or 0 with a spectral-norm "
        "discriminator; the mlp has none",
    )

    def __post_init__(self) -> None:
        check_fields(self, "model")
        check_sizes(self.width, self.latent_dim)
        check_sizes(self.width * self.d_width_factor, self.latent_dim, where="model.d_width_factor")
        if self.d_dropout is not None and not 0.0 <= self.d_dropout < 1.0:
            raise ConfigError(f"model.d_dropout: expected a value in [0, 1), got {self.d_dropout}")


@dataclass
class TrainConfig:
    """Which strategy, with what batches, seed and device, and how pairs are executed."""

    strategy: StrategyName = option(
        "class-parallel",
        "gan: one unconditional pair on all data (DC-GAN); cgan: one conditional pair (DC-CGAN); class-parallel: one "
        "independent pair per class (distributed DC-CGAN); sgan: independent local pairs plus a global pair trained "
        "from them (SGAN)",
    )
    batch_size: int = option(64, "images per batch per pair")
    seed: int = option(
        0, "base seed; each pair's seed is derived from it and the pair's class, so results do not depend on scheduling"
    )
    device: str = option("auto", "cpu, cuda, cuda:N or auto (cuda when available)")
    pack: Literal["fast", "off", "auto"] | int = option(
        "fast",
        "how pairs are stepped, all with the same results up to rounding: fast (the path measured fastest for "
        "the device), off (one pair at a time), K (packs of at most K pairs) or auto (the fastest, timed at "
        "start-up). docs/packing.md says what each does.",
    )
    compile: bool = option(
        False,
        "torch.compile the networks being stepped (inductor; a CPU needs a C++ compiler), with the same results "
        "up to rounding. Compiling takes time at start-up; README and docs/packing.md have the measured cost and gain.",
    )
    threads: Literal["auto"] | int = option(
        "auto",
        "CPU threads of each process: auto (the cores not busy with other work when the run starts, shared among "
        "this node's ranks; OMP_NUM_THREADS wins when set) or a number",
    )

    def __post_init__(self) -> None:
        check_fields(self, "train")
        check_positive("train.batch_size", self.batch_size)
        if self.batch_size > MAX_BATCH:
            raise ConfigError(f"train.batch_size: expected at most {MAX_BATCH} images per batch, got {self.batch_size}")
        parse_device(self.device)
        pack = "off" if self.pack is False else self.pack  # YAML 1.1 reads a bare `off` as false
        self.pack = cast(
            'Literal["fast", "off", "auto"] | int',
            name_or_count(
                "train.pack", pack, ("fast", "off", "auto"), "fast, off, auto or a positive number of pairs per pack"
            ),
        )
        threads = name_or_count(
            "train.threads", self.threads, ("auto",), "auto or a number of threads from 1 to 1024", 1024
        )
        self.threads = cast('Literal["auto"] | int', threads)


@dataclass
class LossConfig:
    """The adversarial loss and its hyper-parameters."""

    name: LossName = option(
        "ns", "minimax, ns (non-saturating, the paper's), wgan (weight clipping), wgan-gp, hinge, dragan"
    )
    n_critic: int | None = option(
        None, "discriminator steps per generator step; default 5 for wgan and wgan-gp, 1 otherwise"
    )
    penalty_weight: float = option(10.0, "gradient-penalty weight lambda for wgan-gp and dragan")
    clip_value: float = option(0.01, "weight-clipping bound for wgan")
    lecam_weight: float = option(
        0.0,
        "LeCam regularisation weight (Tseng et al. 2021; 0: off, 0.3 in their BigGAN runs): pulls the "
        "discriminator's scores towards running averages of its scores on the other kind of image, "
        "against overfitting small data",
    )
    diversity_weight: float = option(
        0.0,
        "weight of MSGAN's mode-seeking term in the generator's loss (Mao et al. 2019; 0: off): pushes "
        "images of different noise apart, against mode collapse",
    )

    def __post_init__(self) -> None:
        check_fields(self, "loss")
        check_positive("loss.n_critic", self.n_critic, allow_none=True)
        check_positive("loss.penalty_weight", self.penalty_weight)
        check_positive("loss.clip_value", self.clip_value)
        for name in ("lecam_weight", "diversity_weight"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"loss.{name}: expected a number >= 0, got {getattr(self, name)}")

    @property
    def critic_steps(self) -> int:
        """Discriminator updates per generator update."""
        return self.n_critic if self.n_critic is not None else LOSSES[self.name].n_critic


@dataclass
class OptimConfig:
    """Adam for the generator and the discriminator."""

    lr_g: float = option(2e-4, "generator Adam learning rate")
    lr_d: float = option(2e-4, "discriminator Adam learning rate")
    beta1: float = option(0.5, "Adam beta1")
    beta2: float = option(0.999, "Adam beta2")

    def __post_init__(self) -> None:
        check_fields(self, "optim")
        check_positive("optim.lr_g", self.lr_g)
        check_positive("optim.lr_d", self.lr_d)
        for key in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, key) < 1.0:
                raise ConfigError(f"optim.{key}: expected a value in [0, 1), got {getattr(self, key)}")


@dataclass
class AugmentConfig:
    """DiffAugment (Zhao et al. 2020): random differentiable transformations of every image the discriminator sees."""

    policy: str = option(
        "none",
        "comma-separated operations: color (brightness, contrast; saturation for RGB), translation (up to 1/8 of the "
        "side), cutout (a square of half the side); none: no augmentation",
    )

    def __post_init__(self) -> None:
        check_fields(self, "augment")
        try:
            parse_policy(self.policy)
        except ValueError as exc:
            raise ConfigError(f"augment.policy: {exc}") from None


@dataclass
class EmaConfig:
    """The generator's exponential moving average (as StyleGAN2-ADA's), which fleets sample from."""

    kimg: float = option(0.0, "half-life of the average in thousands of images (0: no EMA); StyleGAN2-ADA's ema_kimg")
    rampup: float | None = option(
        0.05, "the half-life is at most this share of the images seen so far (StyleGAN2-ADA's ema_rampup; null: none)"
    )

    def __post_init__(self) -> None:
        check_fields(self, "ema")
        if self.kimg < 0:
            raise ConfigError(f"ema.kimg: expected >= 0, got {self.kimg}")
        check_positive("ema.rampup", self.rampup, allow_none=True)


@dataclass
class BudgetConfig:
    """How long each pair trains: one of epochs, steps or kimg (setting one, e.g. by a flag over a config file, clears
    the others).
    """

    epochs: float | None = option(
        None, "budget in passes over each pair's own images (default 5 when neither steps nor kimg is given)"
    )
    steps: int | None = option(None, "budget in generator steps per pair")
    kimg: float | None = option(
        None,
        "budget in thousands of real images each pair's discriminator sees (steps = ceil(1000 kimg / (batch "
        "n_critic)))",
    )

    classes: list[int] | None = option(
        None,
        "the classes whose pairs this budget is for, on --resume of a class-parallel run (train them further); the "
        "other pairs keep the budgets and checkpoints they have (`train --resume --classes 5 --steps 1200`)",
    )
    allocate: Literal["equal", "adaptive"] = option(
        "equal",
        "equal: every class pair the same budget; adaptive: after adaptive_after of it, the steps left of the "
        "fleet's total go to the classes whose per-class FID (canonical classifier, eval.n samples) is worst",
    )
    adaptive_after: float = option(
        0.5, "the share of the equal budget every class pair trains before the rest is shared out"
    )

    KEYS = ("epochs", "steps", "kimg")  # the ways to give a budget, of which one is used

    def __post_init__(self) -> None:
        check_fields(self, "budget")
        check_positive("budget.epochs", self.epochs, allow_none=True)
        check_positive("budget.steps", self.steps, allow_none=True)
        check_positive("budget.kimg", self.kimg, allow_none=True)
        given = [k for k in self.KEYS if getattr(self, k) is not None]
        if len(given) > 1:
            raise ConfigError(f"budget: give one of epochs, steps or kimg, got {' and '.join(given)}")
        if not 0 < self.adaptive_after < 1:
            raise ConfigError(f"budget.adaptive_after: expected a share in (0, 1), got {self.adaptive_after}")
        if self.classes is not None and not self.classes:
            raise ConfigError("budget.classes: empty; give the class indices to train further")


@dataclass
class SharedConfig:
    """A shared warm start: one pair trains on every class first, then each class pair starts as its copy
    (transfer learning for GANs, Transitional-cGAN) and trains on its class alone. The shared pair is
    unconditional, or conditioned on the label (`conditional`)."""

    kimg: float = option(
        0.0, "thousands of real images the shared pair trains on all classes first (0: no warm start; class-parallel)"
    )
    optimizer: Literal["copy", "reset"] = option(
        "copy", "a class pair's Adam state after the fork: the shared pair's (copy) or a fresh one (reset)"
    )
    conditional: bool = option(
        False,
        "the warm start's pair is conditioned on the label (a DC-CGAN on every class); each class pair starts as "
        "it with its own label fixed, folded into G's first layer and D's projection head",
    )
    freeze_d: int = option(
        0,
        "FreezeD (Mo et al. 2020): the class pairs keep the warm start's first N discriminator layers "
        "(conv or linear, with the norms after them) fixed and train the rest (0: every layer trains)",
    )

    def __post_init__(self) -> None:
        check_fields(self, "shared")
        if self.kimg < 0:
            raise ConfigError(f"shared.kimg: expected >= 0 (0: no warm start), got {self.kimg}")
        if self.freeze_d < 0:
            raise ConfigError(f"shared.freeze_d: expected >= 0 (0: none frozen), got {self.freeze_d}")


@dataclass
class CadenceConfig:
    """How often the training loop logs, draws sample grids and checkpoints (in iterations)."""

    log_every: int = option(50, "iterations between log lines (a tick)")
    grid_every: int = option(500, "iterations between sample-grid PNGs (0: only at the end)")
    checkpoint_every: int = option(500, "iterations between per-pair checkpoints (0: only when a pair finishes)")
    keep_checkpoints: int = option(
        2, "checkpoints kept per pair (older ones deleted); >= 2 so a corrupt newest one can fall back"
    )

    def __post_init__(self) -> None:
        check_fields(self, "cadence")
        check_positive("cadence.log_every", self.log_every)
        for key in ("grid_every", "checkpoint_every"):
            if getattr(self, key) < 0:
                raise ConfigError(f"cadence.{key}: expected >= 0, got {getattr(self, key)}")
        if self.keep_checkpoints < 2:
            raise ConfigError(
                f"cadence.keep_checkpoints: expected >= 2 (a fallback is needed), got {self.keep_checkpoints}"
            )


@dataclass
class SganConfig:
    """Options of the sgan strategy (unused by the others)."""

    locals: int | None = option(
        None,
        "number of local pairs, each on all data (default 5); with split_by_class there is one per class, leave it "
        "unset",
    )
    split_by_class: bool = option(
        False, "one local pair per class (class-parallel locals) and a global pair conditioned on the label"
    )
    messenger_steps: int | None = option(
        None,
        "I_D, updates of each messenger discriminator against the global generator per iteration (default: the "
        "loss's critic steps)",
    )
    share_weights: bool = option(
        False,
        "the local generators share their data-side layers, as do the local discriminators (about half the "
        "parameters for the mlp; N-SW-GAN)",
    )
    g0_against: Literal["messengers", "messengers-and-d0", "d0"] = option(
        "messengers",
        "what G_0 trains against: its messengers only (Algorithm 1), or its messengers and D_0, D_0 then judging "
        "G_0's own samples instead of the locals' (a discriminator that persists across iterations, so G_0 cannot "
        "settle on one image per class); d0: D_0 alone, no messengers (a control)",
    )

    def __post_init__(self) -> None:
        check_fields(self, "sgan")
        check_positive("sgan.locals", self.locals, allow_none=True)
        check_positive("sgan.messenger_steps", self.messenger_steps, allow_none=True)
        if self.split_by_class and self.locals is not None:
            raise ConfigError("sgan.locals: split_by_class makes one local pair per class; leave locals unset")

    def is_default(self) -> bool:
        return self == SganConfig()


@dataclass
class EvalConfig:
    """Evaluation during training: an FID/IS curve logged to metrics.jsonl (`ganfleet evaluate` plots it)."""

    every: int = option(
        0,
        "iterations between quick evaluations during training (0: none); each appends {step, eval: {fid, kid, is, "
        "...}} to metrics.jsonl",
    )
    n: int = option(2000, "generated samples per evaluation during training (a full `ganfleet evaluate` uses 10,000)")
    classifier: str | None = option(
        None, "domain classifier folder; default: the cache entry for this data, trained once if missing"
    )
    member: str | None = option(
        None,
        "sample from this member's generator only (e.g. global: sgan's global generator); default: the fleet's routing",
    )

    def __post_init__(self) -> None:
        check_fields(self, "eval")
        if self.every < 0:
            raise ConfigError(f"eval.every: expected >= 0, got {self.every}")
        if self.n < 10:
            raise ConfigError(f"eval.n: expected at least 10 samples (IS uses 10 splits), got {self.n}")
