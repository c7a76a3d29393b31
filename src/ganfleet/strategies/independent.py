"""The paper's three systems: every member an independent pair (Lupo Pasini et al., section 3).

- `gan` (DC-GAN): one unconditional pair on all images;
- `cgan` (DC-CGAN): one pair conditioned on the label, on all images;
- `class-parallel` (distributed DC-CGAN): one unconditional pair per class,
  pair k on class k's images only. p(x) = sum_k p(x | y_k) p(y_k): to sample,
  draw k from the class prior and call generator k. Pairs never communicate,
  so they can be stepped in any order, packed, or spread over ranks.
"""

from __future__ import annotations

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.strategies.base import Strategy
from ganfleet.strategies.member import Member


def class_member_name(label: int) -> str:
    """Member name of class `label`'s pair; zero-padded so 1,000 classes sort in order."""
    return f"class-{label:04d}"


def class_members(dataset: ClassPartitionedDataset) -> list[Member]:
    """One unconditional pair per class, named and seeded by its class's index in the whole source (a run of
    `--classes 5,6` trains class-0005 and class-0006 as a run of every class would)."""
    return [
        Member(class_member_name(class_id), label=k, conditional=False, classes=(k,))
        for k, class_id in enumerate(dataset.ids)
    ]


class GanStrategy(Strategy):
    name = "gan"
    description = "one unconditional pair on all data (DC-GAN)"

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        return [Member("all", label=None, conditional=False, classes=tuple(range(dataset.n_classes)))]


class CganStrategy(Strategy):
    name = "cgan"
    description = "one conditional pair on all data (DC-CGAN)"

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        return [Member("all", label=None, conditional=True, classes=tuple(range(dataset.n_classes)))]


SHARED = "shared"  # the warm start's member


class ClassParallelStrategy(Strategy):
    """One pair per class; with `shared`, a pair on every class first, of which each class pair starts as a copy
    (a shared warm start): unconditional, or with `conditional_shared` conditioned on the label (each class pair
    then starts as it with its own label fixed)."""

    name = "class-parallel"
    description = "one independent pair per class (distributed DC-CGAN)"

    def __init__(self, shared: bool = False, conditional_shared: bool = False) -> None:
        self.shared = shared
        self.conditional_shared = conditional_shared

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        classes = class_members(dataset)
        if not self.shared:
            return classes
        everything = tuple(range(dataset.n_classes))
        return [Member(SHARED, label=None, conditional=self.conditional_shared, classes=everything), *classes]

    @property
    def warm_start(self) -> str | None:
        return SHARED if self.shared else None
