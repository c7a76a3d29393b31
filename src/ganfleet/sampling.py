"""Routing noise and labels to the generator that produces each sample.

Shared by `Fleet.sample` and the training loop's sample grids, so both draw
samples the same way: class-parallel fleets send label k to pair k's
generator; a single (conditional or unconditional) pair takes every sample.
Generators run in eval mode (BatchNorm running statistics), so a sample does
not depend on the other samples in its batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn as nn

from ganfleet.strategies import Member


def default_member(members: Sequence[Member]) -> str | None:
    """None (route by label) when some members generate one class each, else the first member.

    Strategies list their preferred single generator first.
    """
    if any(m.label is not None for m in members):
        return None
    return members[0].name


@torch.no_grad()
def generate(
    generators: Mapping[str, nn.Module],
    members: Sequence[Member],
    z: torch.Tensor,
    labels: torch.Tensor | None,
    member: str | None = None,
) -> torch.Tensor:
    """Samples for noise `z` (N, latent) and `labels` (N,) (None only for unconditional members).

    `member` names one generator to use for every sample; None uses
    `default_member`: route by label to the one-class members, else the first.
    """
    by_name = {m.name: m for m in members}
    if member is None:
        member = default_member(members)
    if member is not None:
        if member not in by_name:
            raise KeyError(f"no member {member!r}; members are {', '.join(by_name)}")
        return _run(generators[member], z, labels if by_name[member].conditional else None)
    if labels is None:
        raise ValueError("this fleet has one generator per class: labels are needed")
    by_label = {m.label: m.name for m in members if m.label is not None}
    out: torch.Tensor | None = None
    for label in labels.unique().tolist():
        if label not in by_label:
            raise KeyError(f"no generator for label {label}")
        rows = (labels == label).nonzero().flatten()
        x = _run(generators[by_label[label]], z[rows], None)
        if out is None:
            out = torch.empty((len(z), *x.shape[1:]), dtype=x.dtype, device=x.device)
        out[rows] = x
    assert out is not None
    return out


def _run(generator: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    was_training = generator.training
    generator.eval()
    try:
        return generator(z, labels)
    finally:
        generator.train(was_training)
