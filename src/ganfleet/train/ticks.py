"""Per-tick records: step outputs accumulated on the device, one sync per tick when the record is made."""

from __future__ import annotations

import time

import torch


class TickStats:
    """Accumulates per-pair step outputs on the device; one sync per tick when the record is made."""

    def __init__(self, images_per_step: int) -> None:
        self.images_per_step = images_per_step
        self.start = self.last = time.perf_counter()
        self.images = 0
        self._tick_images = 0
        self._sums: dict[str, dict[str, torch.Tensor]] = {}
        self._counts: dict[str, int] = {}

    def add(self, out: dict[str, dict[str, torch.Tensor]]) -> None:
        for name, values in out.items():
            acc = self._sums.setdefault(name, {})
            for key, value in values.items():
                acc[key] = acc[key] + value if key in acc else value.clone()
            self._counts[name] = self._counts.get(name, 0) + 1
            self._tick_images += self.images_per_step

    def close(self, step: int) -> dict:
        """The tick's record: per-pair means, their mean over pairs, img/s; then reset."""
        now = time.perf_counter()
        pairs = {name: {k: float(v) / self._counts[name] for k, v in acc.items()} for name, acc in self._sums.items()}
        keys = next(iter(pairs.values())).keys() if pairs else ()
        record = {
            "step": step,
            "time": round(now - self.start, 3),
            "img_per_s": self._tick_images / (now - self.last) if now > self.last else 0.0,
            "mean": {k: sum(p[k] for p in pairs.values()) / len(pairs) for k in keys},
            "pairs": pairs,
        }
        self.images += self._tick_images
        self._tick_images, self.last, self._sums, self._counts = 0, now, {}, {}
        return record
