"""Turning a strategy's members into trainable pairs (networks, optimisers, data, budget), and the step rule."""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from ganfleet import smoke
from ganfleet.config import RunConfig
from ganfleet.data.augment import DiffAugment, parse_policy
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.data.stream import BatchStream
from ganfleet.losses import get_loss
from ganfleet.models import ModelSpec, build_pair, freeze_leading_layers
from ganfleet.models.anchors import ScoreAnchors
from ganfleet.pairs.ema import EmaRule, ema_copy
from ganfleet.pairs.pair import Pair
from ganfleet.pairs.step import StepRule
from ganfleet.seeds import derive_seed
from ganfleet.strategies import Member

DEFAULT_EPOCHS = 5.0


def base_spec(config: RunConfig, dataset: ClassPartitionedDataset) -> ModelSpec:
    """The unconditional architecture for this config and data (members add conditioning)."""
    return ModelSpec(
        config.resolved_arch,
        dataset.sample_shape,
        config.model.latent_dim,
        config.model.width,
        d_norm=config.resolved_d_norm,
        spectral_norm=config.model.spectral_norm,
        d_dropout=config.resolved_d_dropout,
        d_width_factor=config.model.d_width_factor,
    )


def member_spec(spec: ModelSpec, member: Member, n_classes: int) -> ModelSpec:
    return spec.conditional(n_classes) if member.conditional else spec


def images_per_step(config: RunConfig) -> int:
    """Real images a pair's discriminator sees per generator step."""
    return config.train.batch_size * config.loss.critic_steps


def target_steps(config: RunConfig, n_samples: int) -> int:
    """Generator steps for a pair with `n_samples` images: budget.steps, kimg, or epochs over its own images."""
    budget = config.budget
    if budget.steps is not None:
        steps = budget.steps
    elif budget.kimg is not None:
        steps = max(1, math.ceil(1000 * budget.kimg / images_per_step(config)))
    else:
        epochs = budget.epochs if budget.epochs is not None else DEFAULT_EPOCHS
        steps = max(1, math.ceil(epochs * n_samples / images_per_step(config)))
    return steps


def capped_budget(config: RunConfig, limit: int | None) -> RunConfig:
    """`config` with a budget of at most `limit` generator steps per pair (None: unchanged).

    GANFLEET_SMOKE's limit (`smoke.limit`), applied once where a command builds
    its run config: a budget in epochs depends on the data, so any is capped.
    """
    budget = config.budget
    if limit is None:
        return config
    if shared_steps(config) > limit:
        smoke.say("shared warm-start steps", limit, shared_steps(config))
        config = replace(config, shared=replace(config.shared, kimg=limit * images_per_step(config) / 1000))
    if budget.steps is not None or budget.kimg is not None:
        steps = target_steps(config, 0)
        if steps <= limit:
            return config
        smoke.say("steps per pair", limit, steps)
    else:
        smoke.say("steps per pair", limit, f"{budget.epochs or DEFAULT_EPOCHS:g} epochs")
    return replace(config, budget=replace(budget, epochs=None, kimg=None, steps=limit))


def shared_steps(config: RunConfig) -> int:
    """Generator steps of the shared warm start (`shared.kimg`; 0: none)."""
    kimg = config.shared.kimg
    return max(1, math.ceil(1000 * kimg / images_per_step(config))) if kimg > 0 else 0


def pair_seed(base_seed: int, member: Member) -> int:
    """A pair's seed: a function of the run seed and the member's name (its class) only."""
    return derive_seed(base_seed, member.name)


def step_rule(config: RunConfig, sample_shape: tuple[int, ...] | None = None) -> StepRule:
    """The adversarial step the config asks for (loss, augmentation, LeCam, EMA); `sample_shape` sizes the
    augmentation.
    """
    loss = config.loss
    operations = parse_policy(config.augment.policy)
    augment = None
    if operations:
        if sample_shape is None or len(sample_shape) != 3:
            raise ValueError(
                f"augment.policy {config.augment.policy!r} needs the images' (C, H, W), got {sample_shape}"
            )
        augment = DiffAugment(operations, sample_shape[0], sample_shape[-1])
    ema = EmaRule(config.ema.kimg, config.ema.rampup) if config.ema.kimg > 0 else None
    return StepRule(
        get_loss(loss.name),
        loss.critic_steps,
        loss.penalty_weight,
        loss.clip_value,
        augment=augment,
        lecam_weight=loss.lecam_weight,
        ema=ema,
        diversity_weight=loss.diversity_weight,
    )


def make_pair(config: RunConfig, dataset: ClassPartitionedDataset, member: Member, device: torch.device) -> Pair:
    """A freshly initialised pair for `member`, its data on `device`."""
    seed = pair_seed(config.train.seed, member)
    spec = member_spec(base_spec(config, dataset), member, dataset.n_classes)
    generator, discriminator = build_pair(spec, seed)
    if member.label is not None and config.shared.kimg:  # a class pair forked from the warm start
        freeze_leading_layers(discriminator, config.shared.freeze_d)
    if config.loss.lecam_weight:
        discriminator.add_module("lecam_anchors", ScoreAnchors())
    generator.to(device)
    discriminator.to(device)
    index = torch.cat([dataset.class_index[c] for c in member.classes]).sort().values
    samples = dataset.samples[index].to(device)
    labels = dataset.labels[index].to(device) if member.conditional else None
    optim = config.optim
    return Pair(
        generator=generator,
        discriminator=discriminator,
        opt_g=torch.optim.Adam(generator.parameters(), lr=optim.lr_g, betas=(optim.beta1, optim.beta2)),
        opt_d=torch.optim.Adam(discriminator.parameters(), lr=optim.lr_d, betas=(optim.beta1, optim.beta2)),
        member=member,
        stream=BatchStream(samples, labels, config.train.batch_size, derive_seed(seed, "data")),
        seed=seed,
        target_steps=target_steps(config, len(samples)),
        ema=ema_copy(generator) if config.ema.kimg > 0 else None,
    )
