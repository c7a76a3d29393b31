"""One tick's statistics, made into one record that every writer takes (the log line, metrics.jsonl, TensorBoard,
telemetry, progress.json).

Each iteration's `StepLogs` (one (K,) tensor per step group and key) are added on the device into one (P,)
tensor per key over this rank's P pairs: a few kernels per step group, none per pair, no host sync. The tick
reads them back in one transfer and only then builds the per-pair record.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from ganfleet.distributed import Telemetry
from ganfleet.pairs import StepLogs
from ganfleet.rundir import atomic_write_text


class PairIndex:
    """Positions of a rank's pairs: a step group's names -> an index tensor (made once per group, then cached)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.position = {name: i for i, name in enumerate(self.names)}
        self._cache: dict[tuple[str, ...], tuple[torch.Tensor, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.names)

    def of(self, names: tuple[str, ...], device: torch.device) -> tuple[torch.Tensor, np.ndarray]:
        """The positions of `names` on `device` and on the host."""
        found = self._cache.get(names)
        if found is None or found[0].device != device:
            host = np.array([self.position[n] for n in names], dtype=np.int64)
            found = self._cache[names] = (torch.from_numpy(host).to(device), host)
        return found


@dataclass
class TickRecord:
    """What one tick says: the loop's clock, per-pair means of the logged values and their mean over pairs,
    the rate, and where each pair stands."""

    step: int  # the loop's clock (iterations)
    time: float  # seconds since the loop started
    img_per_s: float  # over this tick
    mean: dict[str, float]  # each key's mean over the pairs that stepped in this tick
    pairs: dict[str, dict[str, float]]  # each pair's means over its steps in this tick
    images: int  # images this rank's pairs trained on in this session
    pair_steps: dict[str, int] = field(default_factory=dict)  # every pair's step count (resumed steps included)
    last_step: int = 0  # the most advanced pair's budget
    kimg: float = 0.0  # thousands of images this rank's pairs have seen, resumed steps included

    def to_json(self) -> dict[str, Any]:
        """The metrics.jsonl line."""
        return {
            "step": self.step,
            "time": self.time,
            "img_per_s": self.img_per_s,
            "mean": self.mean,
            "pairs": self.pairs,
        }


class TickWriter(Protocol):
    """Something that takes each tick's record: it only writes, it computes nothing."""

    def write_tick(self, record: TickRecord) -> None: ...


class TickStats:
    """Sums of every pair's logged values over a tick, on the device; `close` makes the tick's record."""

    def __init__(self, index: PairIndex, images_per_step: int, images: int = 0) -> None:
        """`images`: what this session trained on before (an earlier phase's), counted on from there."""
        self.index = index
        self.images_per_step = images_per_step
        self.start = self.last = time.perf_counter()
        self.images = images
        self._tick_images = 0
        self._sums: dict[str, torch.Tensor] = {}  # key -> (P,)
        self._counts = np.zeros(len(index), dtype=np.int64)

    def add(self, logs: Sequence[StepLogs]) -> None:
        """One iteration's step groups: a few device kernels per group, no synchronisation."""
        for group in logs:
            if not group.values:
                continue
            device = next(iter(group.values.values())).device
            positions, host = self.index.of(group.names, device)
            for key, value in group.values.items():
                acc = self._sums.get(key)
                if acc is None:
                    acc = self._sums[key] = torch.zeros(len(self.index), dtype=value.dtype, device=device)
                acc.index_add_(0, positions, value)
            self._counts[host] += 1
            self._tick_images += self.images_per_step * len(group.names)

    def close(self, step: int, pair_steps: Mapping[str, int], last_step: int) -> TickRecord:
        """The tick's record (one host transfer), then a new tick begins."""
        now = time.perf_counter()
        keys = list(self._sums)
        sums = torch.stack([self._sums[k] for k in keys]).cpu().tolist() if keys else []
        pairs = {
            name: {key: sums[j][i] / int(self._counts[i]) for j, key in enumerate(keys)}
            for i, name in enumerate(self.index.names)
            if self._counts[i]
        }
        self.images += self._tick_images
        record = TickRecord(
            step=step,
            time=round(now - self.start, 3),
            img_per_s=self._tick_images / (now - self.last) if now > self.last else 0.0,
            mean={k: sum(p[k] for p in pairs.values()) / len(pairs) for k in keys} if pairs else {},
            pairs=pairs,
            images=self.images,
            pair_steps=dict(pair_steps),
            last_step=last_step,
            kimg=sum(pair_steps.values()) * self.images_per_step / 1000,
        )
        self._tick_images, self.last, self._sums = 0, now, {}
        self._counts[:] = 0
        return record


class ProgressFile:
    """This rank's telemetry so far (pid, host, time by category, steps): `progress.json` in its records folder."""

    def __init__(self, records: Path, telemetry: Telemetry) -> None:
        self.path, self.telemetry = records / "progress.json", telemetry

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        snapshot = self.telemetry.snapshot(with_progress=False)
        atomic_write_text(self.path, json.dumps(snapshot, indent=2) + "\n")

    def write_tick(self, record: TickRecord) -> None:
        self.write()
