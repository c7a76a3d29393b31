"""What the data loaders read of a run's data section.

The config's `DataConfig` has these fields; the loaders ask for this protocol
instead of importing the config, so the config can take the valid source
names from `ganfleet.data.SOURCES` without an import cycle.
"""

from __future__ import annotations

from typing import Protocol


class DataOptions(Protocol):
    """Which data, which split, and how images are fitted (see `ganfleet.config.DataConfig`)."""

    name: str
    path: str | None
    split: str
    classes: list[int] | None
    max_per_class: int | None
    image_size: int | None
    fit: str
    mixture: str
    toy_per_class: int
