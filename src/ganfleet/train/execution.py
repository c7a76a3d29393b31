"""How this rank steps its pairs, chosen from explicit inputs: `train.pack`, the strategy's global member, the ranks.

- independent pairs: one at a time or in packs (`ganfleet.packing.plan_execution`);
- a strategy with a global member (SGAN): the locals as above, then the global
  pair's step (`ganfleet.sgan`), its gradients summed over ranks when there are several.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ganfleet.config import RunConfig
from ganfleet.packing import plan_execution
from ganfleet.pairs import Pair, StepRule
from ganfleet.pairs.executor import Executor
from ganfleet.sgan import SumOverRanks, sgan_executor
from ganfleet.strategies import Strategy


def build_executor(
    config: RunConfig,
    strategy: Strategy,
    n_members: int,
    pairs: Sequence[Pair],
    rule: StepRule,
    sum_over_ranks: SumOverRanks | None,
    say: Callable[[str], None] | None = None,
) -> tuple[Executor, str]:
    """The executor of this rank's `pairs` and a line saying how they are stepped.

    `n_members` counts the members of every rank; `sum_over_ranks` is None for a
    process that trains alone; `say` hears what `--pack auto` is timing while it times.
    """
    setting = (
        "off" if config.sgan.share_weights and config.train.pack == "fast" else config.train.pack
    )  # tied layers: no packs
    if strategy.global_member is None:
        return plan_execution(setting, pairs, rule, say, config.train.compile)
    lines: list[str] = []

    def plan_locals(local_pairs: list[Pair]) -> Executor:
        executor, line = plan_execution(setting, local_pairs, rule, say, config.train.compile)
        lines.append(line)
        return executor

    executor = sgan_executor(
        pairs,
        strategy.global_member,
        n_members - 1,
        config.sgan.messenger_steps or rule.n_critic,
        config.sgan.share_weights,
        plan_locals,
        sum_over_ranks,
        g0_against=config.sgan.g0_against,
    )
    return executor, lines[0]
