"""Which pairs step next: the due pairs as one tuple, replaced only when a pair finishes or stops."""

from __future__ import annotations

from collections.abc import Sequence

from ganfleet.pairs import Pair


class DuePairs:
    """This rank's pairs that have not reached their budgets or stopped.

    `pairs` stays the same tuple object while no pair finishes, so an executor may keep what it built for it
    (its packs); the loop learns which pairs finished from a countdown to the nearest budget, without looking
    at every pair every iteration.
    """

    def __init__(self, pairs: Sequence[Pair]) -> None:
        self.pairs: tuple[Pair, ...] = tuple(p for p in pairs if not p.done)
        self._left = self._to_next_finish()

    def _to_next_finish(self) -> int:
        return min((p.target_steps - p.step for p in self.pairs), default=0)

    def stepped(self) -> list[Pair]:
        """After every due pair took one step: those that reached their budgets (usually none)."""
        self._left -= 1
        return self.refresh() if self._left <= 0 else []

    def refresh(self) -> list[Pair]:
        """Drop the pairs that are done (budget reached, or stopped on non-finite values); returns them."""
        finished = [p for p in self.pairs if p.done]
        if finished:
            self.pairs = tuple(p for p in self.pairs if not p.done)
        self._left = self._to_next_finish()
        return finished
