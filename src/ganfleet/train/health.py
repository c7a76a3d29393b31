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
from ganfleet.pairs import Pair


class TrainingDiverged(GanfleetError):
    """Some pairs stopped on non-finite values; every other pair finished and every checkpoint is finite."""


class LossWatch:
    """Per pair, the first step count after which its logged values were not finite (-1: none yet), on the device."""

    def __init__(self) -> None:
        self._first_bad: dict[str, torch.Tensor] = {}

    def observe(self, out: Mapping[str, Mapping[str, torch.Tensor]], steps: Mapping[str, int]) -> None:
        """One iteration's per-pair values (`Executor.step`'s output) and each pair's step count after it."""
        for name, values in out.items():
            if not values:
                continue
            bad = ~torch.isfinite(torch.stack([v.detach().reshape(()) for v in values.values()])).all()
            first = self._first_bad.get(name)
            if first is None:
                first = torch.full((), -1, dtype=torch.int64, device=bad.device)
            self._first_bad[name] = torch.where(bad & (first < 0), steps[name], first)

    def first_bad(self, names: Sequence[str]) -> dict[str, int]:
        """{name: step} of the pairs among `names` whose values were not finite (one synchronisation)."""
        names = [n for n in names if n in self._first_bad]
        if not names:
            return {}
        steps = torch.stack([self._first_bad[n].cpu() for n in names]).tolist()
        return {n: s for n, s in zip(names, steps) if s >= 0}


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
