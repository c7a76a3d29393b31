"""Training K pairs as one: packed networks, one optimiser each for G and D, the packed step.

A `PairPack` takes K pairs of one architecture at one step, packs their
generators, discriminators and Adam states, and steps all K at once with
`packed_adversarial_step`, which mirrors `adversarial_step` line for line:

- each pair's noise, dropout masks and penalty points are drawn from its own
  generator seeded by (pair seed, step), in the order `adversarial_step` draws
  them from the global RNG, so pair k sees the same random numbers either way;
- the K losses are summed, not averaged: the pairs share no parameter, so the
  gradient of the sum with respect to pair k's weights is pair k's own gradient;
- Adam (any elementwise optimiser) over the packed tensors makes, element by
  element, the update K separate Adams make, since all K pairs of a pack are at
  the same step (their bias corrections agree).

`write_back()` copies weights and optimiser states into each Pair's own modules
and optimisers, so checkpoints, grids and the fleet artifact stay per pair.
`PackedPairs` keeps the packs of a run and rebuilds a pack when one of its
pairs reaches its budget (a pair must not move once done: Adam with a zero
gradient would still change its weights).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch.func import vmap

from ganfleet.models.packed import PackedDiscriminator, PackedGenerator, PackedModule
from ganfleet.losses import gradient_norm_penalty
from ganfleet.train.pair import Pair, StepRule
from ganfleet.train.seeds import step_generator


def pack_optimizer(optimizers: Sequence[torch.optim.Optimizer], modules: Sequence[torch.nn.Module],
                   packed: PackedModule) -> torch.optim.Optimizer:
    """One optimiser of the same type and hyper-parameters over `packed`, holding the K optimisers' states.

    Per-parameter states shaped like the parameter (Adam's moments) are stacked;
    scalar states (Adam's step) must agree across the pairs and are shared.
    """
    groups = [o.param_groups for o in optimizers]
    hyper = [{k: v for k, v in g[0].items() if k != "params"} for g in groups]
    if any(len(g) != 1 for g in groups) or any(h != hyper[0] for h in hyper):
        raise ValueError("cannot pack optimisers with several parameter groups or different hyper-parameters")
    opt = type(optimizers[0])(packed.parameters(), **optimizers[0].defaults)
    opt.param_groups[0].update(hyper[0])
    params = [dict(m.named_parameters()) for m in modules]
    for name, tensor in packed.named_parameters():
        states = [o.state.get(p[name], {}) for o, p in zip(optimizers, params)]
        if not any(states):
            continue
        packed_state = {}
        for key, value in states[0].items():
            values = [s.get(key) for s in states]
            if any(v is None for v in values):
                raise ValueError(f"cannot pack optimiser state {name}.{key}: some pairs have none")
            if torch.is_tensor(value) and value.shape == params[0][name].shape:
                packed_state[key] = torch.empty_like(tensor)
                packed.pair_view(name, packed_state[key]).copy_(torch.stack(values))
            elif all(torch.equal(torch.as_tensor(v), torch.as_tensor(value)) for v in values):
                packed_state[key] = value.clone() if torch.is_tensor(value) else value
            else:
                raise ValueError(f"cannot pack optimiser state {name}.{key}: the pairs differ (pairs at different steps?)")
        opt.state[tensor] = packed_state
    return opt


def unpack_optimizer(opt: torch.optim.Optimizer, packed: PackedModule, optimizers: Sequence[torch.optim.Optimizer],
                     modules: Sequence[torch.nn.Module]) -> None:
    """Write the packed optimiser's states into the K optimisers (fresh tensors, each pair's own)."""
    for k, (o, m) in enumerate(zip(optimizers, modules, strict=True)):
        params = dict(m.named_parameters())
        for name, tensor in packed.named_parameters():
            state = opt.state.get(tensor)
            if not state:
                continue
            o.state[params[name]] = {
                key: (packed.pair_view(name, v)[k].clone(memory_format=torch.contiguous_format)
                      if torch.is_tensor(v) and v.shape == tensor.shape and v.ndim > 0
                      else (v.clone() if torch.is_tensor(v) else v))
                for key, v in state.items()
            }


class PairPack:
    """K pairs at one step trained through packed networks and one optimiser per side."""

    def __init__(self, pairs: Sequence[Pair], channels_last: bool) -> None:
        self.pairs = list(pairs)
        if len({p.step for p in self.pairs}) != 1:
            raise ValueError("a pack holds pairs at the same step (their Adam bias corrections must agree)")
        gens, discs = [p.generator for p in self.pairs], [p.discriminator for p in self.pairs]
        self.generator = PackedGenerator(gens, channels_last)
        self.discriminator = PackedDiscriminator(discs, channels_last)
        self.opt_g = pack_optimizer([p.opt_g for p in self.pairs], gens, self.generator)
        self.opt_d = pack_optimizer([p.opt_d for p in self.pairs], discs, self.discriminator)

    def write_back(self) -> None:
        """Make every pair's own modules and optimisers current."""
        gens, discs = [p.generator for p in self.pairs], [p.discriminator for p in self.pairs]
        self.generator.write_back(gens)
        self.discriminator.write_back(discs)
        unpack_optimizer(self.opt_g, self.generator, [p.opt_g for p in self.pairs], gens)
        unpack_optimizer(self.opt_d, self.discriminator, [p.opt_d for p in self.pairs], discs)

    def real_batch(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Batch `index` of every pair's stream, stacked: (K, N, ...) and labels (K, N) or None."""
        batches = [p.stream.batch(index) for p in self.pairs]
        labels = [y for _, y in batches]
        return torch.stack([x for x, _ in batches]), (torch.stack(labels) if labels[0] is not None else None)


def packed_adversarial_step(pack: PairPack, rule: StepRule) -> dict[str, dict[str, torch.Tensor]]:
    """`adversarial_step` for every pair of `pack` at once; returns per-pair detached scalars."""
    step = pack.pairs[0].step
    g, d = pack.generator, pack.discriminator
    device = next(g.parameters()).device
    rngs = [step_generator(p.seed, p.step, device) for p in pack.pairs]
    d.set_generators(rngs)
    for i in range(rule.n_critic):
        real, labels = pack.real_batch(step * rule.n_critic + i)
        z = torch.stack([torch.randn(real.shape[1], g.latent_dim, device=device, dtype=real.dtype, generator=r) for r in rngs])
        if i == rule.n_critic - 1:
            fake = g(z, labels)  # kept with its graph for the generator update below
        else:
            with torch.no_grad():
                fake = g(z, labels)
        d_real = d(real, labels)
        d_fake = d(fake.detach(), labels)
        d_loss = vmap(rule.loss.discriminator)(d_real, d_fake)
        if rule.loss.penalty is not None:
            sampler = rule.loss.penalty.points
            points = torch.stack([sampler(real[k], fake[k].detach(), r) for k, r in enumerate(rngs)])
            d_loss = d_loss + rule.penalty_weight * gradient_norm_penalty(lambda x: d(x, labels), points, sample_dims=2)
        pack.opt_d.zero_grad(set_to_none=True)
        d_loss.sum().backward()
        pack.opt_d.step()
        if rule.loss.clips_weights:
            with torch.no_grad():
                for p in d.parameters():
                    p.clamp_(-rule.clip_value, rule.clip_value)
    d.requires_grad_(False)  # the generator update needs no discriminator gradients
    g_loss = vmap(rule.loss.generator)(d(fake, labels))
    pack.opt_g.zero_grad(set_to_none=True)
    g_loss.sum().backward()
    pack.opt_g.step()
    d.requires_grad_(True)
    d.set_generators(None)
    d_loss, g_loss = d_loss.detach(), g_loss.detach()
    d_real, d_fake = d_real.detach().mean(dim=1), d_fake.detach().mean(dim=1)
    out = {}
    for k, pair in enumerate(pack.pairs):
        pair.step += 1
        out[pair.name] = {"d_loss": d_loss[k], "g_loss": g_loss[k], "d_real": d_real[k], "d_fake": d_fake[k]}
    return out


def pack_key(pair: Pair) -> tuple:
    """Pairs with equal keys can share a pack: same networks, optimiser settings, batch size and step."""
    hyper = [{k: v for k, v in o.param_groups[0].items() if k != "params"} for o in (pair.opt_g, pair.opt_d)]
    return (repr(pair.generator), repr(pair.discriminator), repr(hyper), pair.stream.batch_size, pair.step,
            next(pair.generator.parameters()).device, pair.stream.labels is not None)


def group_pairs(pairs: Sequence[Pair], size: int) -> list[list[Pair]]:
    """`pairs` split into packs of at most `size` compatible pairs, in order."""
    by_key: dict[tuple, list[Pair]] = {}
    for pair in pairs:
        by_key.setdefault(pack_key(pair), []).append(pair)
    return [group[i : i + size] for group in by_key.values() for i in range(0, len(group), size)]


class PackedPairs:
    """Steps a run's pairs in packs of at most `size`; a pack whose pair is done is written back and rebuilt."""

    def __init__(self, size: int, channels_last: bool) -> None:
        if size < 1:
            raise ValueError(f"pack size must be >= 1, got {size}")
        self.size = size
        self.channels_last = channels_last
        self.packs: list[PairPack] = []

    def step(self, due: Sequence[Pair], rule: StepRule) -> dict[str, dict[str, torch.Tensor]]:
        self._regroup(due)
        out: dict[str, dict[str, torch.Tensor]] = {}
        for pack in self.packs:
            out.update(packed_adversarial_step(pack, rule))
        return {p.name: out[p.name] for p in due}

    def sync(self) -> None:
        for pack in self.packs:
            pack.write_back()

    def _regroup(self, due: Sequence[Pair]) -> None:
        due_ids = {id(p) for p in due}
        kept = []
        for pack in self.packs:
            if all(id(p) in due_ids for p in pack.pairs):
                kept.append(pack)
            else:
                pack.write_back()  # its pairs that are still due are repacked below
        packed = {id(p) for pack in kept for p in pack.pairs}
        loose = [p for p in due if id(p) not in packed]
        self.packs = kept + [PairPack(group, self.channels_last) for group in group_pairs(loose, self.size)]
