"""The one training loop every strategy runs through.

Each iteration steps every pair that has not reached its budget once, through
the run's executor (one pair at a time, packs, or SGAN's locals then its global
pair; `execution.py`). One clock counts the iterations (it starts at the step
of the most advanced pair) and one maintenance block per iteration does what is
due by that clock: checkpoints (and those of pairs that just finished), sample
grids, evaluation, and a tick (a log line) every `cadence.log_every`
iterations. The executor syncs the pairs' own modules once, before any of it.

The same loop runs on every rank of a multi-process job: a `Cluster` says
which pairs are this rank's, runs the run directory's shared writes on rank 0
and carries failures and stop requests between ranks. A single process is a
Cluster of one, with no process group and no collectives.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ganfleet.config import RunConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.devices import resolve_device
from ganfleet.distributed import Cluster, RankFailed, Telemetry, join, summarize
from ganfleet.distributed.telemetry import with_sessions
from ganfleet.evaluation.during_training import TrainingEvaluator
from ganfleet.pairs import Pair, step_rule
from ganfleet.rundir import MetricsLog, NonFiniteState, RunDir, RunLock, atomic_write_text, remove_temporaries
from ganfleet.train.estimate import plan_summary
from ganfleet.train.execution import build_executor
from ganfleet.train.health import LossWatch, TrainingDiverged, diverged_message, stop_diverged
from ganfleet.train.interrupt import StopRequest, TrainingInterrupted
from ganfleet.train.plan import RunPlan, build_pairs, check_out_dir, checkpoint, plan_run, start_run
from ganfleet.train.progress import Progress
from ganfleet.train.sample_grid import GridBlocks, grid_blocks, grid_labels, save_grid
from ganfleet.train.ticks import TickStats


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
    same (`ganfleet.distributed`).
    """
    with join(resolve_device(config.train.device), threads=config.train.threads) as cluster:
        return train_on(cluster, config, resume, progress, dataset, force)


def train_on(
    cluster: Cluster,
    config: RunConfig,
    resume: bool,
    progress: bool,
    dataset: ClassPartitionedDataset | None,
    force: bool = False,
) -> TrainResult:
    """`train` on one rank of `cluster` (the whole job when it is a single process)."""
    run = RunDir(config.out)
    lock = RunLock(run.path, cluster.env.elastic_run_id, cluster.env.restart_count)  # rank 0 takes it for the job
    # SIGINT/SIGTERM (and, under a launcher, its death) only ask to stop (at the loop's next iteration), so
    # that no signal, e.g. torchrun stopping the others after a rank failed, cuts a write short.
    with StopRequest(watch_parent=cluster.env.launcher != "single") as stop:
        with cluster.telemetry.timed("setup"):
            resume = cluster.on_writer(partial(check_out_dir, run, config, resume, force, cluster, lock))
        try:
            summary, diverged = train_owned(cluster, config, run, lock, resume, progress, dataset, stop)
        finally:
            if cluster.is_writer:
                lock.release()
    if diverged:
        raise TrainingDiverged(diverged)
    steps = {name: step for r in summary["ranks"] for name, step in sorted(r["end_steps"].items())}
    return TrainResult(
        run.path, dict(sorted(steps.items())), summary["wall_s"], summary["images"], cluster.rank, summary
    )


