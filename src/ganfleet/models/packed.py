"""K generators (or K discriminators) of one architecture as one module.

`PackedGenerator(generators)` and `PackedDiscriminator(discriminators)` copy
the K networks' weights into stacked tensors (see models/packed_layers.py for
the layouts); `unpack()` gives back K state dicts, and `write_back(modules)`
copies the packed weights into the K original modules. Pair k of a packed
module computes what original network k computes (to floating-point rounding):

    PackedGenerator:     z (K, N, latent) [, labels (K, N)] -> samples (K, N, *sample_shape)
    PackedDiscriminator: x (K, N, *sample_shape) [, labels (K, N)] -> logits (K, N)

Parameter and buffer names are those of the original networks, so optimiser
states map one to one. Supported: the paper/dcgan conv nets and the toy MLPs,
conditional or not.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganfleet.models.dcgan import Discriminator, Generator
from ganfleet.models.mlp import MLPDiscriminator, MLPGenerator
from ganfleet.models.packed_layers import PackedChannelDropout, from_channels, pack_layer, to_channels


class PackedModule(nn.Module):
    """Base of the packed networks: K pairs' tensors stacked, packed from and unpacked to K modules."""

    def __init__(self, modules: Sequence[nn.Module], channels_last: bool) -> None:
        super().__init__()
        first = modules[0]
        if any(type(m) is not type(first) for m in modules):
            raise ValueError(f"cannot pack networks of different types: {sorted({type(m).__name__ for m in modules})}")
        self.n_pairs = len(modules)
        self.channels_last = channels_last
        self.n_classes = first.n_classes
        # Built on the meta device (no memory, no draw from the global RNG), then
        # allocated and filled with the pairs' own tensors.
        with torch.device("meta"):
            for name, child in first.named_children():
                self.add_module(name, pack_layer([getattr(m, name) for m in modules]))
        reference = next(first.parameters())
        self.to_empty(device=reference.device)
        self.to(dtype=reference.dtype)
        if channels_last:
            self.to(memory_format=torch.channels_last)
        self.pair_shapes = {name: t.shape for name, t in first.state_dict().items()}
        self.load_pairs(modules)

    def pair_view(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        """`tensor` (the packed parameter or buffer `name`, or a state of the same shape) as (K, *pair shape)."""
        return tensor.view((self.n_pairs,) + tuple(self.pair_shapes[name]))

    @torch.no_grad()
    def load_pairs(self, modules: Sequence[nn.Module]) -> None:
        """Copy K modules' parameters and buffers into the packed tensors."""
        states = [m.state_dict() for m in modules]
        for name, tensor in self.state_dict(keep_vars=True).items():
            values = [s[name] for s in states]
            if tensor.ndim == 0:  # a counter such as BatchNorm's num_batches_tracked: one value for all
                if any(not torch.equal(v, values[0]) for v in values):
                    raise ValueError(f"cannot pack {name}: the pairs differ ({[int(v) for v in values]})")
                tensor.copy_(values[0])
            else:
                self.pair_view(name, tensor).copy_(torch.stack(values))

    @torch.no_grad()
    def unpack(self) -> list[dict[str, torch.Tensor]]:
        """K state dicts (fresh contiguous tensors), one per original module."""
        out: list[dict[str, torch.Tensor]] = [{} for _ in range(self.n_pairs)]
        for name, tensor in self.state_dict().items():
            for k in range(self.n_pairs):
                value = tensor if tensor.ndim == 0 else self.pair_view(name, tensor)[k]
                out[k][name] = value.clone(memory_format=torch.contiguous_format)
        return out

    @torch.no_grad()
    def write_back(self, modules: Sequence[nn.Module]) -> None:
        """Copy the packed tensors into the K original modules (in place: optimisers keep their parameters)."""
        for module, state in zip(modules, self.unpack(), strict=True):
            for name, tensor in module.state_dict(keep_vars=True).items():
                tensor.copy_(state[name])

    def set_generators(self, generators: Sequence[torch.Generator] | None) -> None:
        """Draw pair k's dropout masks from `generators[k]` (None: torch's global RNG)."""
        if generators is not None and len(generators) != self.n_pairs:
            raise ValueError(f"expected {self.n_pairs} generators, got {len(generators)}")
        for m in self.modules():
            if isinstance(m, PackedChannelDropout):
                m.generators = generators

    def _with_labels(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if not self.n_classes:
            return z
        if labels is None:
            raise ValueError("these networks are conditional: pass labels (K, N)")
        return torch.cat([z, F.one_hot(labels, self.n_classes).to(z.dtype)], dim=-1)


class PackedGenerator(PackedModule):
    """K generators (dcgan `Generator` or `MLPGenerator`) as one module."""

    def __init__(self, generators: Sequence[nn.Module], channels_last: bool = False) -> None:
        first = generators[0]
        if not isinstance(first, (Generator, MLPGenerator)):
            raise ValueError(f"cannot pack a {type(first).__name__}; packable generators: Generator, MLPGenerator")
        super().__init__(generators, channels_last)
        self.latent_dim = first.latent_dim
        self.image_layout = (first.c1, first.init_size, first.init_size) if isinstance(first, Generator) else None

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = self._with_labels(z, labels)
        if self.image_layout is None:
            return self.net(z)
        k, n = z.shape[:2]
        h = self.project(z).view(k, n, *self.image_layout)
        return from_channels(self.blocks(to_channels(h, self.channels_last)), self.n_pairs)


class PackedDiscriminator(PackedModule):
    """K discriminators (dcgan `Discriminator` or `MLPDiscriminator`) as one module."""

    def __init__(self, discriminators: Sequence[nn.Module], channels_last: bool = False) -> None:
        first = discriminators[0]
        if not isinstance(first, (Discriminator, MLPDiscriminator)):
            raise ValueError(f"cannot pack a {type(first).__name__}; packable discriminators: Discriminator, MLPDiscriminator")
        super().__init__(discriminators, channels_last)
        self.convolutional = isinstance(first, Discriminator)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.convolutional:
            h = from_channels(self.blocks(to_channels(x, self.channels_last)), self.n_pairs).flatten(2)
        else:
            h = self.trunk(x)
        out = self.head(h).squeeze(-1)
        if self.n_classes:
            if labels is None:
                raise ValueError("these networks are conditional: pass labels (K, N)")
            out = out + (self.embed(labels) * h).sum(dim=-1)
        return out
