"""The one training loop every strategy runs through.

Each iteration asks the strategy to advance every pair that has not reached its
budget by one step. Bookkeeping happens once per *tick* (every `log_every`
iterations), never inside a step: loss means are synchronised and logged,
progress is shown; checkpoints and sample grids have their own cadences.

The same loop runs on every rank of a multi-process job: a `Cluster` says
which pairs are this rank's, runs the run directory's shared writes on rank 0
and carries failures and stop requests between ranks. A single process is a
Cluster of one, with no process group and no collectives.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from tqdm import tqdm

import ganfleet
from ganfleet.config import RunConfig
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.distributed import Cluster, RankFailed, Telemetry, join, summarize
from ganfleet.errors import CheckpointError
from ganfleet.evaluation.during_training import TrainingEvaluator
from ganfleet.losses import get_loss
from ganfleet.strategies import Strategy, configured_strategy
from ganfleet.train.build import base_spec, make_pair, resolve_device, target_steps
from ganfleet.train.checkpoint import atomic_write_text, load_latest, remove_temporaries, save_pair
from ganfleet.train.interrupt import StopRequest, TrainingInterrupted
from ganfleet.train.metrics_log import MetricsLog
from ganfleet.train.pair import Member, Pair, StepRule
from ganfleet.train.resume import check_resumable
from ganfleet.train.rundir import MANIFEST_FORMAT, RunDir
from ganfleet.train.sample_grid import GridBlocks, grid_blocks, grid_labels, save_grid


@dataclass
class TrainResult:
    """What a finished (or interrupted) run reports."""

    run_dir: Path
    steps: dict[str, int]  # every pair's, whichever rank trained it
    seconds: float  # wall-clock of the slowest rank
    images: int  # summed over ranks
    rank: int = 0  # the rank that returns this (rank 0 prints it)
    telemetry: dict | None = None  # every rank's telemetry (`ganfleet.distributed.telemetry.summarize`)

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0


def step_rule(config: RunConfig) -> StepRule:
    cfg = config.train
    return StepRule(get_loss(cfg.loss), cfg.critic_steps, cfg.penalty_weight, cfg.clip_value)


def manifest_for(config: RunConfig, dataset: ClassPartitionedDataset, strategy: Strategy,
                 members: list[Member], targets: dict[str, int]) -> dict:
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
            "counts": dataset.counts,
            "prior": dataset.prior,
        },
        "members": [
            {"name": m.name, "label": m.label, "conditional": m.conditional, "classes": list(m.classes), "target_steps": targets[m.name]}
            for m in members
        ],
    }


def restore(pair: Pair, run: RunDir) -> None:
    """Load the pair's newest valid checkpoint, if any (a corrupt newest one falls back with a warning)."""
    state = load_latest(run.pair_dir(pair.name))
    if state is None:
        return
    pair.generator.load_state_dict(state.generator)
    pair.discriminator.load_state_dict(state.discriminator)
    pair.opt_g.load_state_dict(state.opt_g)
    pair.opt_d.load_state_dict(state.opt_d)
    pair.step = state.step


def checkpoint(pair: Pair, run: RunDir, keep: int) -> None:
    save_pair(run.pair_dir(pair.name), pair.name, pair.step, pair.generator, pair.discriminator, pair.opt_g, pair.opt_d, keep)


class RunPlan(NamedTuple):
    """What every rank works out alike before training: data, strategy, members, step budgets, manifest."""

    dataset: ClassPartitionedDataset
    strategy: Strategy
    members: list[Member]
    budgets: dict[str, int]
    manifest: dict


def plan_run(config: RunConfig, dataset: ClassPartitionedDataset | None) -> RunPlan:
    dataset = (dataset if dataset is not None else load_dataset(config.data)).require_every_class()
    strategy = configured_strategy(config.train)
    members = strategy.members(dataset)
    budgets = strategy.budgets({m.name: target_steps(config.train, sum(dataset.counts[c] for c in m.classes)) for m in members})
    return RunPlan(dataset, strategy, members, budgets, manifest_for(config, dataset, strategy, members, budgets))


