"""Stepping an SGAN run: the local pairs by any executor, then the global pair's step against all of them.

The locals are independent pairs, so they can be looped or packed like any
others (`inner`); before the global step reads them, `inner.sync()` makes
their own modules current. Several processes: the local pairs are spread over
the ranks, the global pair is replicated on every rank; each rank accumulates
G_0's and D_0's gradients over its own local pairs and one all-reduce per
global step (`reduce.py`) gives every replica the same step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ganfleet.errors import ConfigError, GanfleetError
from ganfleet.pairs import Pair, StepLogs, StepRule
from ganfleet.pairs.executor import Executor
from ganfleet.sgan.global_step import G0Against, LocalView, accumulate_global_gradients, apply_global_step, make_view
from ganfleet.sgan.reduce import GlobalReduction, SumOverRanks
from ganfleet.sgan.weight_sharing import share_local_weights


class SganExecutor:
    """The locals by `inner`, then (when due) G_0 and D_0 one step each; logged values are means over all locals."""

    def __init__(
        self,
        inner: Executor,
        global_pair: Pair,
        local_pairs: Sequence[Pair],
        n_locals: int,
        messenger_steps: int,
        sum_over_ranks: SumOverRanks | None = None,
        g0_against: G0Against = "messengers",
    ) -> None:
        self.inner = inner
        self.global_pair = global_pair
        self.n_locals = n_locals  # of every rank
        self.messenger_steps = messenger_steps
        self.g0_against = g0_against
        self.reduction = GlobalReduction(global_pair, sum_over_ranks) if sum_over_ranks is not None else None
        self.views: list[LocalView] = [
            make_view(global_pair, local, global_pair.stream.batch_size) for local in local_pairs
        ]
        self.shared_fractions: tuple[float, float] | None = None  # of G's and D's parameters, with shared weights
        self._due: Sequence[Pair] | None = None
        self._locals_due: tuple[Pair, ...] = ()
        self._global_due = False

    def step(self, due: Sequence[Pair], rule: StepRule) -> list[StepLogs]:
        if not (isinstance(due, tuple) and due is self._due):  # the loop passes one tuple until the due pairs change
            self._due = due
            self._locals_due = tuple(p for p in due if p is not self.global_pair)
            self._global_due = len(self._locals_due) < len(due)
        out = self.inner.step(self._locals_due, rule) if self._locals_due else []
        if self._global_due:
            self.inner.sync()  # the global step reads the locals' own networks and optimiser states
            out.append(self.global_step(rule))
        return out

    def global_step(self, rule: StepRule) -> StepLogs:
        sums = accumulate_global_gradients(self.global_pair, self.views, rule, self.messenger_steps, self.g0_against)
        if self.reduction is not None:
            sums = self.reduction(sums)
        apply_global_step(self.global_pair, rule)
        means = {key: (value / self.n_locals).reshape(1) for key, value in sums.items()}
        return StepLogs(self.global_pair.names, means, self.global_pair.step)

    def sync(self) -> None:
        self.inner.sync()


def sgan_executor(
    pairs: Sequence[Pair],
    global_name: str,
    n_locals: int,
    messenger_steps: int,
    share_weights: bool,
    plan_locals: Callable[[list[Pair]], Executor],
    sum_over_ranks: SumOverRanks | None = None,
    g0_against: G0Against = "messengers",
) -> SganExecutor:
    """The executor of an SGAN run over `pairs`: the global pair and the locals this process holds.

    `plan_locals` gives the executor of the local pairs (after their layers are
    tied, with shared weights). Alone (`sum_over_ranks` None) a process must
    hold every local pair; with shared weights it must too (the shared layers
    would otherwise be shared only within each rank).
    """
    global_pair = next((p for p in pairs if p.name == global_name), None)
    local_pairs = [p for p in pairs if p.name != global_name]
    if global_pair is None:
        raise GanfleetError("sgan: every process must hold the global pair")
    if sum_over_ranks is None and len(local_pairs) != n_locals:
        raise GanfleetError(
            f"sgan: this process holds {len(local_pairs)} of the {n_locals} local pairs "
            "but is connected to no other rank"
        )
    if share_weights and len(local_pairs) != n_locals:
        raise ConfigError(
            "sgan.share_weights: the locals' shared layers would be shared only within each rank; "
            "train sgan with shared weights in one process"
        )
    fractions = share_local_weights(local_pairs) if share_weights else None
    executor = SganExecutor(
        plan_locals(local_pairs), global_pair, local_pairs, n_locals, messenger_steps, sum_over_ranks, g0_against
    )
    executor.shared_fractions = fractions
    return executor
