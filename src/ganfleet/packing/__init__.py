"""Many pairs per device: K pairs trained at once through packed networks, the same as K separate pairs.

    optim.py   one optimiser over packed networks, holding K pairs' states
    pack.py    PairPack (the packed step group), grouping, PackedPairs (the executor)
    choice.py  train.pack = fast | off | K | auto: which executor, timed on the run's own pairs for auto

See docs/packing.md.
"""

from ganfleet.packing.choice import PackPlan, candidate_plans, choose_plan, plan_execution
from ganfleet.packing.pack import PackedPairs, PairPack, group_pairs, pack_key

__all__ = [
    "PackPlan",
    "PackedPairs",
    "PairPack",
    "candidate_plans",
    "choose_plan",
    "group_pairs",
    "pack_key",
    "plan_execution",
]
