"""SGAN (Chavdarova & Fleuret, 2018): independent local pairs and a global pair trained from them.

Members: the global pair (G_0, D_0), named `global`, then N local pairs.
Locals train exactly as independent pairs (`adversarial_step`, their own seeds
and data); every iteration the global pair then takes one step (Algorithm 1,
see `sgan_global.py`) and never writes to a local pair, so the locals are
bit-identical with and without it.

- `--locals N`: N local pairs `local-00`... on all data, an unconditional
  global pair; sampling a fleet defaults to G_0 (listed first).
- `--split-by-class`: one local pair per class, named and seeded as the
  class-parallel strategy's (`class-0000`...), so they equal a class-parallel
  run's pairs; the global pair is conditional: label k is trained against class
  k's messenger. Sampling defaults to the class-parallel locals (routed by
  label); `member="global"` gives the one compact conditional generator.
- `--share-weights`: the locals share their data-side layers (`weight_sharing.py`).

All pairs iterate together (Algorithm 1): every pair's budget is that of the
local pair that needs most steps, so with an epoch budget and classes of
different sizes the small classes see more epochs than in class-parallel runs.

Several processes: the local pairs are spread over the ranks, the global pair
is replicated on every rank (`replicated`); each rank accumulates G_0's and
D_0's gradients over its own local pairs and one all-reduce per global step
(`sgan_reduce.py`) gives every replica the same step.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ganfleet.config import TrainConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.errors import ConfigError, GanfleetError
from ganfleet.strategies.base import Strategy
from ganfleet.strategies.class_parallel import class_member_name
from ganfleet.strategies.sgan_global import LocalView, accumulate_global_gradients, apply_global_step, make_view
from ganfleet.strategies.sgan_reduce import GlobalReduction, SumOverRanks
from ganfleet.strategies.weight_sharing import share_local_weights
from ganfleet.train.pair import Member, Pair, StepRule, adversarial_step

GLOBAL = "global"
DEFAULT_LOCALS = 5


def local_member_name(n: int) -> str:
    return f"local-{n:02d}"


class SganStrategy(Strategy):
    name = "sgan"
    description = "independent local pairs and a global pair trained from them (SGAN)"
    replicated = (GLOBAL,)

    def __init__(self, pack: str = "off", n_locals: int = DEFAULT_LOCALS, split_by_class: bool = False,
                 messenger_steps: int | None = None, share_weights: bool = False) -> None:
        if pack != "off":  # the global pair reads the locals' own modules every iteration
            raise ConfigError(f"train.pack: sgan steps its pairs one at a time; expected off, got {pack!r}")
        super().__init__(pack)
        self.n_locals = n_locals
        self.split_by_class = split_by_class
        self.messenger_steps = messenger_steps
        self.share_weights = share_weights
        self.sum_over_ranks: SumOverRanks | None = None  # set by connect() in a multi-process job
        self.reduction: GlobalReduction | None = None  # built by prepare() when connected
        self.global_pair: Pair | None = None
        self.local_pairs: list[Pair] = []
        self.views: list[LocalView] = []
        self.shared_fractions: tuple[float, float] | None = None
        self.n_members = 0  # set by members()

    @classmethod
    def from_config(cls, train: TrainConfig) -> SganStrategy:
        return cls(train.pack, train.locals or DEFAULT_LOCALS, train.split_by_class, train.messenger_steps, train.share_weights)

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        everything = tuple(range(dataset.n_classes))
        if self.split_by_class:
            locals_ = [Member(class_member_name(k), label=k, conditional=False, classes=(k,)) for k in everything]
        else:
            locals_ = [Member(local_member_name(n), label=None, conditional=False, classes=everything) for n in range(self.n_locals)]
        self.n_members = 1 + len(locals_)
        return [Member(GLOBAL, label=None, conditional=self.split_by_class, classes=everything)] + locals_

    def budgets(self, budgets: dict[str, int]) -> dict[str, int]:
        """Every pair iterates as long as the local pair that needs most steps (Algorithm 1)."""
        budget = max(steps for name, steps in budgets.items() if name != GLOBAL)
        return {name: budget for name in budgets}

    def connect(self, sum_over_ranks: SumOverRanks) -> None:
        """Several ranks: the global pair's gradients (and buffers) will be summed over them every global step."""
        self.sum_over_ranks = sum_over_ranks

    def prepare(self, pairs: Sequence[Pair], rule: StepRule) -> None:
        """Ties shared layers, gives every pair the common budget and builds the global pair's views of the locals.

        `pairs` are the global pair and the local pairs this process holds: all
        of them, or a rank's share when connected to other ranks.
        """
        self.global_pair = next((p for p in pairs if p.name == GLOBAL), None)
        self.local_pairs = [p for p in pairs if p.name != GLOBAL]
        if self.global_pair is None:
            raise GanfleetError("sgan: every process must hold the global pair")
        if self.sum_over_ranks is None and len(self.local_pairs) != self.n_members - 1:
            raise GanfleetError(f"sgan: this process holds {len(self.local_pairs)} of the {self.n_members - 1} local pairs "
                                "but is connected to no other rank")
        if self.share_weights and len(self.local_pairs) != self.n_members - 1:
            raise ConfigError("train.share_weights: the locals' shared layers would be shared only within each rank; "
                              "train sgan with shared weights in one process")
        if self.sum_over_ranks is not None:
            self.reduction = GlobalReduction(self.global_pair, self.sum_over_ranks)
        if self.share_weights:
            self.shared_fractions = share_local_weights(self.local_pairs)
        budgets = self.budgets({p.name: p.target_steps for p in pairs})
        for pair in pairs:
            pair.target_steps = budgets[pair.name]
        batch_size = self.global_pair.stream.batch_size
        self.views = [make_view(self.global_pair, local, batch_size) for local in self.local_pairs]

    def step(self, pairs: Sequence[Pair], rule: StepRule) -> dict[str, dict[str, torch.Tensor]]:
        """Each due local pair's ordinary step, then (if due) the global pair's step against all locals."""
        if self.global_pair is None:
            raise RuntimeError("SganStrategy.prepare must be called before step")
        out = {p.name: adversarial_step(p, rule) for p in pairs if p is not self.global_pair}
        if any(p is self.global_pair for p in pairs):
            out[GLOBAL] = self.global_step(rule)
        return out

    def global_step(self, rule: StepRule) -> dict[str, torch.Tensor]:
        """G_0 and D_0 one step each; logged values are means over all local pairs (of every rank)."""
        assert self.global_pair is not None
        messenger_steps = self.messenger_steps or rule.n_critic
        sums = accumulate_global_gradients(self.global_pair, self.views, rule, messenger_steps)
        if self.reduction is not None:
            sums = self.reduction(sums)
        apply_global_step(self.global_pair, rule)
        return {key: value / (self.n_members - 1) for key, value in sums.items()}
