"""Layers of K pairs in one: the packed counterpart of each layer type the pair networks use.

Two layouts carry the activations of K pairs with batch N:

- *pairs-first* (K, N, F) for fully connected layers: a batched matmul over a
  stacked (K, out, in) weight;
- *channels* (N, K*C, H, W) for convolutional layers: pair k owns channels
  [k*C, (k+1)*C). A grouped convolution (groups=K) keeps the pairs apart,
  BatchNorm over K*C channels gives each pair its own batch statistics
  (each channel's mean and variance are taken over that pair's N samples only),
  GroupNorm with K*G groups keeps each pair's G groups whole (the critics'
  LayerNorm is GroupNorm(1, C)),
  channel dropout draws pair k's mask from pair k's generator, and Upsample and
  activations act per channel anyway. Optionally channels_last in memory (on
  CPU oneDNN's grouped convolutions are much faster there, see docs/packing.md).

Every packed parameter and buffer `t` holds the K originals stacked on a new
leading axis, `t.view(K, *original.shape)[k]` being pair k's tensor; that one
rule packs and unpacks weights and optimiser states alike.

`PACKED_LAYERS` maps a layer type to the function building its packed
counterpart; supporting a new layer type is one
entry here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar, cast

import torch
import torch.nn as nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import (
    _SpectralNorm,
)  # torch's spectral-norm parametrization (it has no public name)

from ganfleet.models.anchors import ScoreAnchors
from ganfleet.models.dropout import ChannelDropout, channel_dropout_mask
from ganfleet.models.spectral import pack_spectral_norms


def to_channels(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """(K, N, C, H, W) -> (N, K*C, H, W), pair k in channels [k*C, (k+1)*C); a view when the memory allows."""
    k, n, c, h, w = x.shape
    if channels_last:
        return x.permute(1, 3, 4, 0, 2).reshape(n, h, w, k * c).permute(0, 3, 1, 2)
    return x.transpose(0, 1).reshape(n, k * c, h, w)


def from_channels(x: torch.Tensor, n_pairs: int) -> torch.Tensor:
    """(N, K*C, H, W) -> (K, N, C, H, W), a view."""
    kc = x.shape[1]
    return x.unflatten(1, (n_pairs, kc // n_pairs)).transpose(0, 1)


class PackedLinear(nn.Module):
    """K linear layers: (K, N, in) -> (K, N, out) with weight (K, out, in) and bias (K, out)."""

    def __init__(self, n_pairs: int, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.n_pairs, self.in_features, self.out_features = n_pairs, in_features, out_features
        self.weight = nn.Parameter(torch.empty(n_pairs, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(n_pairs, out_features)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bias is None:
            return torch.bmm(x, self.weight.transpose(1, 2))
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight.transpose(1, 2))

    def extra_repr(self) -> str:
        return (
            f"pairs={self.n_pairs}, in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class PackedEmbedding(nn.Module):
    """K embedding tables: labels (K, N) -> (K, N, dim) with weight (K, num_embeddings, dim)."""

    def __init__(self, n_pairs: int, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_pairs, num_embeddings, embedding_dim))

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        weight = self.weight  # read once: a parametrized weight (spectral norm) steps its power iteration per read
        pairs = torch.arange(weight.shape[0], device=labels.device).unsqueeze(1)
        return weight[pairs, labels]


class PackedChannelDropout(nn.Module):
    """Channel dropout of K pairs in the channels layout; pair k's mask comes from `generators[k]`.

    With `generators` None the masks come from torch's global RNG (still a
    valid dropout, but not the draws the pairs would make on their own).
    """

    def __init__(self, n_pairs: int, p: float) -> None:
        super().__init__()
        self.n_pairs, self.p = n_pairs, p
        self.generators: Sequence[torch.Generator] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        channels = x.shape[1] // self.n_pairs
        generators = self.generators if self.generators is not None else [None] * self.n_pairs
        mask = torch.cat([channel_dropout_mask(x, channels, self.p, g) for g in generators], dim=1)
        return x * mask

    def extra_repr(self) -> str:
        return f"pairs={self.n_pairs}, p={self.p}"


Packer = Callable[[Sequence[nn.Module]], nn.Module]
L = TypeVar("L", bound=nn.Module)


def _first(layers: Sequence[nn.Module], kind: type[L]) -> L:
    """`layers[0]` as the layer type its packer packs (`pack_layer` checked that every layer is one)."""
    return cast(L, layers[0])


def _pair(value: tuple[int, ...]) -> tuple[int, int]:
    """A 2-D convolution's (h, w) setting, which torch keeps as a tuple of unknown length."""
    h, w = value
    return h, w


def _linear(layers: Sequence[nn.Module]) -> nn.Module:
    m = _first(layers, nn.Linear)
    return PackedLinear(len(layers), m.in_features, m.out_features, m.bias is not None)


def _conv2d(layers: Sequence[nn.Module]) -> nn.Module:
    m, k = _first(layers, nn.Conv2d), len(layers)
    return nn.Conv2d(
        k * m.in_channels,
        k * m.out_channels,
        _pair(m.kernel_size),
        _pair(m.stride),
        m.padding if isinstance(m.padding, str) else _pair(m.padding),
        _pair(m.dilation),
        groups=k * m.groups,
        bias=m.bias is not None,
        padding_mode=m.padding_mode,
    )


