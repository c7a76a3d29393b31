"""Spectral normalisation (Miyato et al., 2018) of a network's weights, and its packed counterpart.

`apply_spectral_norm(module)` puts torch's own parametrization
(`torch.nn.utils.parametrizations.spectral_norm`: one power iteration per
forward in train mode, the weight divided by its estimated largest singular
value) on every Conv2d, Linear and Embedding weight of `module`.

A pack of K such layers carries one `PackedSpectralNorm`: the K weights
viewed as (K, rows, cols), K power iterations at once (batched matrix
products), each pair's weight divided by its own sigma. Its buffers `_u`
(K, rows) and `_v` (K, cols) are the K layers' vectors stacked, under the
names torch uses, so packing and unpacking follow the one stacking rule of
models/packed_layers.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrizations, parametrize

SPECTRAL_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalisation on every convolution, Linear and Embedding weight of `module` (in place); returns it."""
    for layer in list(module.modules()):
        if isinstance(layer, SPECTRAL_LAYERS) and not parametrize.is_parametrized(layer, "weight"):
            parametrizations.spectral_norm(layer)
    return module


class PackedSpectralNorm(nn.Module):
    """Spectral norms of K stacked weights of one shape: one power iteration per pair per forward (train mode).

    `dim` is the weight axis torch's spectral norm takes as the matrix's rows:
    0, or 1 for transposed convolutions (weights (in, out, kh, kw)).
    """

    def __init__(self, n_pairs: int, rows: int, cols: int, n_power_iterations: int, eps: float, dim: int = 0) -> None:
        super().__init__()
        self.n_pairs, self.rows, self.cols, self.dim = n_pairs, rows, cols, dim
        self.n_power_iterations, self.eps = n_power_iterations, eps
        self._u: torch.Tensor
        self._v: torch.Tensor
        self.register_buffer("_u", torch.empty(n_pairs, rows))
        self.register_buffer("_v", torch.empty(n_pairs, cols))

    def matrices(self, weight: torch.Tensor) -> torch.Tensor:
        """The K weights as (K, rows, cols) matrices, as torch reshapes one weight for its power iteration."""
        pairs = weight.reshape((self.n_pairs, -1, *weight.shape[1:]))  # pair k's block is the k-th of axis 0
        if self.dim == 1:
            pairs = pairs.transpose(1, 2)
        return pairs.reshape(self.n_pairs, self.rows, self.cols)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        matrix = self.matrices(weight)
        if self.training:
            with torch.no_grad():
                for _ in range(self.n_power_iterations):
                    self._u.copy_(
                        F.normalize(torch.bmm(matrix, self._v.unsqueeze(-1)).squeeze(-1), dim=-1, eps=self.eps)
                    )
                    self._v.copy_(
                        F.normalize(
                            torch.bmm(matrix.transpose(1, 2), self._u.unsqueeze(-1)).squeeze(-1), dim=-1, eps=self.eps
                        )
                    )
        u, v = self._u.clone(), self._v.clone()
        sigma = torch.einsum("kr,krc,kc->k", u, matrix, v)
        out = (weight.reshape(self.n_pairs, -1) / sigma.view(-1, 1)).reshape(weight.shape)
        if weight.ndim == 4 and weight.is_contiguous(memory_format=torch.channels_last):
            out = out.contiguous(memory_format=torch.channels_last)  # as the packed conv's own weight
        return out

    def extra_repr(self) -> str:
        return f"pairs={self.n_pairs}, rows={self.rows}, cols={self.cols}, n_power_iterations={self.n_power_iterations}"


def pack_spectral_norms(norms: Sequence[nn.Module], weight_shape: torch.Size) -> PackedSpectralNorm:
    """The packed counterpart of K layers' spectral norms (torch's `_SpectralNorm`) for weights of `weight_shape`."""
    first: Any = norms[0]  # torch's _SpectralNorm (private): its settings are plain attributes
    if first.dim not in (0, 1):
        raise ValueError(f"cannot pack a spectral norm over weight dimension {first.dim}")
    if any((n.n_power_iterations, n.eps, n.dim) != (first.n_power_iterations, first.eps, first.dim) for n in norms):
        raise ValueError("cannot pack spectral norms with different settings")
    rows = weight_shape[first.dim]
    cols = int(torch.Size(weight_shape).numel()) // rows
    return PackedSpectralNorm(len(norms), rows, cols, first.n_power_iterations, first.eps, first.dim)
