"""Many pairs per device: K pairs trained at once through packed networks, the same as K separate pairs.

    optim.py  one optimiser over packed networks, holding K pairs' states
    pack.py   PairPack (the packed step group), grouping, PackedPairs (the executor)
    plan.py   train.pack = off | K | auto: which executor, timed on the run's own pairs for auto

See docs/packing.md.
"""

from ganfleet.packing.pack import PackedPairs, PairPack, group_pairs, pack_key
from ganfleet.packing.plan import PackPlan, candidate_plans, choose_plan, plan_execution

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
