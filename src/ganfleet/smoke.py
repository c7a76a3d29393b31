"""GANFLEET_SMOKE=1: every budget shrunk to a few steps and a few hundred samples, to check that commands run.

The README walk test (`tests/test_readme.py`) runs every command of the
README with it, so the documentation and the behaviour cannot drift apart in
a few minutes of CI. Results under it mean nothing; each command that
shrinks something says so on stderr.

The environment is read once, where a command builds its typed options
(`limit`): the run config's budget, the evaluation options, the classifier
training's caps, sample's --per-class. The rest of the code sees only those
options; `cap` applies a limit they carry and says so once per quantity.
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


def limit(value: int) -> int | None:
    """`value` under GANFLEET_SMOKE, else None (no limit): what a command's options carry as a cap."""
    return value if active() else None


def cap(value: int, limit: int | None, what: str = "") -> int:
    """`value`, or at most `limit` when there is one (saying so once per `what`)."""
    if limit is None or value <= limit:
        return value
    say(what, limit, value)
    return limit


def say(what: str, limit: int, was: object) -> None:
    """The one stderr line for a capped quantity (once per `what`)."""
    if what and what not in _warned:
        _warned.add(what)
        print(f"ganfleet: {ENV} is set: {what} capped at {limit} (was {was})", file=sys.stderr)
