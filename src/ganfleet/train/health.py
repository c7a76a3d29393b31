"""Numerical health: a pair whose losses or state stop being finite is stopped, and the run says so.

Every step's logged values (losses, scores) are checked on the device, with no
synchronisation: `LossWatch` keeps, per pair, the first step count whose values
were not finite. It is read where the loop synchronises anyway, at every tick
and before every checkpoint; `save_pair` refuses to write a state holding NaN or
infinity (`NonFiniteState`). Either way the pair stops (it counts as done), its
newest checkpoint stays the last finite one, the other pairs go on, and at the
end the manifest marks each stopped member and the run fails with one line
naming every such pair and its step (`TrainingDiverged`, exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from ganfleet.errors import GanfleetError
from ganfleet.pairs import Pair, StepLogs
from ganfleet.train.ticks import PairIndex


class TrainingDiverged(GanfleetError):
    """Some pairs stopped on non-finite values; every other pair finished and every checkpoint is finite."""


class LossWatch:
    """Per pair, the first step count after which its logged values were not finite (-1: none yet): one (P,)
    tensor on the device, updated by a few kernels per step group."""

    def __init__(self, index: PairIndex) -> None:
        self.index = index
        self._first_bad: torch.Tensor | None = None

    def observe(self, logs: Sequence[StepLogs]) -> None:
        """One iteration's step groups (`Executor.step`'s output); each group's step is the count its pairs reached."""
        for group in logs:
            if not group.values:
                continue
            values = torch.stack([v.detach() for v in group.values.values()])  # (keys, K)
            if self._first_bad is None:
                self._first_bad = torch.full((len(self.index),), -1, dtype=torch.int64, device=values.device)
            positions, _ = self.index.of(group.names, values.device)
            bad = ~torch.isfinite(values).all(dim=0)
            first = self._first_bad.index_select(0, positions)
            self._first_bad.index_copy_(0, positions, torch.where(bad & (first < 0), group.step, first))

    def first_bad(self, names: Sequence[str]) -> dict[str, int]:
        """{name: step} of the pairs among `names` whose values were not finite (one synchronisation)."""
        if self._first_bad is None or not names:
            return {}
        steps = self._first_bad.cpu().tolist()
        return {n: steps[self.index.position[n]] for n in names if steps[self.index.position[n]] >= 0}


def stop_diverged(pair: Pair, step: int, reason: str) -> dict:
    """Stop `pair` (it counts as done from now on); the record the manifest keeps for its member."""
    pair.diverged = {"step": step, "reason": reason}
    return pair.diverged


def diverged_message(diverged: Mapping[str, dict], checkpoint_steps: Mapping[str, int], n_members: int) -> str:
    """One line naming every stopped pair, its step and the checkpoint it keeps."""
    parts = [
        f"{name} at step {d['step']} ({d['reason']}; kept "
        f"{'its checkpoint of step ' + str(checkpoint_steps[name]) if checkpoint_steps.get(name) else 'no checkpoint'})"
        for name, d in sorted(diverged.items())
    ]
    others = n_members - len(diverged)
    return (
        f"training diverged: {'; '.join(parts)}; {others} other pair(s) finished; train again with lower learning rates"
    )
