"""A member of a fleet: one generator/discriminator pair that a strategy trains."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A pair a strategy trains: its name, the class it generates and the classes it learns from.

    `label` is the class a class-parallel pair generates (None for a pair over
    several classes); `conditional` says whether its networks take labels.
    """

    name: str
    label: int | None
    conditional: bool
    classes: tuple[int, ...]
