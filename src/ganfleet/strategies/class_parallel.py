"""Class-parallel (the paper's distributed DC-CGAN): one independent unconditional pair per class.

Pair k sees only class k's images. p(x) = sum_k p(x | y_k) p(y_k): to sample,
draw k from the class prior and call generator k. Pairs never communicate, so
they can be stepped in any order, packed, or spread over ranks.
"""

from __future__ import annotations

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.strategies.base import Strategy
from ganfleet.train.pair import Member


def class_member_name(label: int) -> str:
    """Member name of class `label`'s pair; zero-padded so 1,000 classes sort in order."""
    return f"class-{label:04d}"


class ClassParallelStrategy(Strategy):
    name = "class-parallel"
    description = "one independent pair per class (distributed DC-CGAN)"

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        return [Member(class_member_name(k), label=k, conditional=False, classes=(k,)) for k in range(dataset.n_classes)]
