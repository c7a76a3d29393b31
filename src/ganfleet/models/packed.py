"""K networks of one architecture as one module: the base every architecture's pack builds on.

An architecture makes its networks packable by giving its classes a
`pack(networks, channels_last)` classmethod that returns a `PackedModule`
subclass written beside the architecture (its forward mirrors the network's),
and a `convolutional` class attribute (packs of conv nets run in the channels
layout and may use channels_last; see models/packed_layers.py). Nothing here
knows an architecture: `pack_networks` asks the network's own class.

A packed module copies the K networks' weights into stacked tensors;
`unpack()` gives back K state dicts and `write_back(modules)` copies the
packed weights into the K original modules. Pair k of a packed module
computes what original network k computes (to floating-point rounding):

    generators:     z (K, N, latent) [, labels (K, N)] -> samples (K, N, *sample_shape)
    discriminators: x (K, N, *sample_shape) [, labels (K, N)] -> logits (K, N)

Parameter and buffer names are those of the original networks, so optimiser
states map one to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol, cast

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganfleet.models.packed_layers import PackedChannelDropout, pack_layer


class PackedModule(nn.Module):
    """K pairs' tensors stacked, packed from and unpacked to K modules of one architecture.

    The children are the packed counterparts of the pairs' own, under the same names (added in
    __init__); subclasses declare the ones their forward uses.
    """

    embed: nn.Module  # conditional discriminators: the packed label embedding of the projection term

    def __init__(self, modules: Sequence[nn.Module], channels_last: bool) -> None:
        super().__init__()
        first = modules[0]
        self.n_pairs = len(modules)
        self.channels_last = channels_last
        self.n_classes = cast(int, first.n_classes)  # every pair network has its class count
        # Built on the meta device (no memory, no draw from the global RNG), then
        # allocated and filled with the pairs' own tensors.
        with torch.device("meta"):
            for name, _ in first.named_children():
                self.add_module(name, pack_layer([getattr(m, name) for m in modules]))
        reference = next(first.parameters())
        self.to_empty(device=reference.device)
        self.to(dtype=reference.dtype)
        if channels_last:
            self.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # torch's stubs lack it
        self.pair_shapes = {name: t.shape for name, t in first.state_dict().items()}
        self.load_pairs(modules)
        trained = [{name: p.requires_grad for name, p in m.named_parameters()} for m in modules]
        if any(t != trained[0] for t in trained):
            raise ValueError("cannot pack networks whose frozen parameters differ")
        for name, parameter in self.named_parameters():  # a pair's frozen layers (FreezeD) stay frozen packed
            parameter.requires_grad_(trained[0][name])

    def pair_view(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        """`tensor` (the packed parameter or buffer `name`, or a state of the same shape) as (K, *pair shape)."""
        return tensor.view((self.n_pairs, *self.pair_shapes[name]))

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

    def with_labels(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Pairs-first noise (K, N, latent) with the one-hot labels appended (unchanged when unconditional)."""
        if not self.n_classes:
            return z
        if labels is None:
            raise ValueError("these networks are conditional: pass labels (K, N)")
        return torch.cat([z, F.one_hot(labels, self.n_classes).to(z.dtype)], dim=-1)

    def project_labels(self, logits: torch.Tensor, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Pairs-first logits (K, N) plus the projection term <embed(y), h> of conditional discriminators."""
        if not self.n_classes:
            return logits
        if labels is None:
            raise ValueError("these networks are conditional: pass labels (K, N)")
        return logits + (self.embed(labels) * h).sum(dim=-1)


class Packable(Protocol):
    """A network class whose K instances can train as one module."""

    convolutional: ClassVar[bool]  # packs run in the channels layout (channels_last is an option)

    @classmethod
    def pack(cls, networks: Sequence[nn.Module], channels_last: bool) -> PackedModule: ...


def pack_networks(networks: Sequence[nn.Module], channels_last: bool = False) -> PackedModule:
    """K networks of one architecture and configuration as one module, built by the architecture's own `pack`."""
    first = networks[0]
    if any(type(m) is not type(first) for m in networks):
        raise ValueError(f"cannot pack networks of different types: {sorted({type(m).__name__ for m in networks})}")
    pack = getattr(type(first), "pack", None)
    if pack is None:
        raise ValueError(
            f"cannot pack a {type(first).__name__}: packable networks define pack() (see ganfleet.models.packed)"
        )
    return pack(networks, channels_last)


def is_convolutional(network: nn.Module) -> bool:
    """Whether packs of `network`'s architecture run in the channels layout (conv nets)."""
    return bool(getattr(type(network), "convolutional", False))
