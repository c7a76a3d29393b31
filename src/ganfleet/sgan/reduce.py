"""Distributed SGAN: one all-reduce per global step keeps every rank's replica of G_0 and D_0 the same.

Every rank holds G_0 and D_0 and accumulates their gradients over the local
pairs it holds: partial sums (`global_step.py`). Before the optimiser steps,
`GlobalReduction` packs into one flat buffer

- every gradient of G_0 and D_0 (a missing one as zeros, with a flag, so that
  a parameter no rank gave a gradient stays None, as in one process, and a rank
  without local pairs contributes nothing),
- the floating buffers (BatchNorm running statistics, moved only by this rank's
  forwards), to be averaged over the ranks,
- the increments of the integer buffers (`num_batches_tracked`) since the last
  reduction, to be summed: the count of forwards of all ranks,
- the logged loss sums and a 1 per rank (so the buffer carries the rank count),

sums it over the ranks once and unpacks it. Every replica then steps on the
same gradients and holds the same buffers.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganfleet.pairs import Pair

SumOverRanks = Callable[[torch.Tensor], None]  # sums a tensor over every rank, in place


class GlobalReduction:
    """Packs, sums over ranks and unpacks the global pair's gradients, buffers and loss sums."""

    def __init__(self, global_pair: Pair, sum_over_ranks: SumOverRanks) -> None:
        modules = (global_pair.generator, global_pair.discriminator)
        self.sum_over_ranks = sum_over_ranks
        self.params = [p for m in modules for p in m.parameters()]
        buffers = [b for m in modules for b in m.buffers()]
        self.float_buffers = [b for b in buffers if b.is_floating_point()]
        self.count_buffers = [b for b in buffers if not b.is_floating_point()]
        self.synced_counts = [b.clone() for b in self.count_buffers]  # equal on every rank: same init or checkpoint
        self.dtype = self.params[0].dtype

    def __call__(self, sums: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Give every parameter the gradient summed over ranks, average the buffers; returns the summed loss sums."""
        flat = self.pack(sums)
        self.sum_over_ranks(flat)
        return self.unpack(flat, list(sums))

    def pack(self, sums: dict[str, torch.Tensor]) -> torch.Tensor:
        """This rank's contribution as one flat tensor."""
        grads = [torch.zeros_like(p) if p.grad is None else p.grad for p in self.params]
        present = torch.tensor([p.grad is not None for p in self.params], dtype=self.dtype)
        increments = [b - synced for b, synced in zip(self.count_buffers, self.synced_counts)]
        pieces = [*grads, present, *self.float_buffers, *increments, torch.stack(list(sums.values())), torch.ones(1)]
        device = self.params[0].device
        return torch.cat([t.detach().reshape(-1).to(device=device, dtype=self.dtype) for t in pieces])

    def unpack(self, flat: torch.Tensor, keys: list[str]) -> dict[str, torch.Tensor]:
        """Write the summed `flat` back: gradients, averaged buffers, summed counts; returns the loss sums."""
        sizes = [p.numel() for p in self.params] + [len(self.params)] + [b.numel() for b in self.float_buffers]
        sizes += [b.numel() for b in self.count_buffers] + [len(keys), 1]
        chunks = list(torch.split(flat, sizes))
        grads, present = chunks[: len(self.params)], chunks[len(self.params)]
        rest = chunks[len(self.params) + 1 :]
        floats, counts = rest[: len(self.float_buffers)], rest[len(self.float_buffers) : -2]
        losses, ranks = rest[-2], rest[-1]
        for param, grad, flag in zip(self.params, grads, present.tolist()):  # one device sync, not one per parameter
            param.grad = grad.view_as(param) if flag > 0 else None
        with torch.no_grad():
            for buffer, total in zip(self.float_buffers, floats):
                buffer.copy_((total / ranks).view_as(buffer))
            for buffer, synced, increment in zip(self.count_buffers, self.synced_counts, counts):
                buffer.copy_(synced + increment.round().to(buffer.dtype).view_as(buffer))
                synced.copy_(buffer)
        return dict(zip(keys, losses))
