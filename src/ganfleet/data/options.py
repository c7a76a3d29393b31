"""What the data loaders read of a run's data section.

The config's `DataConfig` has these fields; the loaders ask for this protocol
instead of importing the config, so the config can take the valid source
names from `ganfleet.data.SOURCES` without an import cycle.
"""

from __future__ import annotations

from typing import Literal, Protocol

Split = Literal["train", "test"]
Fit = Literal["resize", "pad"]  # how images reach the side: bilinear resize, or a zero border


class DataOptions(Protocol):
    """Which data, which split, and how images are fitted (see `ganfleet.config.DataConfig`)."""

    name: str
    path: str | None
    split: Split
    classes: list[int] | None
    max_per_class: int | None
    image_size: int | None
    fit: Fit
    mixture: str
    toy_per_class: int
