"""Stopping between steps: SIGINT/SIGTERM ask the loop to checkpoint and stop cleanly.

A signal landing mid-step would otherwise leave a pair half-updated (the
discriminator stepped, the generator not); the loop checks the flag only
between iterations, so every checkpoint holds a whole step. A second SIGINT
stops at once (the previous checkpoints stay valid: they are written atomically).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


class StopRequest:
    """Context manager that turns SIGINT/SIGTERM into a flag (main thread only; elsewhere a no-op)."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()


class TrainingInterrupted(KeyboardInterrupt):
    """Raised after a requested stop, once every pair is checkpointed; `signal_name` is the signal that asked (or None)."""

    def __init__(self, message: str = "", signal_name: str | None = None) -> None:
        super().__init__(message)
        self.signal_name = signal_name


def exit_status(exc: KeyboardInterrupt) -> int:
    """The shell's convention for a process stopped by a signal: 128 + its number (SIGINT 130, SIGTERM 143)."""
    name = getattr(exc, "signal_name", None) or "SIGINT"
    return 128 + int(signal.Signals[name])
