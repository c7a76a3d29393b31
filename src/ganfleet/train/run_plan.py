"""What a run is before it trains: its data, strategy, members, budgets and manifest; its pairs, built or restored.

Every rank of a job works the plan out alike (`plan_run`); each then builds
and restores only its own pairs (`build_pairs`). Rank 0 owns the run
directory's shared files (`check_out_dir`, `start_run`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import NamedTuple

import torch

import ganfleet
from ganfleet.config import RunConfig
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.distributed import LaunchEnv
from ganfleet.errors import CheckpointError, ConfigError
from ganfleet.models.conditioning import fold_adam_state, fold_discriminator_label, fold_generator_label
from ganfleet.pairs import Pair, base_spec, make_pair, target_steps
from ganfleet.pairs.build import images_per_step, shared_steps
from ganfleet.rundir import (
    MANIFEST_FORMAT,
    PairState,
    RunDir,
    RunLock,
    check_contained,
    check_resumable,
    claim_out_dir,
    list_checkpoints,
    load_latest,
    remove_temporaries,
    save_pair,
    trained_member,
)
from ganfleet.rundir.resume import config_digest
from ganfleet.strategies import Member, Strategy, get_strategy
from ganfleet.strategies.sgan import DEFAULT_LOCALS


class RunPlan(NamedTuple):
    """What every rank works out alike before training: data, strategy, members, step budgets, manifest."""

    dataset: ClassPartitionedDataset
    strategy: Strategy
    members: list[Member]
    budgets: dict[str, int]
    manifest: dict


def configured_strategy(config: RunConfig) -> Strategy:
    """The strategy `train.strategy` with the options its config section gives it (sgan's locals)."""
    if config.train.strategy == "sgan":
        return get_strategy(
            "sgan", n_locals=config.sgan.locals or DEFAULT_LOCALS, split_by_class=config.sgan.split_by_class
        )
    if config.train.strategy == "class-parallel":
        return get_strategy(
            "class-parallel", shared=config.shared.kimg > 0, conditional_shared=config.shared.conditional
        )
    return get_strategy(config.train.strategy)


def manifest_for(
    config: RunConfig,
    dataset: ClassPartitionedDataset,
    strategy: Strategy,
    members: list[Member],
    targets: dict[str, int],
) -> dict:
    """Everything needed to rebuild and sample the fleet, without the training code."""
    return {
        "format": MANIFEST_FORMAT,
        "ganfleet_version": ganfleet.__version__,
        "torch_version": torch.__version__,
        "strategy": strategy.name,
        "model": base_spec(config, dataset).to_dict(),
        "data": {
            "source": dataset.source,
            "fingerprint": dataset.fingerprint(),
            "class_names": dataset.class_names,
            "class_ids": dataset.ids,
            "counts": dataset.counts,
            "prior": dataset.prior,
        },
        "budget": {
            **{key: getattr(config.budget, key) for key in config.budget.KEYS},
            "images_per_step": images_per_step(config),
            "target_images": images_per_step(config) * sum(targets.values()),
        },
        "members": [
            {
                "name": m.name,
                "label": m.label,
                "conditional": m.conditional,
                "classes": list(m.classes),
                "target_steps": targets[m.name],
                "target_images": images_per_step(config) * targets[m.name],
            }
            for m in members
        ],
    }


def plan_run(
    config: RunConfig, dataset: ClassPartitionedDataset | None = None, kept: Mapping[str, int] | None = None
) -> RunPlan:
    """The run's data (loaded unless given), strategy, members, their budgets and the manifest.

    `kept`: the step budgets a resumed run's manifest gives its members; with `budget.classes`, the pairs of
    other classes keep theirs (`further_budgets`).
    """
    dataset = (dataset if dataset is not None else load_dataset(config.data)).require_every_class()
    strategy = configured_strategy(config)
    members = strategy.members(dataset)
    own = {m.name: target_steps(config, sum(dataset.counts[c] for c in m.classes)) for m in members}
    if strategy.warm_start is not None:
        own[strategy.warm_start] = warm_start_steps(config, own, strategy.warm_start)
    if config.budget.classes is not None:
        own = further_budgets(config, dataset, members, own, kept)
    elif config.budget.allocate == "adaptive":
        own = dict(kept) if kept else first_part(config, own, strategy.warm_start)
    budgets = strategy.budgets(own)
    return RunPlan(dataset, strategy, members, budgets, manifest_for(config, dataset, strategy, members, budgets))


def check_same_run(run: RunDir, saved: dict, plan: RunPlan) -> None:
    """ConfigError unless a resumed run goes on with the data it was trained on (same fingerprint), the pairs
    its manifest lists and a checkpoint for every pair that had trained: nothing starts again silently."""
    before, now = saved["data"].get("fingerprint"), plan.manifest["data"]["fingerprint"]
    if before != now:
        raise ConfigError(
            f"{run.manifest_path}: the run was trained on other data (fingerprint {str(before)[:16]}, the data now "
            f"{now[:16]}): the images or classes changed; train a new run with another --out"
        )
    for member in saved["members"]:
        if member.get("step", 0) > 0 and not list_checkpoints(run.pair_dir(member["name"])):
            raise ConfigError(
                f"{run.pair_dir(member['name'])}: no checkpoint, but the manifest says the pair trained to step "
                f"{member['step']}; restore the folder, or train a new run with another --out"
            )
    had = [m["name"] for m in saved["members"] if trained_member(m)]
    makes = [m.name for m in plan.members]
    if sorted(had) != sorted(makes):
        old = sorted(set(had) - set(makes))
        raise ConfigError(
            f"{run.manifest_path}: the run has pairs {', '.join(had[:4])}{'...' if len(had) > 4 else ''} but its "
            f"config makes {', '.join(makes[:4])}{'...' if len(makes) > 4 else ''}"
            + (
                f" ({old[0]} is not among them: a run of --classes started before pairs were named by their class in "
                "the whole data; go on with the ganfleet that started it)"
                if old
                else ""
            )
        )


def kept_budgets(manifest: dict, config: RunConfig) -> dict[str, int] | None:
    """The step budgets a resumed run's `manifest` gives its members, when they are what it trains to:
    with `budget.classes` (the other pairs keep theirs) or an adaptive budget already shared out; else None."""
    if config.budget.classes is None and not manifest.get("allocation"):
        return None
    return {m["name"]: m["target_steps"] for m in manifest["members"]}


def first_part(config: RunConfig, budgets: dict[str, int], warm_start: str | None) -> dict[str, int]:
    """An adaptive budget's first part: `budget.adaptive_after` of each class pair's equal budget (the rest is
    shared out after it, `train/allocate.py`)."""
    share = config.budget.adaptive_after
    return {name: s if name == warm_start else max(1, round(share * s)) for name, s in budgets.items()}


def equal_budgets(config: RunConfig, plan: RunPlan) -> dict[str, int]:
    """Each class pair's equal budget, whatever the plan gives it now (an adaptive budget's total is theirs)."""
    members = [m for m in plan.members if m.name != plan.strategy.warm_start]
    return {m.name: target_steps(config, sum(plan.dataset.counts[c] for c in m.classes)) for m in members}


def further_budgets(
    config: RunConfig,
    dataset: ClassPartitionedDataset,
    members: Sequence[Member],
    budgets: dict[str, int],
    kept: Mapping[str, int] | None,
) -> dict[str, int]:
    """`budgets` for the class pairs of `budget.classes`, the budgets in `kept` for every other member."""
    chosen = config.budget.classes or []
    if config.train.strategy != "class-parallel":
        raise ConfigError(
            f"budget.classes: only class-parallel runs have one pair per class (strategy is {config.train.strategy!r})"
        )
    if kept is None:
        raise ConfigError("budget.classes: trains chosen classes of an existing run further; use it with --resume")
    unknown = [c for c in chosen if not 0 <= c < dataset.n_classes]
    if unknown:
        raise ConfigError(f"budget.classes: class {unknown[0]} is not in this run (classes 0..{dataset.n_classes - 1})")
    missing = [m.name for m in members if m.name not in kept]
    if missing:
        raise ConfigError(f"budget.classes: the run's manifest has no budget for member {missing[0]}")
    return {m.name: budgets[m.name] if m.label in chosen else kept[m.name] for m in members}


MAX_WARM_SHARE = Fraction(3, 4)  # of a run's images, the most a warm start may take: the class pairs keep the rest


def warm_start_steps(config: RunConfig, budgets: dict[str, int], name: str) -> int:
    """The shared pair's steps (`shared.kimg`); ConfigError when it would take more than `MAX_WARM_SHARE` of
    the run's images (`MAX_WARM_SHARE / (1 - MAX_WARM_SHARE)` times what the pairs that start from it see)."""
    steps = shared_steps(config)
    others = sum(steps for member, steps in budgets.items() if member != name)
    ratio = MAX_WARM_SHARE / (1 - MAX_WARM_SHARE)
    most = others * ratio
    if steps > most:
        per_step = images_per_step(config)
        raise ConfigError(
            f"shared.kimg: the warm start ({steps * per_step / 1000:g} kimg) would take more than {MAX_WARM_SHARE} "
            f"of the run's images: the class pairs train on {others * per_step / 1000:g} kimg together; expected "
            f"at most {float(most * per_step) / 1000:g} kimg ({float(ratio):g} times theirs)"
        )
    return steps


def check_out_dir(run: RunDir, config: RunConfig, resume: bool, force: bool, env: LaunchEnv, lock: RunLock) -> bool:
    """Whether the run resumes (--resume, or a torchrun restart of the job that started it).

    Nothing is written yet: an error if --out is someone else's folder
    (`claim_out_dir`; `force` trains there when no ganfleet name is taken), if
    it holds a run but `resume` is off (or the settings changed), or if another
    live process holds its lock (`start_run` takes it once the data has loaded).
    """
    claim_out_dir(run, force)
    restarted = env.is_restart and run.exists() and env.continues(run.read_manifest().get("launch"))
    resume = resume or restarted
    if run.exists() and not resume:
        raise CheckpointError(
            f"{run.path}: a run already exists here; pass --resume to continue it or choose another --out"
        )
    if resume:
        if not run.exists():
            raise CheckpointError(f"{run.path}: nothing to resume (no manifest.json)")
        run.read_manifest()  # checked: a damaged manifest is reported, not silently rewritten
        check_contained(run.path)  # no log, grid or record written through a link out of the run
        check_resumable(run, config)
    lock.check()
    return resume


def start_run(run: RunDir, config: RunConfig, manifest: dict, lock: RunLock) -> None:
    """The run's lock (creating its folder), then its first files: the resolved config and a manifest saying it
    is running."""
    lock.acquire()
    # a writer killed mid-write in an earlier attempt, this job's or one of more ranks (every rank waits here)
    for folder in [run.path, *sorted((run.path / "ranks").glob("rank-*"))]:
        if not folder.is_symlink():
            remove_temporaries(folder)
    run.write_json(run.config_path, config.to_dict())
    manifest["config_sha256"] = config_digest(run)  # a later hand edit is refused on --resume (`check_resumable`)
    run.write_manifest(manifest, status="running")


def restore(pair: Pair, run: RunDir) -> None:
    """Load the pair's newest valid checkpoint, if any (a corrupt newest one falls back with a warning);
    CheckpointError when it has checkpoints but none is valid (rather than training it again from scratch)."""
    folder = run.pair_dir(pair.name)
    try:
        state = load_latest(folder)
    except CheckpointError as exc:
        raise CheckpointError(f"{exc}; restore one, or train a new run with another --out") from None
    if state is None:
        return
    if pair.ema is not None and state.ema is None:
        raise CheckpointError(
            f"{folder}: the checkpoint of step {state.step} keeps no generator EMA but this run does (ema.kimg > 0)"
        )
    try:
        pair.generator.load_state_dict(state.generator)
        pair.discriminator.load_state_dict(state.discriminator)
        pair.opt_g.load_state_dict(state.opt_g)
        pair.opt_d.load_state_dict(state.opt_d)
        if pair.ema is not None:
            assert state.ema is not None  # refused above
            pair.ema.load_state_dict(state.ema)
    except (RuntimeError, ValueError, KeyError) as exc:  # another width, architecture or optimiser
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = (lines[1] if len(lines) > 1 else lines[0] if lines else type(exc).__name__)[:200]
        raise CheckpointError(
            f"{run.pair_dir(pair.name)}: the checkpoint of step {state.step} does not fit this run's networks "
            f"({detail}); it belongs to a run with other model settings"
        ) from None
    pair.step = state.step


def fork(pairs: Sequence[Pair], run: RunDir, name: str, optimizer: str, conditional: bool = False) -> None:
    """Start each of `pairs` as a copy of member `name`'s newest checkpoint (the warm start's end): generator,
    discriminator and EMA; Adam's state copied too (`optimizer` copy) or left fresh (reset). Their steps stay 0.
    A `conditional` warm start's networks are folded into each class pair's with its label fixed
    (`models.conditioning`)."""
    if not pairs:
        return
    state = load_latest(run.pair_dir(name))
    if state is None:
        raise CheckpointError(f"{run.pair_dir(name)}: the warm start left no checkpoint to start the class pairs from")
    for pair in pairs:
        start = folded(state, pair) if conditional else state
        pair.generator.load_state_dict(start.generator)
        pair.discriminator.load_state_dict(start.discriminator)
        if pair.ema is not None and start.ema is not None:
            pair.ema.load_state_dict(start.ema)
        if optimizer == "copy":  # each its own copy: Optimizer.load_state_dict keeps the tensors it is given
            pair.opt_g.load_state_dict(copy.deepcopy(start.opt_g))
            pair.opt_d.load_state_dict(copy.deepcopy(start.opt_d))


def folded(state: PairState, pair: Pair) -> PairState:
    """The conditional warm start's `state` with `pair`'s label fixed, in the shapes of `pair`'s networks."""
    label = pair.member.label
    assert label is not None  # a class pair
    target = pair.generator.state_dict()
    return replace(
        state,
        generator=fold_generator_label(state.generator, target, label),
        discriminator=fold_discriminator_label(state.discriminator, label),
        ema=None if state.ema is None else fold_generator_label(state.ema, target, label),
        opt_g=fold_adam_state(state.opt_g, list(pair.generator.parameters())),
        opt_d=fold_adam_state(state.opt_d, list(pair.discriminator.parameters())),
    )


def checkpoint(pair: Pair, run: RunDir, keep: int) -> None:
    """Save the pair's state as its newest checkpoint (NonFiniteState, nothing written, if it holds NaN or infinity)."""
    save_pair(
        run.pair_dir(pair.name),
        pair.name,
        pair.step,
        pair.generator,
        pair.discriminator,
        pair.opt_g,
        pair.opt_d,
        keep,
        ema=pair.ema,
    )


def build_pairs(
    config: RunConfig,
    plan: RunPlan,
    dataset: ClassPartitionedDataset,
    names: Sequence[str],
    device: torch.device,
    run: RunDir,
    resume: bool,
) -> list[Pair]:
    """The pairs of `names` with the strategy's budgets, each restored from its newest valid checkpoint when the run
    resumes (reading only: a checkpoint that does not fit is found before anything is written)."""
    pairs = [make_pair(config, dataset, m, device) for m in plan.members if m.name in names]
    for pair in pairs:
        pair.target_steps = plan.budgets[pair.name]  # the strategy's, which may depend on every rank's pairs
    if resume:
        for pair in pairs:
            restore(pair, run)
    return pairs
