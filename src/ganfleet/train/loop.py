"""The one training loop every strategy runs through.

Each iteration steps every pair that has not reached its budget once, through
the run's executor (one pair at a time, packs, or SGAN's locals then its global
pair; `execution.py`). One clock counts the iterations (it starts at the step
of the most advanced pair) and one maintenance block per iteration does what is
due by that clock: checkpoints (and those of pairs that just finished), sample
grids, evaluation, and a tick every `cadence.log_every` iterations. The
executor syncs the pairs' own modules once, before any of it.

Per iteration the loop does nothing per pair: the executor's logged values are
one tensor per step group (`StepLogs`), added on the device into the tick's
statistics and the health watch (`ticks.py`, `health.py`), and the due pairs
change only when one finishes (`schedule.py`). A tick makes one record that
every writer takes: metrics.jsonl (and TensorBoard), telemetry, progress.json
and the bar or log line.

The same loop runs on every rank of a multi-process job: the run's `Cluster`
says which pairs are this rank's, runs the run directory's shared writes on
rank 0 and carries failures and stop requests between ranks. A single process
is a Cluster of one, with no process group and no collectives.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ganfleet.config import RunConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.devices import resolve_device
from ganfleet.distributed import RankFailed, detect_launch, join
from ganfleet.distributed.cluster import Assignment
from ganfleet.distributed.threads import choose_threads, using_threads
from ganfleet.evaluation.during_training import TrainingEvaluator
from ganfleet.pairs import Pair, step_rule
from ganfleet.rundir import MetricsLog, NonFiniteState, remove_temporaries, trained_member
from ganfleet.strategies import Member
from ganfleet.train.adaptive import adapt_budgets
from ganfleet.train.context import RunContext
from ganfleet.train.estimate import plan_summary, resume_line
from ganfleet.train.execution import build_executor
from ganfleet.train.finish import finish_run, mark_stopped
from ganfleet.train.health import LossWatch, TrainingDiverged, stop_diverged
from ganfleet.train.interrupt import StopRequest, TrainingInterrupted
from ganfleet.train.progress import Progress
from ganfleet.train.run_plan import (
    RunPlan,
    build_pairs,
    check_out_dir,
    check_same_run,
    checkpoint,
    fork,
    kept_budgets,
    plan_run,
    start_run,
)
from ganfleet.train.sample_grid import grid_blocks, grid_labels, save_grid
from ganfleet.train.schedule import DuePairs
from ganfleet.train.ticks import PairIndex, ProgressFile, TickStats, TickWriter


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


def train(
    config: RunConfig,
    resume: bool = False,
    progress: bool = True,
    dataset: ClassPartitionedDataset | None = None,
    force: bool = False,
) -> TrainResult:
    """Train every pair of `config`'s strategy to its budget, checkpointing into `config.out`.

    `config.out` must be new, empty or a ganfleet run (`force`: any folder in
    which no name ganfleet writes is taken); the run's lock keeps out a second
    writer. SIGINT/SIGTERM stop the run between steps after checkpointing every
    pair (raises TrainingInterrupted); `--resume` then continues exactly there.
    A pair whose values stop being finite is stopped and the run raises
    TrainingDiverged at the end. Started by torchrun, MPI or Slurm with several
    ranks, each rank trains its share of the pairs and the run directory is the
    same (`ganfleet.distributed`). torch's CPU threads follow `train.threads`
    for the run and are restored after it.
    """
    env = detect_launch(os.environ)
    threads = choose_threads(config.train.threads, env.local_world_size or 1)
    with using_threads(threads), join(resolve_device(config.train.device), env) as cluster:
        context = RunContext.open(config, cluster, threads, progress)
        # SIGINT/SIGTERM (and, under a launcher, its death) only ask to stop (at the loop's next iteration), so
        # that no signal, e.g. torchrun stopping the others after a rank failed, cuts a write short.
        with StopRequest(watch_parent=env.launcher != "single") as stop:
            with context.telemetry.timed("setup"):
                check = partial(check_out_dir, context.run, config, resume, force, env, context.lock)
                resume = cluster.on_writer(check)
            try:
                summary, diverged = run_training(context, resume, dataset, stop)
            finally:
                if cluster.is_writer:
                    context.lock.release()
    if diverged:
        raise TrainingDiverged(diverged)
    steps = {name: step for r in summary["ranks"] for name, step in sorted(r["end_steps"].items())}
    return TrainResult(
        context.run.path, dict(sorted(steps.items())), summary["wall_s"], summary["images"], cluster.rank, summary
    )


def run_training(
    context: RunContext, resume: bool, dataset: ClassPartitionedDataset | None, stop: StopRequest
) -> tuple[dict, str | None]:
    """The run in a folder this job may own: plan, the lock and first files, pairs, the loop (once per phase:
    a warm start's shared pair, then the pairs that start from it), the end; `finish_run`'s summary."""
    cluster, config, telemetry, run = context.cluster, context.config, context.telemetry, context.run
    with telemetry.timed("setup"):  # nothing is written until every rank has its pairs (restored when resuming)
        saved = run.read_manifest() if resume else {}
        allocation = saved.get("allocation")  # an adaptive budget's, once shared out
        plan = cluster.agree(partial(plan_run, config, dataset, kept_budgets(saved, config) if resume else None))
        if resume:
            check_same_run(run, saved, plan)
        phases = training_phases(plan)
        fingerprint = plan.manifest["data"]["fingerprint"]
        assignments = [  # a warm start's one pair is rank 0's: the others wait, then start from its checkpoint
            Assignment({m.name: 0 for m in phase}, ())
            if phase[0].name == plan.strategy.warm_start
            else cluster.assign([m.name for m in phase], plan.budgets, fingerprint, plan.strategy.replicated)
            for phase in phases
        ]
        held = {n for a, phase in zip(assignments, phases) for n in a.members_of(cluster.rank, [m.name for m in phase])}
        mine_names = [m.name for m in plan.members if m.name in held]
        added = [m for m in saved.get("members", []) if not trained_member(m)]  # e.g. `ganfleet distill`'s, kept
        launch = context.launch_record(Assignment.merged(assignments))
        manifest = {**plan.manifest, "members": plan.manifest["members"] + added, "launch": launch}
        if allocation:
            manifest["allocation"] = allocation
        mine = plan.dataset.only_classes(c for m in plan.members if m.name in held for c in m.classes)
        pairs = cluster.agree(partial(build_pairs, config, plan, mine, mine_names, cluster.device, run, resume))
        telemetry.start_steps = {p.name: p.step for p in pairs}
        cluster.on_writer(partial(start_run, run, config, manifest, context.lock))
    try:  # from here on the run directory is this job's: a failure is recorded in its manifest
        diverged: dict[str, dict] = {}
        for phase in phases:
            names = {m.name for m in phase}
            phase_pairs = [p for p in pairs if p.name in names]
            warm_start = plan.strategy.warm_start
            if warm_start is not None and warm_start not in names:  # the pairs that start from the warm start
                fresh = [p for p in phase_pairs if p.step == 0]
                cluster.agree(partial(fork, fresh, run, warm_start, config.shared.optimizer, config.shared.conditional))
            loop = TrainingLoop(context, plan, phase, phase_pairs, mine, manifest)
            manifest["execution"] = context.execution_record(loop.pack_line)  # rank 0's, this session's
            loop.run(stop)
            diverged.update(loop.diverged)
            if config.budget.allocate == "adaptive" and warm_start not in names and "allocation" not in manifest:
                # the rest of the budget, to the worst classes (scored with the loop's evaluator when it has one)
                adapt_budgets(context, plan, manifest, phase_pairs, loop.evaluator)
                loop = TrainingLoop(context, plan, phase, phase_pairs, mine, manifest)
                loop.run(stop)
                diverged.update(loop.diverged)
        telemetry.end_steps = {p.name: p.step for p in pairs}
        with telemetry.timed("grid"):
            blocks = cluster.agree(partial(grid_blocks, loop.pairs, loop.labels, mine, config.train.seed))
        all_blocks, reports = cluster.gather(blocks), cluster.gather(telemetry.snapshot())
        finish = partial(finish_run, run, manifest, all_blocks, reports, mine.mode_centers, cluster.gather(diverged))
        return cluster.on_writer(finish)
    except BaseException as exc:
        if cluster.is_writer and not isinstance(exc, TrainingInterrupted):
            mark_stopped(run, manifest, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        raise


def evaluations_between(clock: int, last_step: int, every: int) -> int:
    """The evaluations a loop from iteration `clock` to `last_step` takes with --eval-every `every` (0: none):
    one at each multiple of `every`, and one at the end."""
    if not every or last_step <= clock:
        return 0
    return last_step // every - clock // every + (1 if last_step % every else 0)


def training_phases(plan: RunPlan) -> list[list[Member]]:
    """The members in the order they train: a warm start's shared member alone first, then the others."""
    first = plan.strategy.warm_start
    if first is None:
        return [plan.members]
    return [[m for m in plan.members if m.name == first], [m for m in plan.members if m.name != first]]


class TrainingLoop:
    """This rank's pairs stepped to their budgets, with one clock and one maintenance block per iteration.

    Every rank then waits (idle) until all ranks' pairs are done. A stop
    requested on any rank stops every rank: each checkpoints its pairs, and
    TrainingInterrupted is raised. So does a failure, as RankFailed on the others.
    """

    def __init__(
        self,
        context: RunContext,
        plan: RunPlan,
        members: list[Member],
        pairs: list[Pair],
        dataset: ClassPartitionedDataset,
        manifest: dict,
    ) -> None:
        """`members` are this phase's (all of the plan's but for a warm start), `pairs` this rank's of them."""
        cluster, config = context.cluster, context.config
        self.context, self.config, self.pairs, self.dataset, self.manifest = context, config, pairs, dataset, manifest
        self.run_dir, self.telemetry, self.records = context.run, context.telemetry, context.records
        self.cadence = config.cadence
        self.rule = step_rule(config, dataset.sample_shape)
        self.labels = grid_labels(members)
        warm_start = any(m.name == plan.strategy.warm_start for m in members)  # its pair only: no grids, no evals
        self.grid_every = 0 if warm_start else self.cadence.grid_every
        desc = f"{'warm start' if warm_start else manifest['strategy']} x{len(pairs)}"
        if cluster.world_size > 1:
            desc = f"rank 0's {desc} of {len(members)}"
        self.evaluator = None if warm_start else TrainingEvaluator.for_run(config, manifest, dataset)
        self.clock = max((p.step for p in pairs), default=0)  # iterations: the step of the most advanced pair
        self.last_step = max((p.target_steps for p in pairs), default=0)
        evaluations = evaluations_between(self.clock, self.last_step, self.evaluator.every if self.evaluator else 0)
        to_go = sum(max(0, p.target_steps - p.step) for p in pairs)
        self.bar = Progress(to_go, desc, context.progress, evaluations=evaluations)
        if members[0] is plan.members[0]:  # the first phase says what the whole run is, and where it starts
            self.bar.note(plan_summary(config, plan, str(cluster.device)))
            start = context.telemetry.start_steps
            if resumed := resume_line(start, plan.budgets, cluster.env.restart_count):
                self.bar.note(resumed if cluster.world_size == 1 else f"rank 0's pairs: {resumed}")
        if cluster.world_size > 1:
            self.bar.note(
                f"progress: rank 0's {len(pairs)} of {len(members)} pairs (every rank logs its own to "
                "ranks/rank-NNNN/metrics.jsonl; telemetry.json sums them at the end)"
            )
        sum_over_ranks = cluster.sum_over_ranks if cluster.world_size > 1 else None
        with self.telemetry.timed("pack"):  # --pack auto times its candidates here
            self.executor, self.pack_line = build_executor(
                config, plan.strategy, len(plan.members), pairs, self.rule, sum_over_ranks, self.bar.note
            )
        replicated = plan.strategy.replicated  # every rank holds these; rank 0 checkpoints them
        self.own = [p for p in pairs if cluster.is_writer or p.name not in replicated]
        self.own_names = {p.name for p in self.own}
        self.by_name = {p.name: p for p in pairs}
        self.lockstep = bool(replicated)
        self.schedule = DuePairs(pairs)
        index = PairIndex([p.name for p in pairs])
        per_step = config.train.batch_size * self.rule.n_critic
        self.ticks = TickStats(index, images_per_step=per_step, images=self.telemetry.images)
        self.watch = LossWatch(index)
        self.diverged: dict[str, dict] = {}  # this rank's pairs stopped on non-finite values

    def run(self, stop: StopRequest) -> None:
        self.bar.note(f"{self.pack_line}; {self.context.threads}")
        for pair in self.own:  # its checkpoints, if killed mid-write in an earlier attempt (records: `start_run`)
            remove_temporaries(self.run_dir.pair_dir(pair.name))
        self.log = MetricsLog(self.records / "metrics.jsonl", self.records / "tensorboard")
        progress_file = ProgressFile(self.records, self.telemetry)
        progress_file.write()
        self.writers: list[TickWriter] = [self.log, self.telemetry, progress_file, self.bar]
        self.bar.begin()
        try:
            with self.context.cluster.heartbeat(lockstep=self.lockstep) as beat:
                while (due := self.schedule.pairs) and not beat.should_stop(stop.requested is not None):
                    with self.telemetry.timed("compute"):
                        logs = self.executor.step(due, self.rule)
                        self.ticks.add(logs)
                        self.watch.observe(logs)
                    self.clock += 1
                    self.bar.update(len(due))
                    self.maintain(due, self.schedule.stepped())
                    beat.poll()
                stopped = beat.finish(lambda: stop.requested is not None, not all(p.done for p in self.pairs))
        except RankFailed:  # another rank failed or vanished; this rank's pairs are whole: keep their progress
            self.checkpoint_all()
            raise
        finally:
            self.bar.close()
            self.log.close()
        if stopped:
            self.checkpoint_all()
            interrupted = partial(self.run_dir.write_manifest, self.manifest, status="interrupted")
            self.context.cluster.on_writer(interrupted)
            raise TrainingInterrupted(
                f"stopped by {stop.requested or 'another rank'} at step {max(p.step for p in self.pairs)}; "
                "every pair is checkpointed",
                stop.requested,
            )

    def due(self, every: int) -> bool:
        """Whether a cadence of `every` iterations (0: never) falls on this iteration."""
        return bool(every) and self.clock % every == 0

    def maintain(self, stepped: tuple[Pair, ...], finished: list[Pair]) -> None:
        """What this iteration's clock makes due: checkpoints, a grid, an evaluation, a tick; one sync before them.

        `stepped` are the pairs this iteration stepped, `finished` those of them that reached their budgets.
        Before a checkpoint or a tick, pairs whose values stopped being finite are stopped (`health.py`).
        Nothing here looks at every pair unless something is due.
        """
        tick = self.due(self.cadence.log_every)
        periodic = self.due(self.cadence.checkpoint_every)
        finished = [p for p in finished if p.name in self.own_names]
        if tick or finished or periodic:
            self.check_values()
        all_done = not self.schedule.pairs
        saving = [p for p in stepped if p.name in self.own_names] if periodic else finished
        to_save = [p for p in saving if p.diverged is None]
        grid = self.due(self.grid_every)
        evaluate = self.evaluator is not None and (all_done or self.due(self.evaluator.every))
        if to_save or grid or evaluate:
            self.executor.sync()
        with self.telemetry.timed("checkpoint"):
            for pair in to_save:
                self.save(pair)
        if grid:
            with self.telemetry.timed("grid"):
                blocks = grid_blocks(self.pairs, self.labels, self.dataset, self.config.train.seed)
                path = self.records / "grids" / f"step-{self.clock:08d}.png"
                save_grid(blocks, path, self.dataset.mode_centers, self.dataset.class_names)
        if evaluate:
            assert self.evaluator is not None
            started = time.perf_counter()
            with self.telemetry.timed("eval"):
                self.log.write(self.evaluator.record(self.pairs, self.clock))
            self.bar.evaluated(time.perf_counter() - started)
        if all_done or tick:
            self.tick()

    def check_values(self) -> None:
        """Stop every pair whose logged values were not finite at some step (one synchronisation)."""
        watched = [p.name for p in self.pairs if p.diverged is None]
        for name, step in self.watch.first_bad(watched).items():
            self.stop_pair(self.by_name[name], step, "non-finite losses")

    def stop_pair(self, pair: Pair, step: int, reason: str) -> None:
        self.diverged[pair.name] = stop_diverged(pair, step, reason)
        self.schedule.refresh()
        self.bar.note(f"{pair.name}: stopped at step {step} ({reason}); the other pairs go on")

    def save(self, pair: Pair) -> None:
        """Checkpoint `pair`; a state that is not finite is not written, and the pair stops."""
        try:
            checkpoint(pair, self.run_dir, self.cadence.keep_checkpoints)
        except NonFiniteState as exc:
            self.stop_pair(pair, pair.step, f"non-finite {exc.tensor}")

    def tick(self) -> None:
        """The tick's one record, to every writer: metrics.jsonl, telemetry, progress.json, the bar or log line."""
        record = self.ticks.close(self.clock, {p.name: p.step for p in self.pairs}, self.last_step)
        for writer in self.writers:
            writer.write_tick(record)

    def checkpoint_all(self) -> None:
        """Checkpoint every pair this rank owns, but those stopped on non-finite values (after a stop or another
        rank's failure)."""
        self.check_values()
        self.executor.sync()
        for pair in self.own:
            if pair.diverged is None:
                self.save(pair)