def _conv_transpose2d(layers: Sequence[nn.Module]) -> nn.Module:
    """Weights (in, out/groups, kh, kw) stack on the input axis, which the groups split: group k is pair k."""
    m, k = _first(layers, nn.ConvTranspose2d), len(layers)
    assert not isinstance(m.padding, str)  # ConvTranspose2d takes no "same"/"valid" padding
    return nn.ConvTranspose2d(
        k * m.in_channels,
        k * m.out_channels,
        _pair(m.kernel_size),
        _pair(m.stride),
        _pair(m.padding),
        _pair(m.output_padding),
        groups=k * m.groups,
        bias=m.bias is not None,
        dilation=_pair(m.dilation),
        padding_mode=m.padding_mode,
    )


def _batchnorm2d(layers: Sequence[nn.Module]) -> nn.Module:
    m = _first(layers, nn.BatchNorm2d)
    return nn.BatchNorm2d(len(layers) * m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)


def _groupnorm(layers: Sequence[nn.Module]) -> nn.Module:
    """Pair k's channels are the k-th block of the packed ones, so its groups stay whole."""
    m = _first(layers, nn.GroupNorm)
    return nn.GroupNorm(len(layers) * m.num_groups, len(layers) * m.num_channels, m.eps, m.affine)


def _embedding(layers: Sequence[nn.Module]) -> nn.Module:
    m = _first(layers, nn.Embedding)
    return PackedEmbedding(len(layers), m.num_embeddings, m.embedding_dim)


def _channel_dropout(layers: Sequence[nn.Module]) -> nn.Module:
    return PackedChannelDropout(len(layers), _first(layers, ChannelDropout).p)


def _score_anchors(layers: Sequence[nn.Module]) -> nn.Module:
    return ScoreAnchors(len(layers))


def _stateless(layers: Sequence[nn.Module]) -> nn.Module:
    """Activations and resampling act elementwise or per channel: one copy serves every pair."""
    return copy.deepcopy(layers[0])


def _sequential(layers: Sequence[nn.Module]) -> nn.Module:
    seqs = cast(Sequence[nn.Sequential], layers)
    return nn.Sequential(*[pack_layer([seq[i] for seq in seqs]) for i in range(len(seqs[0]))])


PACKED_LAYERS: dict[type[nn.Module], Packer] = {
    nn.Linear: _linear,
    nn.Conv2d: _conv2d,
    nn.ConvTranspose2d: _conv_transpose2d,
    nn.BatchNorm2d: _batchnorm2d,
    nn.GroupNorm: _groupnorm,
    nn.Embedding: _embedding,
    ChannelDropout: _channel_dropout,
    ScoreAnchors: _score_anchors,
    nn.LeakyReLU: _stateless,
    nn.ReLU: _stateless,
    nn.Tanh: _stateless,
    nn.Upsample: _stateless,
    nn.Identity: _stateless,
    nn.Sequential: _sequential,
}


def pack_layer(layers: Sequence[nn.Module]) -> nn.Module:
    """The packed counterpart (uninitialised) of K layers of one type and configuration."""
    first = layers[0]
    if parametrize.is_parametrized(first):
        return _pack_parametrized(layers)
    packer = PACKED_LAYERS.get(type(first))
    if packer is None:
        names = ", ".join(t.__name__ for t in PACKED_LAYERS)
        raise ValueError(f"cannot pack a {type(first).__name__} layer; packable layer types: {names}")
    if any(
        type(m) is not type(first) or m.extra_repr() != first.extra_repr() or len(m._modules) != len(first._modules)
        for m in layers
    ):
        raise ValueError(f"cannot pack differing layers: {[repr(m) for m in layers[:2]]}")
    return packer(layers)


def _pack_parametrized(layers: Sequence[nn.Module]) -> nn.Module:
    """K layers under spectral norm: the packed layer, with a packed spectral norm on each parametrized tensor."""
    first = layers[0]
    base = type(first).__mro__[1]  # torch's parametrized class subclasses the layer's own
    packer = PACKED_LAYERS.get(base)
    if packer is None or any(type(m).__mro__[1] is not base for m in layers):
        raise ValueError(f"cannot pack parametrized {base.__name__} layers")
    packed = packer(layers)
    for name, chain in _chains(first).items():
        if len(chain) != 1 or not isinstance(chain[0], _SpectralNorm):
            raise ValueError(f"cannot pack the parametrization of {base.__name__}.{name}: only spectral norm packs")
        norm = pack_spectral_norms([_chains(m)[name][0] for m in layers], chain.original.shape)
        parametrize.register_parametrization(packed, name, norm, unsafe=True)
    return packed


def _chains(layer: nn.Module) -> Mapping[str, parametrize.ParametrizationList]:
    """A parametrized layer's parametrization chain of each tensor, by the tensor's name (its `parametrizations`)."""
    return cast("Mapping[str, parametrize.ParametrizationList]", layer.parametrizations)
