"""Named configurations as functions (the paper's settings live in configs/*.yaml)."""

from __future__ import annotations

from ganfleet.config import DataConfig, RunConfig, apply_values
from ganfleet.data import load_raw
from ganfleet.errors import DataError


def fashion_mnist_available() -> bool:
    try:
        load_raw(DataConfig(name="fashion-mnist"))
    except DataError:
        return False
    return True


def demo_config(out: str) -> RunConfig:
    """A class-parallel fleet that trains in about 4 minutes on 2 CPU cores.

    Fashion-MNIST when it is installed, else scikit-learn's digits; the
    standard-BatchNorm preset at a quarter of the paper's width, so each of
    the 10 pairs gets a few hundred steps in the time budget.
    """
    data = "fashion-mnist" if fashion_mnist_available() else "digits"
    return apply_values(RunConfig(), {
        "data.name": data,
        "model.arch": "dcgan",
        "model.width": 0.25,
        "train.strategy": "class-parallel",
        "loss.name": "ns",
        "budget.steps": 600 if data == "fashion-mnist" else 400,
        "cadence.log_every": 25,
        "cadence.grid_every": 100,
        "cadence.checkpoint_every": 100,
        "out": out,
    })
