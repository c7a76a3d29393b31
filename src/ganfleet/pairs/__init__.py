"""Pairs and the one adversarial step.

pair.py      Networks (a step group of one), Pair (a member's networks, optimisers, data stream, seed, progress)
step.py      StepRule, the adversarial step (written once for single pairs and packs) and its StepLogs
ema.py       the generator's moving average (StyleGAN2-ADA's half-life in images)
executor.py  the Executor protocol and LoopedPairs (one pair at a time)
build.py     members -> pairs (networks from the model spec, Adam, batch stream, budget); the step rule
"""

from ganfleet.pairs.build import base_spec, make_pair, member_spec, pair_seed, step_rule, target_steps
from ganfleet.pairs.pair import Networks, Pair
from ganfleet.pairs.step import (
    StepGroup,
    StepLogs,
    StepRule,
    TrainingGroup,
    adversarial_step,
    by_pair,
    clip_weights,
    discriminator_loss,
    discriminator_optimiser_step,
    discriminator_update,
    frozen,
    generator_loss,
    generator_optimiser_step,
    generator_update,
)

__all__ = [
    "Networks",
    "Pair",
    "StepGroup",
    "StepLogs",
    "StepRule",
    "TrainingGroup",
    "adversarial_step",
    "base_spec",
    "by_pair",
    "clip_weights",
    "discriminator_loss",
    "discriminator_optimiser_step",
    "discriminator_update",
    "frozen",
    "generator_loss",
    "generator_optimiser_step",
    "generator_update",
    "make_pair",
    "member_spec",
    "pair_seed",
    "step_rule",
    "target_steps",
]