def train_owned(
    cluster: Cluster,
    config: RunConfig,
    run: RunDir,
    lock: RunLock,
    resume: bool,
    progress: bool,
    dataset: ClassPartitionedDataset | None,
    stop: StopRequest,
) -> tuple[dict, str | None]:
    """The run in a folder this job may own: plan, the lock and first files, pairs, the loop, the end; `finish_run`'s summary."""
    telemetry = cluster.telemetry
    with telemetry.timed("setup"):  # nothing is written until every rank has its pairs (restored when resuming)
        plan = cluster.agree(partial(plan_run, config, dataset))
        names = cluster.share(
            [m.name for m in plan.members], plan.budgets, plan.manifest["data"]["fingerprint"], plan.strategy.replicated
        )
        manifest = {**plan.manifest, "launch": cluster.launch_record()}
        mine = plan.dataset.only_classes(c for m in plan.members if m.name in names for c in m.classes)
        pairs = cluster.agree(partial(build_pairs, config, plan, mine, names, cluster.device, run, resume))
        telemetry.start_steps = {p.name: p.step for p in pairs}
        cluster.on_writer(partial(start_run, run, config, manifest, lock))
    try:  # from here on the run directory is this job's: a failure is recorded in its manifest
        loop = TrainingLoop(cluster, config, plan, pairs, mine, run, manifest, progress)
        manifest["execution"] = {
            "pack": loop.execution,
            "threads": cluster.threads.threads,  # rank 0's, this session's
            "threads_reason": cluster.threads.reason,
        }
        loop.run(stop)
        telemetry.end_steps = {p.name: p.step for p in pairs}
        with telemetry.timed("grid"):
            blocks = cluster.agree(partial(grid_blocks, pairs, loop.labels, mine, config.train.seed))
        all_blocks, reports, diverged = (
            cluster.gather(blocks),
            cluster.gather(telemetry.snapshot()),
            cluster.gather(loop.diverged),
        )
        return cluster.on_writer(partial(finish_run, run, manifest, all_blocks, reports, mine.mode_centers, diverged))
    except BaseException as exc:
        if cluster.is_writer and not isinstance(exc, TrainingInterrupted):
            mark_stopped(run, manifest, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        raise


class TrainingLoop:
    """This rank's pairs stepped to their budgets, with one clock and one maintenance block per iteration.

    Every rank then waits (idle) until all ranks' pairs are done. A stop
    requested on any rank stops every rank: each checkpoints its pairs, and
    TrainingInterrupted is raised. So does a failure, as RankFailed on the others.
    """

    def __init__(
        self,
        cluster: Cluster,
        config: RunConfig,
        plan: RunPlan,
        pairs: list[Pair],
        dataset: ClassPartitionedDataset,
        run: RunDir,
        manifest: dict,
        progress: bool,
    ) -> None:
        self.cluster, self.config, self.pairs, self.dataset, self.run_dir, self.manifest = (
            cluster,
            config,
            pairs,
            dataset,
            run,
            manifest,
        )
        self.cadence = config.cadence
        self.rule = step_rule(config, dataset.sample_shape)
        self.replicated = plan.strategy.replicated
        self.labels = grid_labels(plan.members)
        self.progress = progress and cluster.is_writer
        desc = f"{self.manifest['strategy']} x{len(pairs)}"
        if cluster.world_size > 1:
            desc = f"rank 0's {desc} of {len(plan.members)}"
        self.bar = Progress(sum(max(0, p.target_steps - p.step) for p in pairs), desc, self.progress)
        self.bar.note(plan_summary(config, plan, str(cluster.device)))
        if cluster.world_size > 1:
            self.bar.note(
                f"progress: rank 0's {len(pairs)} of {len(plan.members)} pairs (every rank logs its own to "
                "ranks/rank-NNNN/metrics.jsonl; telemetry.json sums them at the end)"
            )
        sum_over_ranks = cluster.sum_over_ranks if cluster.world_size > 1 else None
        with cluster.telemetry.timed("pack"):  # --pack auto times its candidates here
            self.executor, self.execution = build_executor(
                config, plan.strategy, len(plan.members), pairs, self.rule, sum_over_ranks, self.bar.note
            )
        self.evaluator = TrainingEvaluator.for_run(config, manifest, dataset)
        self.own = [
            p for p in pairs if cluster.is_writer or p.name not in self.replicated
        ]  # rank 0 checkpoints replicated pairs
        self.own_names = {p.name for p in self.own}
        self.records = cluster.records_dir(run.path)
        self.ticks = TickStats(images_per_step=config.train.batch_size * self.rule.n_critic)
        self.clock = max(p.step for p in pairs)  # iterations: the step of the most advanced pair
        self.watch = LossWatch()
        self.diverged: dict[str, dict] = {}  # this rank's pairs stopped on non-finite values

    def run(self, stop: StopRequest) -> None:
        telemetry = self.cluster.telemetry
        self.bar.note(f"{self.execution}; {self.cluster.threads}")
        for folder in [self.records, *(self.run_dir.pair_dir(p.name) for p in self.own)]:
            remove_temporaries(
                folder
            )  # this rank's records and checkpoints, if it was killed mid-write in an earlier attempt
        self.log = MetricsLog(self.records / "metrics.jsonl", self.records / "tensorboard")
        write_progress(self.records, telemetry)
        self.bar.begin()
        try:
            with self.cluster.heartbeat(lockstep=bool(self.replicated)) as beat:
                while (due := [p for p in self.pairs if not p.done]) and not beat.should_stop(
                    stop.requested is not None
                ):
                    with telemetry.timed("compute"):
                        out = self.executor.step(due, self.rule)
                        self.ticks.add(out)
                        self.watch.observe(out, {p.name: p.step for p in due})
                    self.clock += 1
                    self.bar.update(len(due))
                    self.maintain(due)
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
            self.cluster.on_writer(partial(self.run_dir.write_manifest, self.manifest, status="interrupted"))
            raise TrainingInterrupted(
                f"stopped by {stop.requested or 'another rank'} at step {max(p.step for p in self.pairs)}; "
                "every pair is checkpointed",
                stop.requested,
            )

    def due(self, every: int) -> bool:
        """Whether a cadence of `every` iterations (0: never) falls on this iteration."""
        return bool(every) and self.clock % every == 0

    def maintain(self, stepped: list[Pair]) -> None:
        """What this iteration's clock makes due: checkpoints, a grid, an evaluation, a tick; one sync before them.

        Before a checkpoint or a tick, pairs whose values stopped being finite are stopped (`health.py`).
        """
        telemetry = self.cluster.telemetry
        tick = self.due(self.cadence.log_every)
        mine = [p for p in stepped if p.name in self.own_names]  # a set: this is per iteration, over every pair
        if tick or any(p.done or self.due(self.cadence.checkpoint_every) for p in mine):
            self.check_values()
        finished = all(p.done for p in self.pairs)
        to_save = [p for p in mine if p.diverged is None and (p.done or self.due(self.cadence.checkpoint_every))]
        grid = self.due(self.cadence.grid_every)
        evaluate = self.evaluator is not None and (finished or self.due(self.evaluator.every))
        if to_save or grid or evaluate:
            self.executor.sync()
        with telemetry.timed("checkpoint"):
            for pair in to_save:
                self.save(pair)
        if grid:
            with telemetry.timed("grid"):
                save_grid(
                    grid_blocks(self.pairs, self.labels, self.dataset, self.config.train.seed),
                    self.records / "grids" / f"step-{self.clock:08d}.png",
                    self.dataset.mode_centers,
                    self.dataset.class_names,
                )
        if evaluate:
            with telemetry.timed("eval"):
                self.log.write(self.evaluator.record(self.pairs, self.clock))
        if finished or tick:
            self.tick()

    def check_values(self) -> None:
        """Stop every pair whose logged values were not finite at some step (one synchronisation)."""
        for name, step in self.watch.first_bad([p.name for p in self.pairs if p.diverged is None]).items():
            self.stop_pair(next(p for p in self.pairs if p.name == name), step, "non-finite losses")

    def stop_pair(self, pair: Pair, step: int, reason: str) -> None:
        self.diverged[pair.name] = stop_diverged(pair, step, reason)
        self.bar.note(f"{pair.name}: stopped at step {step} ({reason}); the other pairs go on")

    def save(self, pair: Pair) -> None:
        """Checkpoint `pair`; a state that is not finite is not written, and the pair stops."""
        try:
            checkpoint(pair, self.run_dir, self.cadence.keep_checkpoints)
        except NonFiniteState as exc:
            self.stop_pair(pair, pair.step, f"non-finite {exc.tensor}")

    def tick(self) -> None:
        """A log line: the tick's record in metrics.jsonl, telemetry, progress.json and the bar."""
        record = self.ticks.close(self.clock)
        self.log.write(record)
        self.cluster.telemetry.tick(record, self.ticks.images, {p.name: p.step for p in self.pairs})
        write_progress(self.records, self.cluster.telemetry)
        kimg = sum(p.step for p in self.pairs) * self.ticks.images_per_step / 1000
        self.bar.tick(record, self.clock, max(p.target_steps for p in self.pairs), kimg)

    def checkpoint_all(self) -> None:
        """Checkpoint every pair this rank owns, but those stopped on non-finite values (after a stop or another rank's failure)."""
        self.check_values()
        self.executor.sync()
        for pair in self.own:
            if pair.diverged is None:
                self.save(pair)


def write_progress(records: Path, telemetry: Telemetry) -> None:
    """This rank's telemetry so far (pid, host, time by category, steps): `progress.json` in its records folder."""
    records.mkdir(parents=True, exist_ok=True)
    atomic_write_text(records / "progress.json", json.dumps(telemetry.snapshot(with_progress=False), indent=2) + "\n")


def finish_run(
    run: RunDir,
    manifest: dict,
    blocks: list[GridBlocks],
    reports: list[dict],
    mode_centers,
    diverged: list[dict[str, dict]],
) -> tuple[dict, str | None]:
    """Rank 0, once every pair is done or stopped: the final grid from every rank's rows, telemetry.json and the
    manifest, `complete`, or `failed` with each member stopped on non-finite values marked `diverged`.

    Returns the telemetry summary and, when some pair was stopped, the line that says so.
    """
    save_grid(
        {label: rows for b in blocks for label, rows in b.items()},
        run.grids_dir / "final.png",
        mode_centers,
        manifest["data"]["class_names"],
    )
    previous = run.read_json(run.telemetry_path) if run.telemetry_path.is_file() else None
    summary = with_sessions(summarize(reports), previous)
    run.write_json(run.telemetry_path, summary)
    stopped = {name: record for rank in diverged for name, record in rank.items()}
    members = [{**m, "diverged": stopped[m["name"]]} if m["name"] in stopped else m for m in manifest["members"]]
    run.write_manifest({**manifest, "members": members}, status="failed" if stopped else "complete")
    if not stopped:
        return summary, None
    kept = {m["name"]: m["step"] for m in run.read_manifest()["members"]}
    return summary, f"{run.path}: {diverged_message(stopped, kept, len(members))}"


def mark_stopped(run: RunDir, manifest: dict, status: str) -> None:
    """Best effort, after an error: the manifest must not claim the run is running or complete."""
    try:
        run.write_manifest(manifest, status=status)
    except OSError as exc:
        warnings.warn(f"{run.manifest_path}: could not record status {status!r} ({exc})", stacklevel=2)
