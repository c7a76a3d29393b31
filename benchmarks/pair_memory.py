"""How much memory one pair needs to train, and how many pairs fit in a device (used by benchmarks/packing.py).

Hopkins's dissertation asks for "the largest model a system can hold"; answered for
pairs. Per pair:

- weights: parameters and buffers of G and D (counted from the modules);
- gradients: one per parameter (kept from a backward pass to the next zero_grad);
- optimiser: Adam's two moments per parameter and its step counters (counted
  from a stepped optimiser's state);
- activations: the peak bytes held by autograd graphs during one real
  adversarial step at the run's batch size, measured with saved-tensor hooks
  (each saved storage counted once, from when autograd saves it until the
  graph that holds it is freed). Temporaries that no graph keeps are not
  counted; on a GPU `torch.cuda.max_memory_allocated` around a step gives the
  full peak.

A packed run holds every pair twice in weights and optimiser state: in the
packed tensors and in the Pair's own modules, which `sync` keeps current for
checkpoints (`PairMemory.packed_total`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn

GIB = 2**30


def _bytes(tensors: Any) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


@dataclass(frozen=True)
class PairMemory:
    """Bytes one pair needs while it trains."""

    weights: int
    gradients: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        """One pair trained on its own."""
        return self.weights + self.gradients + self.optimizer + self.activations

    @property
    def packed_total(self) -> int:
        """One pair inside a pack: the packed tensors plus the Pair's own weights and optimiser state."""
        return self.total + self.weights + self.optimizer

    def pairs_in(self, budget_bytes: int, packed: bool = True) -> int:
        """How many pairs fit in `budget_bytes` (ignoring the framework's own fixed overhead)."""
        return budget_bytes // (self.packed_total if packed else self.total)


class SavedTensorPeak:
    """Context manager: the peak bytes of storages held by autograd graphs while it is open.

    Storages in `exclude` (the networks' own parameters, which layers save for
    their backward pass) are not counted: they are weights, not activations.
    """

    def __init__(self, exclude: set[tuple] = frozenset()) -> None:
        self.exclude = exclude
        self.live: dict[tuple, list[int]] = {}  # storage key -> [bytes, references]
        self.current = 0
        self.peak = 0

    def _pack(self, tensor: torch.Tensor) -> Any:
        key = storage_key(tensor)
        if key in self.exclude:
            return _Saved(tensor, lambda: None)
        entry = self.live.setdefault(key, [tensor.untyped_storage().nbytes(), 0])
        if entry[1] == 0:
            self.current += entry[0]
            self.peak = max(self.peak, self.current)
        entry[1] += 1
        return _Saved(tensor, lambda: self._release(key))

    def _release(self, key: tuple) -> None:
        entry = self.live[key]
        entry[1] -= 1
        if entry[1] == 0:
            self.current -= entry[0]
            del self.live[key]

    def __enter__(self) -> SavedTensorPeak:
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda saved: saved.tensor)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._hooks.__exit__(*exc)


def storage_key(tensor: torch.Tensor) -> tuple:
    """Identifies the memory a tensor (or any view of it) lives in."""
    return tensor.device, tensor.untyped_storage().data_ptr()


class _Saved:
    """A tensor kept by autograd; tells its counter when the graph lets it go."""

    def __init__(self, tensor: torch.Tensor, on_release: Callable[[], None]) -> None:
        self.tensor = tensor
        self._on_release = on_release

    def __del__(self) -> None:
        self._on_release()


def measure_pair_memory(
    networks: tuple[nn.Module, nn.Module],
    optimizers: tuple[torch.optim.Optimizer, ...],
    step: Callable[[], object],
    n_pairs: int = 1,
) -> PairMemory:
    """Bytes per pair for networks trained by `step` (one adversarial step of `n_pairs` pairs).

    `networks` and `optimizers` are those `step` updates (a pair's own, or a
    pack's); one warm-up step creates the optimiser states and gradients, a
    second is measured.
    """
    step()
    params = [p for m in networks for p in m.parameters()]
    with SavedTensorPeak(exclude={storage_key(p) for p in params}) as saved:
        step()
    weights = _bytes(params) + _bytes(b for m in networks for b in m.buffers())
    optimizer = _bytes(v for o in optimizers for s in o.state.values() for v in s.values() if torch.is_tensor(v))
    return PairMemory(weights // n_pairs, _bytes(params) // n_pairs, optimizer // n_pairs, saved.peak // n_pairs)
