"""SGAN's G_0 on the 8-mode ring: Algorithm 1 (messengers only, I_D = 1) collapses to one mode; trained against
D_0 too (`sgan.g0_against` messengers-and-d0), it spreads over the ring. Fixed seed, one thread: deterministic."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from ganfleet import Fleet
from ganfleet.config import RunConfig, apply_values
from ganfleet.train import train

pytestmark = pytest.mark.slow


def sectors_held(run: Path) -> int:
    """Of the ring's 8 sectors (one per mode), how many hold at least 5 % of 1,000 samples of G_0."""
    x = Fleet.load(run).sample(1000, seed=0)  # G_0: the fleet's default member without --split-by-class
    angle = torch.atan2(x[:, 1], x[:, 0]) + math.pi / 8
    sector = (angle.remainder(2 * math.pi) // (math.pi / 4)).long()
    return int((torch.bincount(sector, minlength=8) >= 50).sum())


def g0_run(out: Path, g0_against: str) -> Path:
    values = {
        "data.name": "toy",
        "data.mixture": "ring8",
        "model.width": 0.25,
        "loss.name": "ns",
        "optim.lr_g": 1e-3,
        "optim.lr_d": 1e-3,
        "train.batch_size": 64,
        "train.seed": 0,
        "train.device": "cpu",
        "train.threads": 1,
        "train.strategy": "sgan",
        "sgan.locals": 2,
        "sgan.messenger_steps": 1,
        "sgan.g0_against": g0_against,
        "budget.steps": 1000,
        "cadence.log_every": 500,
        "cadence.grid_every": 0,
        "cadence.checkpoint_every": 0,
        "out": str(out),
    }
    train(apply_values(RunConfig(), values), progress=False)
    return out


def test_g0_collapses_against_messengers_alone_and_spreads_against_d0_too(tmp_path: Path) -> None:
    # measured at seeds 0 and 1: 1 sector against 8 (the whole ring) after 1,000 iterations
    assert sectors_held(g0_run(tmp_path / "algorithm-1", "messengers")) <= 2
    assert sectors_held(g0_run(tmp_path / "with-d0", "messengers-and-d0")) >= 6
