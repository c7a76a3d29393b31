"""DC-CGAN: one pair conditioned on the label, trained on all images."""

from __future__ import annotations

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.strategies.base import Strategy
from ganfleet.train.pair import Member


class CganStrategy(Strategy):
    name = "cgan"
    description = "one conditional pair on all data (DC-CGAN)"

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        return [Member("all", label=None, conditional=True, classes=tuple(range(dataset.n_classes)))]
