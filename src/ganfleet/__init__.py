"""ganfleet: class-parallel conditional GANs.

One independent generator/discriminator pair per class, all pairs trained
concurrently; sample by drawing a label from the class prior and calling that
class's generator.

    >>> import ganfleet
    >>> fleet = ganfleet.Fleet.load("runs/fm")
    >>> x = fleet.sample(64, labels=None, seed=0)   # (64, C, H, W) in [-1, 1]
"""

__version__ = "0.1.0"

from ganfleet.errors import CheckpointError, ConfigError, DataError, GanfleetError
from ganfleet.fleet import Fleet
from ganfleet.synthetic import SyntheticDataset

__all__ = ["CheckpointError", "ConfigError", "DataError", "Fleet", "GanfleetError", "SyntheticDataset", "__version__"]
