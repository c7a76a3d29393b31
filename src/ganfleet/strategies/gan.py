"""DC-GAN: one unconditional pair trained on all images (the paper's baseline)."""

from __future__ import annotations

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.strategies.base import Strategy
from ganfleet.train.pair import Member


class GanStrategy(Strategy):
    name = "gan"
    description = "one unconditional pair on all data (DC-GAN)"

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        return [Member("all", label=None, conditional=False, classes=tuple(range(dataset.n_classes)))]
