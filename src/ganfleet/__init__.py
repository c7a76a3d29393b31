"""ganfleet: class-parallel conditional GANs.

One independent generator/discriminator pair per class, all pairs trained
concurrently; sample by drawing a label from the class prior and calling that
class's generator.

    >>> import ganfleet
    >>> fleet = ganfleet.Fleet.load("runs/fm")
    >>> x = fleet.sample(64, labels=None, seed=0)   # (64, C, H, W) in [-1, 1]

`Fleet` and `SyntheticDataset` are imported on first use, so `import ganfleet`
(and the command's start, which a Ctrl-C may interrupt) loads no torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganfleet.errors import CheckpointError, ConfigError, DataError, GanfleetError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ganfleet.fleet import Fleet
    from ganfleet.synthetic import SyntheticDataset

LAZY = {"Fleet": "ganfleet.fleet", "SyntheticDataset": "ganfleet.synthetic"}


def __getattr__(name: str) -> Any:
    if name in LAZY:
        import importlib

        return getattr(importlib.import_module(LAZY[name]), name)
    raise AttributeError(f"module 'ganfleet' has no attribute {name!r}")


__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataError",
    "Fleet",
    "GanfleetError",
    "SyntheticDataset",
    "__version__",
]
