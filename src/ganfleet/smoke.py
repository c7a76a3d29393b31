"""GANFLEET_SMOKE=1: every budget shrunk to a few steps and a few hundred samples, to check that commands run.

The README walk test (`tests/test_readme.py`) runs every command of the
README with it, so the documentation and the behaviour cannot drift apart in
a few minutes of CI. Results under it mean nothing; each command that
shrinks something says so on stderr.
"""

from __future__ import annotations

import os
import sys

ENV = "GANFLEET_SMOKE"
STEPS = 2  # generator steps per pair, classifier training steps / 20
SAMPLES = 200  # evaluation samples, CAS training images, exported images per class / 20

_warned: set[str] = set()


def active() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


def cap(value: int, limit: int, what: str = "") -> int:
    """`value`, or at most `limit` under GANFLEET_SMOKE (saying so once per `what`)."""
    if not active() or value <= limit:
        return value
    if what and what not in _warned:
        _warned.add(what)
        print(f"ganfleet: {ENV} is set: {what} capped at {limit} (was {value})", file=sys.stderr)
    return limit
