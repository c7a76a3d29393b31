"""Ranks tell each other, while they train, whether one failed, one asked to stop, and who still has work.

Pairs never communicate, so training needs no collective (but for a
replicated pair's, see lockstep below); the heartbeat exists for control. Every `interval` seconds a training rank
posts one asynchronous all-reduce (MAX) of three flags [failed, stopping,
unfinished] and keeps training; it looks at the result when the round has
completed. Posting by the clock, not by the iteration count, keeps ranks with
unequal per-iteration work from waiting on each other mid-run. A rank whose
pairs are all done posts rounds back to back and blocks on them: that is its
idle time, and it ends in the round where no rank has unfinished pairs.

Lockstep (`lockstep=True`): when ranks step a replicated pair together (one
all-reduce per iteration, SGAN's global pair), a rank that stopped between two
iterations would leave the others blocked in the next all-reduce. Then every
iteration starts with one blocking round that carries this rank's stop
request, so all ranks see a stop at the same iteration. A rank with nothing
left to step (`finish`) posts the same rounds and so keeps matching them.

Rounds match by order, so every rank takes part in the same rounds: a round
that reports a failure is followed by one all_gather of the error messages,
then every rank raises. A vanished rank (killed, crashed) breaks the round
with a connection error within seconds, reported as RankFailed too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import torch
import torch.distributed as dist

from ganfleet.errors import ClusterError

FAILED, STOPPING, UNFINISHED = range(3)
INTERVAL_S = 1.0
NOTIFY_TIMEOUT = timedelta(seconds=60)  # a failing rank waits at most this long to tell the others
# In lockstep the others are most likely blocked in the training all-reduce, where no round reaches
# them: the failing rank soon gives up and exits, and they see its sockets close ("lost contact").
LOCKSTEP_NOTIFY_TIMEOUT = timedelta(seconds=5)


class RankFailed(ClusterError):
    """Another rank failed or vanished; this rank's own pairs are intact."""


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")


class Heartbeat:
    """The control rounds of one training loop on one rank (a context manager: leaving it with
    an exception tells the other ranks that this rank failed)."""

    def __init__(
        self,
        group: dist.ProcessGroup | None,
        waiting: Callable[[], AbstractContextManager[None]],
        interval: float = INTERVAL_S,
        lockstep: bool = False,
    ) -> None:
        self.group, self.waiting, self.interval, self.lockstep = group, waiting, interval, lockstep
        self.stop_requested = False  # some rank asked to stop (seen in a completed round)
        self._work: dist.Work | None = None
        self._flags = torch.zeros(3, dtype=torch.int64)
        self._last = torch.zeros(3, dtype=torch.int64)
        self._due = time.monotonic() + interval

    def __enter__(self) -> Heartbeat:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: object) -> None:
        if exc is not None and not isinstance(exc, RankFailed):
            self._notify(exc)

    # ------------------------------------------------------------------ rounds

    def _post(self, stopping: bool, unfinished: bool) -> None:
        self._flags = torch.tensor([0, int(stopping), int(unfinished)], dtype=torch.int64)
        self._work = dist.all_reduce(self._flags, op=dist.ReduceOp.MAX, group=self.group, async_op=True)

    def _collect(self) -> torch.Tensor:
        """Wait for the round in flight; raise RankFailed if a rank failed or vanished."""
        assert self._work is not None
        try:
            self._work.wait()
        except RuntimeError as exc:  # gloo/NCCL report a dead peer as a RuntimeError (DistBackendError)
            raise RankFailed(
                f"lost contact with another rank ({str(exc).splitlines()[0]}); this rank's pairs are checkpointed"
            ) from None
        finally:
            self._work = None
            self._due = time.monotonic() + self.interval
        self._last = self._flags
        if self._last[FAILED]:
            raise RankFailed(self._failure_message())
        self.stop_requested = self.stop_requested or bool(self._last[STOPPING])
        return self._last

    def _failure_message(self) -> str:
        messages: list[str | None] = [None] * dist.get_world_size(self.group)
        dist.all_gather_object(messages, None, group=self.group)
        return "; ".join(f"rank {r} failed: {m}" for r, m in enumerate(messages) if m is not None)

    def _notify(self, exc: BaseException) -> None:
        """Tell the others this rank failed (a FAILED round, then the message); give up quietly if they are gone.

        The round in flight, if any, is finished first: it already counts in the others' sequence of rounds.
        """
        timeout = LOCKSTEP_NOTIFY_TIMEOUT if self.lockstep else NOTIFY_TIMEOUT
        try:
            announced = False
            if self._work is not None:
                self._work.wait(timeout)
                announced = bool(self._flags[FAILED])  # another rank failed in that round: the messages come next
            if not announced:
                flags = torch.tensor([1, 0, 0], dtype=torch.int64)
                dist.all_reduce(flags, op=dist.ReduceOp.MAX, group=self.group, async_op=True).wait(timeout)
            messages: list[str | None] = [None] * dist.get_world_size(self.group)
            dist.all_gather_object(messages, describe(exc), group=self.group)
        except RuntimeError:
            pass  # another rank is gone too; the launcher stops the job
        finally:
            self._work = None

    # ------------------------------------------------------------------ the loop's calls

    def should_stop(self, requested_here: bool) -> bool:
        """Before an iteration: whether to stop now (asked here, or by any rank in a completed round).

        In lockstep every rank asks in one blocking round, so all give the same answer at the same iteration.
        """
        if not self.lockstep:
            return requested_here or self.stop_requested
        with self.waiting():
            self._post(stopping=requested_here, unfinished=True)
            self._collect()
        return self.stop_requested

    def poll(self) -> None:
        """Between iterations, never blocking: start a round when one is due, read it once it completed."""
        if self.lockstep:  # the rounds happen in should_stop
            return
        if self._work is None:
            if time.monotonic() >= self._due:
                self._post(stopping=False, unfinished=True)
        elif self._work.is_completed():
            self._collect()

    def finish(self, stopping: Callable[[], bool], unfinished: bool) -> bool:
        """Block until every rank's pairs are done (False) or a rank stops with pairs unfinished (True)."""
        with self.waiting():
            if self._work is not None:
                self._collect()
            if self.stop_requested:
                return bool(self._last[UNFINISHED])
            while True:
                self._post(stopping(), unfinished)
                flags = self._collect()
                if not flags[UNFINISHED]:
                    return False
                if flags[STOPPING]:
                    return True
