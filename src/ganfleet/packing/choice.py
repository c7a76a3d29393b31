"""How a run steps its pairs (`train.pack`): `fast` (the default), one at a time, in packs of K, or whichever
`auto` times fastest.

`auto` runs a few steps of each candidate on scratch copies of the run's own
pairs (the pairs themselves are not touched) and keeps the fastest per
pair-step:

- off: one pair at a time (`LoopedPairs`; timed on a few pairs: its cost per
  pair does not depend on how many there are);
- packs of 1, 4, 16, ... and of all due pairs, channels_last for conv nets
  (on CPU small packs win, on a GPU large ones should: the ladder covers both);
- one pack of all due pairs in NCHW (conv nets).
A pack that does not fit in memory is halved until it does.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ganfleet.models import is_convolutional
from ganfleet.packing.pack import PackedPairs
from ganfleet.pairs import Pair, StepRule
from ganfleet.pairs.executor import Executor, LoopedPairs

AUTO_STEPS = 3  # timed steps per candidate, after one warm-up step
CPU = torch.device("cpu")
LOOP_SAMPLE = 4  # pairs timed for the candidates whose cost per pair is independent of the count


@dataclass(frozen=True)
class PackPlan:
    """Pairs per pack (None: one pair at a time, no packing) and the memory layout of packed conv nets."""

    size: int | None
    channels_last: bool = False

    def __str__(self) -> str:
        if self.size is None:
            return "off"
        return f"{self.size}" + (" channels_last" if self.channels_last else "")


def parse_pack(setting: str | int, convolutional: bool, device: torch.device = CPU) -> PackPlan | None:
    """`off`, `K` or `fast` as a plan; None for `auto` (the plan is timed, see `choose_plan`).

    `fast` is the path measured fastest on a CPU (docs/packing.md): conv nets one
    pair at a time in channels_last (a pack of 1), 1.2-1.8x the NCHW loop; the
    MLPs one at a time. On a GPU it is `auto`: the ladder is timed in seconds there.
    """
    if setting == "fast":
        if device.type != "cpu":
            return None
        return PackPlan(1, channels_last=True) if convolutional else PackPlan(None)
    if setting == "auto":
        return None
    if setting == "off":
        return PackPlan(None)
    if isinstance(setting, str) and not setting.isdigit():  # the config lets only these names and counts through
        raise ValueError(f"train.pack: unknown setting {setting!r}")
    return PackPlan(int(setting), channels_last=convolutional)


def executor(plan: PackPlan, compile: bool = False) -> Executor:
    """What steps the pairs under `plan`: PackedPairs, or LoopedPairs for one pair at a time; `compile`:
    torch.compile'd networks."""
    return LoopedPairs(compile) if plan.size is None else PackedPairs(plan.size, plan.channels_last, compile)


def candidate_plans(n_pairs: int, convolutional: bool) -> list[PackPlan]:
    """What `auto` times for `n_pairs` due pairs."""
    sizes = [1]
    while sizes[-1] * 4 < n_pairs:
        sizes.append(sizes[-1] * 4)
    sizes.append(n_pairs)
    plans = [PackPlan(None)] + [PackPlan(size, convolutional) for size in sizes]
    if convolutional:
        plans.append(PackPlan(n_pairs, False))
    return list(dict.fromkeys(plans))


def scratch_copy(pair: Pair) -> Pair:
    """The pair with its own copies of networks, optimisers and generator EMA (sharing only the read-only data
    stream): timing steps must leave the run's pair exactly as it was."""
    g, d, opt_g, opt_d, ema = copy.deepcopy((pair.generator, pair.discriminator, pair.opt_g, pair.opt_d, pair.ema))
    return dataclasses.replace(pair, generator=g, discriminator=d, opt_g=opt_g, opt_d=opt_d, ema=ema)


