"""Stopping between steps: SIGINT/SIGTERM (or the launcher's death) ask the loop to checkpoint and stop cleanly.

A signal landing mid-step would otherwise leave a pair half-updated (the
discriminator stepped, the generator not); the loop checks the flag only
between iterations, so every checkpoint holds a whole step. A second SIGINT
stops at once (the previous checkpoints stay valid: they are written atomically).

A worker started by a launcher (torchrun, mpirun, srun) also watches its parent:
when the launcher dies (SIGKILL, a lost terminal), the worker is re-parented,
and it stops as it would on SIGTERM instead of training on unsupervised.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

PARENT_POLL_S = 0.5
LAUNCHER_GONE = "the launcher's exit (its parent process is gone)"


class StopRequest:
    """Context manager that turns SIGINT/SIGTERM into a flag (main thread only; elsewhere a no-op).

    `watch_parent`: also raise the flag when this process's parent exits.
    """

    def __init__(self, watch_parent: bool = False) -> None:
        self.requested: str | None = None
        self._previous: dict[int, object] = {}
        self._watch_parent = watch_parent
        self._done = threading.Event()
        self._watcher: threading.Thread | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def _watch(self, parent: int) -> None:
        while not self._done.wait(PARENT_POLL_S):
            if os.getppid() != parent:
                self.requested = self.requested or LAUNCHER_GONE
                return

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        parent = os.getppid()
        if self._watch_parent and parent > 1:
            self._watcher = threading.Thread(
                target=self._watch, args=(parent,), name="ganfleet-parent-watch", daemon=True
            )
            self._watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()
        self._done.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None


class TrainingInterrupted(KeyboardInterrupt):
    """Raised after a requested stop, once every pair is checkpointed; `signal_name` is the signal that asked
    (or None)."""

    def __init__(self, message: str = "", signal_name: str | None = None) -> None:
        super().__init__(message)
        self.signal_name = signal_name


def exit_status(exc: KeyboardInterrupt) -> int:
    """The shell's convention for a process stopped by a signal: 128 + its number (SIGINT 130, SIGTERM 143)."""
    name = getattr(exc, "signal_name", None) or "SIGINT"
    return 128 + int(signal.Signals[name])
