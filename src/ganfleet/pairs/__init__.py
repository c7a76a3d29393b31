"""Pairs and the one adversarial step.

pair.py      Networks (a step group of one), Pair (a member's networks, optimisers, data stream, seed, progress)
step.py      StepRule and the adversarial step, written once for single pairs and packs
ema.py       the generator's exponential moving average, the generator a fleet samples from
executor.py  how a run's pairs are stepped each iteration: the protocol, and one pair at a time
build.py     members -> pairs (networks from the model spec, Adam, batch stream, budget); the step rule
"""

from ganfleet.pairs.build import base_spec, make_pair, member_spec, pair_seed, step_rule, target_steps
from ganfleet.pairs.pair import Networks, Pair
from ganfleet.pairs.step import (
    StepGroup,
    StepRule,
    TrainingGroup,
    adversarial_step,
    clip_weights,
    discriminator_loss,
    discriminator_update,
    frozen,
    generator_loss,
    generator_update,
)

__all__ = [
    "Networks",
    "Pair",
    "StepGroup",
    "StepRule",
    "TrainingGroup",
    "adversarial_step",
    "base_spec",
    "clip_weights",
    "discriminator_loss",
    "discriminator_update",
    "frozen",
    "generator_loss",
    "generator_update",
    "make_pair",
    "member_spec",
    "pair_seed",
    "step_rule",
    "target_steps",
]