def check_out_dir(run: RunDir, config: RunConfig, resume: bool, cluster: Cluster) -> bool:
    """Whether the run resumes: --resume, or a torchrun restart of the job that started it; errors if --out does not fit."""
    resume = resume or cluster.continues(run)
    if run.exists() and not resume:
        raise CheckpointError(f"{run.path}: a run already exists here; pass --resume to continue it or choose another --out")
    if resume:
        if not run.exists():
            raise CheckpointError(f"{run.path}: nothing to resume (no manifest.json)")
        check_resumable(run, config)
    return resume


def start_run(run: RunDir, config: RunConfig, manifest: dict) -> None:
    """The run's first files: its resolved config and a manifest saying it is running."""
    run.path.mkdir(parents=True, exist_ok=True)
    remove_temporaries(run.path)  # a writer killed mid-write in an earlier attempt
    run.write_json(run.config_path, config.to_dict())
    run.write_manifest(manifest, status="running")


def build_pairs(config: RunConfig, dataset: ClassPartitionedDataset, members: list[Member], budgets: dict[str, int],
                device: torch.device, run: RunDir, resume: bool) -> list[Pair]:
    """This rank's pairs with the strategy's budgets, each restored from its newest valid checkpoint when the run resumes."""
    pairs = [make_pair(config, dataset, m, device) for m in members]
    for pair in pairs:
        pair.target_steps = budgets[pair.name]  # the strategy's, which may depend on every rank's pairs
    if resume:
        for pair in pairs:
            remove_temporaries(run.pair_dir(pair.name))
            restore(pair, run)
    return pairs


def train(config: RunConfig, resume: bool = False, progress: bool = True,
          dataset: ClassPartitionedDataset | None = None) -> TrainResult:
    """Train every pair of `config`'s strategy to its budget, checkpointing into `config.out`.

    SIGINT/SIGTERM stop the run between steps after checkpointing every pair
    (raises TrainingInterrupted); `--resume` then continues exactly there.
    Started by torchrun, MPI or Slurm with several ranks, each rank trains its
    share of the pairs and the run directory is the same (`ganfleet.distributed`).
    """
    with join(resolve_device(config.train.device)) as cluster:
        return train_on(cluster, config, resume, progress, dataset)


