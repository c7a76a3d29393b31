"""The adaptive budget in a run (`budget.allocate: adaptive`): measure the class pairs, share out what is left.

Every class pair first trains `budget.adaptive_after` of its equal budget. Then each rank measures its
pairs' per-class FID (the canonical classifier, `TrainingEvaluator.class_scores`); rank 0 shares the
steps left of the fleet's equal total out by those scores (`allocate.allocate`: worse classes get more) and
every rank sets its pairs' budgets from that. The allocation is recorded in the manifest (members'
target steps, and `allocation`), so a resumed run keeps it. The total, and so budget (b)'s images, stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from ganfleet.evaluation.during_training import TrainingEvaluator
from ganfleet.pairs import Pair
from ganfleet.pairs.build import images_per_step
from ganfleet.train.allocate import allocate
from ganfleet.train.context import RunContext
from ganfleet.train.run_plan import RunPlan, equal_budgets


def adapt_budgets(
    context: RunContext,
    plan: RunPlan,
    manifest: dict,
    pairs: Sequence[Pair],
    evaluator: TrainingEvaluator | None = None,
) -> dict[str, Any]:
    """Measure, share out and record (see the module docstring); returns the allocation.

    `evaluator`: the run's `--eval-every` one, whose test features and classifier are loaded already.
    """
    cluster, config = context.cluster, context.config
    evaluator = evaluator or TrainingEvaluator(config, manifest, plan.dataset)
    with context.telemetry.timed("eval"):
        mine = cluster.agree(partial(evaluator.class_scores, pairs))
    everyone = cluster.gather(mine)

    def decide() -> dict[str, Any]:
        assert everyone is not None
        scores = {name: score for rank in everyone for name, score in rank.items()}
        equal = equal_budgets(config, plan)
        first = {name: plan.budgets[name] for name in equal}
        extra = allocate(scores, sum(equal.values()) - sum(first.values()))
        return {"after": first, "scores": scores, "steps": {name: first[name] + extra[name] for name in equal}}

    allocation = cluster.on_writer(decide)
    steps = allocation["steps"]
    for pair in pairs:
        pair.target_steps = steps[pair.name]
    per_step = images_per_step(config)
    manifest["allocation"] = allocation
    manifest["members"] = [
        {**m, "target_steps": steps[m["name"]], "target_images": per_step * steps[m["name"]]}
        if m["name"] in steps
        else m
        for m in manifest["members"]
    ]
    cluster.on_writer(partial(context.run.write_manifest, manifest, status="running"))
    return allocation
