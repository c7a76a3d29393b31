"""The training loop, and what it needs to start and step a run.

loop.py         train(): set-up, the loop (one clock, one maintenance block per iteration)
finish.py       the end of a run: the final grid, telemetry.json, the manifest's status
context.py      RunContext: one rank's view of a run (config, cluster, folder, lock, telemetry, threads)
run_plan.py     the run's data, strategy, members, budgets and manifest; pairs built and restored
execution.py    how this rank's pairs are stepped (looped, packed, SGAN's global pair)
schedule.py     the due pairs, changed only when one finishes or stops
adaptive.py     an adaptive budget in a run: score the class pairs, share out the rest, record it
allocate.py     the adaptive budget's allocation: a pure function of per-class scores
ticks.py        per-tick statistics on stacked tensors, the tick's one record, its writers' protocol, progress.json
progress.py     the bar or plain tick lines
estimate.py     the plan line and the resolved config (--dry-run)
sample_grid.py  the loop's sample grids
interrupt.py    SIGINT/SIGTERM (or a launcher's death) stop between steps
health.py       pairs whose values stop being finite are stopped; the run fails naming them
merge.py        ganfleet merge: runs of disjoint classes trained apart, as one run
distill.py      ganfleet distill: one conditional pair trained on a fleet's samples, the fleet's member `distilled`
"""

from ganfleet.train.loop import TrainResult, train
from ganfleet.train.run_plan import RunPlan, plan_run

__all__ = ["RunPlan", "TrainResult", "plan_run", "train"]
