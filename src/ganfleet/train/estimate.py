"""What a run is and will cost, said before it trains: its config with every `auto`/`null` resolved, pairs,
steps, images.

`train` prints the plan line; `train --dry-run` prints the resolved config
(after loading the data, so that e.g. a class index the data does not have is
an error there and then) and the plan line, and trains nothing.
"""

from __future__ import annotations

from typing import Any

from ganfleet.config import RunConfig, apply_values
from ganfleet.data.idx import DEFAULT_FOLDERS, find_idx_files
from ganfleet.devices import resolve_device
from ganfleet.distributed.threads import choose_threads
from ganfleet.pairs.build import DEFAULT_EPOCHS, images_per_step
from ganfleet.strategies.sgan import DEFAULT_LOCALS
from ganfleet.train.progress import format_kimg
from ganfleet.train.run_plan import RunPlan

CPU_PRESET_HINT_WIDTH = 0.5  # at or above this width on a CPU, point at --preset cpu


def plan_summary(config: RunConfig, plan: RunPlan, device: str) -> str:
    """One line: pairs, architecture and width, steps per pair, pair-steps and images of the whole job
    (a warm start's included)."""
    warm = plan.strategy.warm_start
    steps = sorted(s for name, s in plan.budgets.items() if name != warm)
    per_step = images_per_step(config)
    pair_steps = sum(plan.budgets.values())
    each = f"{steps[0]}" if steps[0] == steps[-1] else f"{steps[0]}..{steps[-1]}"
    arch = plan.manifest["model"]["arch"]
    kind = "conditional warm start" if config.shared.conditional else "warm start"
    first = f"a {kind} of {plan.budgets[warm]} steps on every class, then " if warm is not None else ""
    line = (
        f"plan: {first}{len(steps)} pair(s) ({plan.strategy.name}, {arch} at width {config.model.width:g}, on "
        f"{device}), {each} steps each: {pair_steps:,} pair-steps, {format_kimg(pair_steps * per_step / 1000)} "
        f"kimg ({per_step} real images per step)"
    )
    if device == "cpu" and arch != "mlp" and config.model.width >= CPU_PRESET_HINT_WIDTH:
        line += (
            f"; width {config.model.width:g} is slow on a CPU: --preset cpu trains at width 0.25, several times faster"
        )
    return line


def resume_line(start_steps: dict[str, int], budgets: dict[str, int], restart_count: int = 0) -> str | None:
    """'resuming from step N of M' for pairs restored at `start_steps` (None for a fresh start); N and M sum over
    the pairs, with the range of their own steps when they differ, and a launcher's restart said first."""
    done, total = sum(start_steps.values()), sum(budgets[name] for name in start_steps)
    if done == 0 and restart_count == 0:
        return None
    low, high = min(start_steps.values(), default=0), max(start_steps.values(), default=0)
    each = "" if len(start_steps) == 1 else f" (each pair at step {low}" + (f"..{high})" if high > low else ")")
    restart = f"restart {restart_count} after a failure: " if restart_count else ""
    return f"{restart}resuming from step {done:,} of {total:,}{each}"


def resolved_values(config: RunConfig, plan: RunPlan, ranks_on_node: int = 1) -> dict[str, Any]:
    """The value each `auto` or `null` key of `config` takes in this run, `train.threads` as it would be chosen
    now. Left out: `train.pack` auto (timed when training starts) and `data.path` of bundled or generated data."""
    values: dict[str, Any] = {
        "model.arch": config.resolved_arch,
        "model.d_norm": config.resolved_d_norm,
        "model.d_dropout": config.resolved_d_dropout,
        "loss.n_critic": config.loss.critic_steps,
        "train.device": str(resolve_device(config.train.device)),
        "train.threads": choose_threads(config.train.threads, ranks_on_node).threads,
    }
    if config.data.path is None and config.data.name in DEFAULT_FOLDERS:  # the folder it was found in
        values["data.path"] = str(find_idx_files(config.data.name, config.data.split, None)[0].parent)
    if plan.dataset.is_image:
        values["data.image_size"] = plan.dataset.sample_shape[-1]
    if all(getattr(config.budget, key) is None for key in config.budget.KEYS):
        values["budget.epochs"] = DEFAULT_EPOCHS
    if config.train.strategy == "sgan":
        values["sgan.messenger_steps"] = config.sgan.messenger_steps or config.loss.critic_steps
        if not config.sgan.split_by_class:
            values["sgan.locals"] = config.sgan.locals or DEFAULT_LOCALS
    return values


def resolved_config(config: RunConfig, plan: RunPlan, ranks_on_node: int = 1) -> RunConfig:
    """`config` as this run builds it: every `auto`/`null` that the plan decides, filled in (and validated again)."""
    return apply_values(config, resolved_values(config, plan, ranks_on_node))