def train_on(cluster: Cluster, config: RunConfig, resume: bool, progress: bool,
             dataset: ClassPartitionedDataset | None) -> TrainResult:
    """`train` on one rank of `cluster` (the whole job when it is a single process)."""
    cfg = config.train
    run = RunDir(config.out)
    telemetry = cluster.telemetry
    started = False  # once this job owns the run directory, a failure is recorded in its manifest
    # SIGINT/SIGTERM only ask to stop (at the loop's next iteration), so that no
    # signal, e.g. torchrun stopping the others after a rank failed, cuts a write short.
    with StopRequest() as stop:
        try:
            with telemetry.timed("setup"):
                resume = cluster.on_writer(lambda: check_out_dir(run, config, resume, cluster))
                dataset, strategy, members, budgets, manifest = cluster.agree(lambda: plan_run(config, dataset))
                mine = cluster.share(members, budgets, manifest["data"]["fingerprint"], strategy.replicated)
                if cluster.world_size > 1:
                    strategy.connect(cluster.sum_over_ranks)
                dataset = dataset.only_classes(c for m in mine for c in m.classes)  # other ranks' classes are freed
                manifest = {**manifest, "launch": cluster.launch_record()}
                cluster.on_writer(lambda: start_run(run, config, manifest))
                started = True
                pairs = cluster.agree(lambda: build_pairs(config, dataset, mine, budgets, cluster.device, run, resume))
                telemetry.start_steps = {p.name: p.step for p in pairs}
            labels = grid_labels(members)
            run_loop(cluster, config, strategy, pairs, labels, dataset, run, manifest, stop, progress)
            telemetry.end_steps = {p.name: p.step for p in pairs}
            with telemetry.timed("grid"):
                blocks = cluster.agree(lambda: grid_blocks(pairs, labels, dataset, cfg.seed))
            all_blocks, reports = cluster.gather(blocks), cluster.gather(telemetry.snapshot())
            summary = cluster.on_writer(lambda: finish_run(run, manifest, all_blocks, reports, dataset.mode_centers))
        except BaseException as exc:
            if started and cluster.is_writer and not isinstance(exc, TrainingInterrupted):
                mark_stopped(run, manifest, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
            raise
    steps = {name: step for r in summary["ranks"] for name, step in sorted(r["end_steps"].items())}
    return TrainResult(run.path, dict(sorted(steps.items())), summary["wall_s"], summary["images"], cluster.rank, summary)


def run_loop(cluster: Cluster, config: RunConfig, strategy: Strategy, pairs: list[Pair], all_labels: list[int],
             dataset: ClassPartitionedDataset, run: RunDir, manifest: dict, stop: StopRequest, progress: bool) -> None:
    """Step this rank's pairs to their budgets with ticks, checkpoints and grids.

    Every rank then waits (idle) until all ranks' pairs are done. A stop
    requested on any rank stops every rank: each checkpoints its pairs, and
    TrainingInterrupted is raised. So does a failure, as RankFailed on the others.
    """
    cfg = config.train
    telemetry = cluster.telemetry
    rule = step_rule(config)
    evaluator = TrainingEvaluator.for_run(config, manifest, dataset)
    strategy.prepare(pairs, rule)
    if progress and cluster.is_writer and cfg.pack != "off":
        tqdm.write(strategy.execution, file=sys.stderr)
    records = cluster.records_dir(run)
    own = [p for p in pairs if cluster.is_writer or p.name not in strategy.replicated]  # rank 0 checkpoints replicated pairs
    writes = {p.name for p in own}
    ticks = TickStats(images_per_step=cfg.batch_size * rule.n_critic)
    log = MetricsLog(records / "metrics.jsonl", records / "tensorboard")
    remove_temporaries(records)  # this rank's records, if it was killed mid-write in an earlier attempt
    write_progress(records, telemetry)
    bar = tqdm(total=sum(max(0, p.target_steps - p.step) for p in pairs), unit="pair-step", disable=not (progress and cluster.is_writer),
               file=sys.stderr, dynamic_ncols=True, desc=f"{strategy.name} x{len(pairs)}")
    try:
        with cluster.heartbeat(lockstep=bool(strategy.replicated)) as beat:
            while (due := [p for p in pairs if not p.done]) and not beat.should_stop(stop.requested is not None):
                with telemetry.timed("compute"):
                    ticks.add(strategy.step(due, rule))
                bar.update(len(due))
                iteration = max(p.step for p in pairs)
                to_save = [p for p in due if p.name in writes
                           and (p.done or (cfg.checkpoint_every and p.step % cfg.checkpoint_every == 0))]
                grid_due = bool(cfg.grid_every and iteration % cfg.grid_every == 0)
                if to_save or grid_due:
                    strategy.sync(pairs)
                with telemetry.timed("checkpoint"):
                    for pair in to_save:
                        checkpoint(pair, run, cfg.keep_checkpoints)
                if grid_due:
                    with telemetry.timed("grid"):
                        save_grid(grid_blocks(pairs, all_labels, dataset, cfg.seed),
                                  records / "grids" / f"step-{iteration:08d}.png", dataset.mode_centers)
                if evaluator is not None and evaluator.due(iteration, all(p.done for p in pairs)):
                    strategy.sync(pairs)
                    with telemetry.timed("eval"):
                        log.write(evaluator.record(pairs, iteration))
                if iteration % cfg.log_every == 0 or all(p.done for p in pairs):
                    record = ticks.close(iteration)
                    log.write(record)
                    telemetry.tick(record, ticks.images, {p.name: p.step for p in pairs})
                    write_progress(records, telemetry)
                    bar.set_postfix(d=f"{record['mean']['d_loss']:.3f}", g=f"{record['mean']['g_loss']:.3f}",
                                    img_s=f"{record['img_per_s']:.0f}")
                beat.poll()
            stopped = beat.finish(lambda: stop.requested is not None, not all(p.done for p in pairs))
    except RankFailed:  # another rank failed or vanished; this rank's pairs are whole: keep their progress
        checkpoint_all(strategy, own, run, cfg.keep_checkpoints)
        raise
    finally:
        bar.close()
        log.close()
    if stopped:
        checkpoint_all(strategy, own, run, cfg.keep_checkpoints)
        cluster.on_writer(lambda: run.write_manifest(manifest, status="interrupted"))
        raise TrainingInterrupted(f"stopped by {stop.requested or 'another rank'} at step {max(p.step for p in pairs)}; "
                                  "every pair is checkpointed")


def checkpoint_all(strategy: Strategy, pairs: list[Pair], run: RunDir, keep: int) -> None:
    strategy.sync(pairs)
    for pair in pairs:
        checkpoint(pair, run, keep)


def write_progress(records: Path, telemetry: Telemetry) -> None:
    """This rank's telemetry so far (pid, host, time by category, steps): `progress.json` in its records folder."""
    records.mkdir(parents=True, exist_ok=True)
    atomic_write_text(records / "progress.json", json.dumps(telemetry.snapshot(with_progress=False), indent=2) + "\n")


def finish_run(run: RunDir, manifest: dict, blocks: list[GridBlocks], reports: list[dict], mode_centers) -> dict:
    """Rank 0, once every pair is done: the final grid from every rank's rows, telemetry.json, the complete manifest."""
    save_grid({label: rows for b in blocks for label, rows in b.items()}, run.grids_dir / "final.png", mode_centers)
    summary = summarize(reports)
    run.write_json(run.telemetry_path, summary)
    run.write_manifest(manifest, status="complete")
    return summary


def mark_stopped(run: RunDir, manifest: dict, status: str) -> None:
    """Best effort, after an error: the manifest must not claim the run is running or complete."""
    try:
        run.write_manifest(manifest, status=status)
    except OSError as exc:
        warnings.warn(f"{run.manifest_path}: could not record status {status!r} ({exc})", stacklevel=2)


class TickStats:
    """Accumulates per-pair step outputs on the device; one sync per tick when the record is made."""

    def __init__(self, images_per_step: int) -> None:
        self.images_per_step = images_per_step
        self.start = self.last = time.perf_counter()
        self.images = 0
        self._tick_images = 0
        self._sums: dict[str, dict[str, torch.Tensor]] = {}
        self._counts: dict[str, int] = {}

    def add(self, out: dict[str, dict[str, torch.Tensor]]) -> None:
        for name, values in out.items():
            acc = self._sums.setdefault(name, {})
            for key, value in values.items():
                acc[key] = acc[key] + value if key in acc else value.clone()
            self._counts[name] = self._counts.get(name, 0) + 1
            self._tick_images += self.images_per_step

    def close(self, step: int) -> dict:
        """The tick's record: per-pair means, their mean over pairs, img/s; then reset."""
        now = time.perf_counter()
        pairs = {name: {k: float(v) / self._counts[name] for k, v in acc.items()} for name, acc in self._sums.items()}
        keys = next(iter(pairs.values())).keys() if pairs else ()
        record = {
            "step": step,
            "time": round(now - self.start, 3),
            "img_per_s": self._tick_images / (now - self.last) if now > self.last else 0.0,
            "mean": {k: sum(p[k] for p in pairs.values()) / len(pairs) for k in keys},
            "pairs": pairs,
        }
        self.images += self._tick_images
        self._tick_images, self.last, self._sums, self._counts = 0, now, {}, {}
        return record