def seconds_per_pair_step(plan: PackPlan, pairs: Sequence[Pair], rule: StepRule, steps: int = AUTO_STEPS) -> float:
    """Wall-clock seconds per pair-step of `plan` on scratch copies of `pairs`: the fastest of `steps` steps.

    One warm-up step first. The minimum, not the mean: on a shared machine the
    slow steps measure the neighbours, the fastest one the code.
    """
    trial = [scratch_copy(p) for p in pairs]
    run = executor(plan)
    device = trial[0].device

    def step() -> float:
        start = time.perf_counter()
        run.step(trial, rule)
        torch.zeros((), device=device).item()  # waits for the device's queued work, on any device
        return time.perf_counter() - start

    step()
    return min(step() for _ in range(steps)) / len(trial)


def time_plan(plan: PackPlan, pairs: Sequence[Pair], rule: StepRule, steps: int = AUTO_STEPS) -> tuple[PackPlan, float]:
    """(the plan as run, seconds per pair-step); a pack that does not fit in memory is halved until it does."""
    if plan.size is None or plan.size == 1:
        return plan, seconds_per_pair_step(plan, pairs[:LOOP_SAMPLE], rule, steps)
    size = plan.size
    while True:
        try:
            fitted = dataclasses.replace(plan, size=size)
            return fitted, seconds_per_pair_step(fitted, pairs[:size], rule, steps)
        except torch.OutOfMemoryError:
            if size == 1:
                raise
            size //= 2


def choose_plan(
    pairs: Sequence[Pair], rule: StepRule, steps: int = AUTO_STEPS, say: Callable[[str], None] | None = None
) -> tuple[PackPlan, dict[str, float]]:
    """The fastest candidate plan for `pairs` and every candidate's seconds per pair-step; `say` hears each
    one's timing."""
    convolutional = is_convolutional(pairs[0].generator)
    timings: dict[PackPlan, float] = {}
    candidates = candidate_plans(len(pairs), convolutional)
    for i, plan in enumerate(candidates, 1):
        started = time.perf_counter()
        fitted, seconds = time_plan(plan, pairs, rule, steps)
        timings[fitted] = seconds
        if say is not None:
            say(
                f"pack auto: timed {i}/{len(candidates)}, pack {fitted}: {seconds * 1e3:.1f} ms per pair-step "
                f"({time.perf_counter() - started:.1f} s)"
            )
    best = min(timings, key=timings.__getitem__)
    return best, {str(p): s for p, s in timings.items()}


def plan_execution(
    setting: str | int,
    pairs: Sequence[Pair],
    rule: StepRule,
    say: Callable[[str], None] | None = None,
    compile: bool = False,
) -> tuple[Executor, str]:
    """The executor for `train.pack` = `setting` on the run's pairs, and a line saying what was chosen.

    `auto` times its candidates first (eager), telling `say` what it is timing as it goes; `compile`
    (`train.compile`) then compiles the chosen executor's networks.
    """
    due = [p for p in pairs if not p.done]
    if not due:
        return LoopedPairs(), "pack: nothing left to train"
    convolutional = is_convolutional(due[0].generator)
    plan = parse_pack(setting, convolutional, due[0].device)
    if plan is not None:
        why = (
            " (fast on a CPU: conv nets one pair at a time in channels_last, the MLPs one at a time)"
            if setting == "fast"
            else ""
        )
        return executor(plan, compile), f"pack: {plan}{why}{', compiled' if compile else ''}"
    if say is not None:
        say(
            f"pack auto: timing {len(candidate_plans(len(due), convolutional))} ways to step {len(due)} pairs "
            f"({AUTO_STEPS + 1} steps each, on scratch copies)"
        )
    plan, timings = choose_plan(due, rule, say=say)
    measured = ", ".join(f"{name} {seconds * 1e3:.1f}" for name, seconds in timings.items())
    return executor(
        plan, compile
    ), f"pack auto: chose {plan}{', compiled' if compile else ''} (ms per pair-step: {measured})"
