"""Turning a strategy's members into trainable pairs (networks, optimisers, data, budget)."""

from __future__ import annotations

import math

import torch

from ganfleet.config import RunConfig, TrainConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.models import ModelSpec, build_pair
from ganfleet.train.pair import Member, Pair
from ganfleet.train.seeds import derive_seed
from ganfleet.train.stream import BatchStream

DEFAULT_EPOCHS = 5.0


def resolve_device(name: str) -> torch.device:
    """`auto` -> cuda when available, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def base_spec(config: RunConfig, dataset: ClassPartitionedDataset) -> ModelSpec:
    """The unconditional architecture for this config and data (members add conditioning)."""
    return ModelSpec(config.resolved_arch, dataset.sample_shape, config.model.latent_dim, config.model.width,
                     d_norm=config.resolved_d_norm)


def member_spec(spec: ModelSpec, member: Member, n_classes: int) -> ModelSpec:
    return spec.conditional(n_classes) if member.conditional else spec


def target_steps(cfg: TrainConfig, n_samples: int) -> int:
    """Generator steps for a pair with `n_samples` images: train.steps, or epochs over its own images."""
    if cfg.steps is not None:
        return cfg.steps
    epochs = cfg.epochs if cfg.epochs is not None else DEFAULT_EPOCHS
    return max(1, math.ceil(epochs * n_samples / (cfg.batch_size * cfg.critic_steps)))


def pair_seed(base_seed: int, member: Member) -> int:
    """A pair's seed: a function of the run seed and the member's name (its class) only."""
    return derive_seed(base_seed, member.name)


def make_pair(config: RunConfig, dataset: ClassPartitionedDataset, member: Member, device: torch.device) -> Pair:
    """A freshly initialised pair for `member`, its data on `device`."""
    cfg = config.train
    seed = pair_seed(cfg.seed, member)
    spec = member_spec(base_spec(config, dataset), member, dataset.n_classes)
    generator, discriminator = build_pair(spec, seed)
    generator.to(device)
    discriminator.to(device)
    index = torch.cat([dataset.class_index[c] for c in member.classes]).sort().values
    samples = dataset.samples[index].to(device)
    labels = dataset.labels[index].to(device) if member.conditional else None
    return Pair(
        member=member,
        generator=generator,
        discriminator=discriminator,
        opt_g=torch.optim.Adam(generator.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2)),
        opt_d=torch.optim.Adam(discriminator.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2)),
        stream=BatchStream(samples, labels, cfg.batch_size, derive_seed(seed, "data")),
        seed=seed,
        target_steps=target_steps(cfg, len(samples)),
    )
