"""What the data loaders read of a run's data section.

The config's `DataConfig` has these fields; the loaders ask for this protocol
instead of importing the config, so the config can take the valid source
names from `ganfleet.data.SOURCES` without an import cycle.
"""

from __future__ import annotations

from typing import Protocol


class DataOptions(Protocol):
    """Which data, which split, and how images are fitted (see `ganfleet.config.DataConfig`).

    Read-only properties: the loaders only read them, and a property lets `DataConfig` declare
    narrower types (`split: Literal["train", "test"]`) than the plain `str` asked for here.
    """

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def split(self) -> str: ...
    @property
    def classes(self) -> list[int] | None: ...
    @property
    def max_per_class(self) -> int | None: ...
    @property
    def image_size(self) -> int | None: ...
    @property
    def fit(self) -> str: ...
    @property
    def mixture(self) -> str: ...
    @property
    def toy_per_class(self) -> int: ...
