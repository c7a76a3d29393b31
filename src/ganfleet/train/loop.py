"""The one training loop every strategy runs through.

Each iteration asks the strategy to advance every pair that has not reached its
budget by one step. Bookkeeping happens once per *tick* (every `log_every`
iterations), never inside a step: loss means are synchronised and logged,
progress is shown; checkpoints and sample grids have their own cadences.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

import ganfleet
from ganfleet.config import RunConfig
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.evaluation.during_training import TrainingEvaluator
from ganfleet.grids import display_scale, make_grid, save_png, save_scatter
from ganfleet.losses import get_loss
from ganfleet.sampling import generate
from ganfleet.strategies import Strategy, get_strategy
from ganfleet.train.build import base_spec, make_pair, resolve_device
from ganfleet.train.checkpoint import load_latest, save_pair
from ganfleet.train.metrics_log import MetricsLog
from ganfleet.train.pair import Member, Pair, StepRule
from ganfleet.train.interrupt import StopRequest, TrainingInterrupted
from ganfleet.train.resume import check_resumable
from ganfleet.train.rundir import MANIFEST_FORMAT, RunDir
from ganfleet.train.seeds import derive_seed
from ganfleet.errors import CheckpointError

GRID_COLUMNS = 8


@dataclass
class TrainResult:
    """What a finished (or interrupted) run reports."""

    run_dir: Path
    steps: dict[str, int]
    seconds: float
    images: int

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


def save_grid(pairs: list[Pair], dataset: ClassPartitionedDataset, path: Path, seed: int) -> Path:
    """Fixed-noise samples, one row per class (unconditional single pairs: rows are just samples)."""
    members = [p.member for p in pairs]
    generators = {p.name: p.generator for p in pairs}
    device = next(pairs[0].generator.parameters()).device
    labels = sorted({c for m in members for c in ((m.label,) if m.label is not None else m.classes)})
    g = torch.Generator().manual_seed(derive_seed(seed, "grid"))
    z = torch.randn(len(labels) * GRID_COLUMNS, pairs[0].latent_dim, generator=g).to(device)
    y = torch.tensor(labels).repeat_interleave(GRID_COLUMNS).to(device)
    x = generate(generators, members, z, y).cpu()
    if not dataset.is_image:
        real = dataset.samples[torch.randperm(len(dataset), generator=g)[:2000]]
        return save_scatter(x, y, path, real=real, centers=dataset.mode_centers)
    return save_png(make_grid(x, GRID_COLUMNS), path, scale=display_scale(x.shape[-1]))


def train(config: RunConfig, resume: bool = False, progress: bool = True,
          dataset: ClassPartitionedDataset | None = None) -> TrainResult:
    """Train every pair of `config`'s strategy to its budget, checkpointing into `config.out`.

    SIGINT/SIGTERM stop the run between steps after checkpointing every pair
    (raises TrainingInterrupted); `--resume` then continues exactly there.
    """
    cfg = config.train
    run = RunDir(config.out)
    if run.exists() and not resume:
        raise CheckpointError(f"{run.path}: a run already exists here; pass --resume to continue it or choose another --out")
    if resume:
        if not run.exists():
            raise CheckpointError(f"{run.path}: nothing to resume (no manifest.json)")
        check_resumable(run, config)
    device = resolve_device(cfg.device)
    dataset = (dataset if dataset is not None else load_dataset(config.data)).require_every_class()
    strategy = get_strategy(cfg.strategy, cfg.pack)
    members = strategy.members(dataset)
    pairs = [make_pair(config, dataset, m, device) for m in members]
    if resume:
        for pair in pairs:
            restore(pair, run)
    manifest = manifest_for(config, dataset, strategy, members, {p.name: p.target_steps for p in pairs})
    run.path.mkdir(parents=True, exist_ok=True)
    run.write_json(run.config_path, config.to_dict())
    run.write_manifest(manifest, status="running")

    rule = step_rule(config)
    evaluator = TrainingEvaluator.for_run(config, manifest, dataset)
    strategy.prepare(pairs, rule)
    if progress and cfg.pack != "off":
        tqdm.write(strategy.execution, file=sys.stderr)
    ticks = TickStats(images_per_step=cfg.batch_size * rule.n_critic)
    log = MetricsLog(run.metrics_path, run.path / "tensorboard")
    bar = tqdm(total=sum(max(0, p.target_steps - p.step) for p in pairs), unit="pair-step", disable=not progress,
               file=sys.stderr, dynamic_ncols=True, desc=f"{strategy.name} x{len(pairs)}")
    try:
        with StopRequest() as stop:
            while (due := [p for p in pairs if not p.done]) and stop.requested is None:
                ticks.add(strategy.step(due, rule))
                bar.update(len(due))
                iteration = max(p.step for p in pairs)
                to_save = [p for p in due if p.done or (cfg.checkpoint_every and p.step % cfg.checkpoint_every == 0)]
                grid_due = bool(cfg.grid_every and iteration % cfg.grid_every == 0)
                if to_save or grid_due:
                    strategy.sync(pairs)
                for pair in to_save:
                    checkpoint(pair, run, cfg.keep_checkpoints)
                if grid_due:
                    save_grid(pairs, dataset, run.grids_dir / f"step-{iteration:08d}.png", cfg.seed)
                if evaluator is not None and evaluator.due(iteration, all(p.done for p in pairs)):
                    strategy.sync(pairs)
                    log.write(evaluator.record(pairs, iteration))
                if iteration % cfg.log_every == 0 or all(p.done for p in pairs):
                    record = ticks.close(iteration)
                    log.write(record)
                    bar.set_postfix(d=f"{record['mean']['d_loss']:.3f}", g=f"{record['mean']['g_loss']:.3f}",
                                    img_s=f"{record['img_per_s']:.0f}")
            if stop.requested is not None:
                strategy.sync(pairs)
                for pair in pairs:
                    checkpoint(pair, run, cfg.keep_checkpoints)
                run.write_manifest(manifest, status="interrupted")
                raise TrainingInterrupted(f"stopped by {stop.requested} at step {max(p.step for p in pairs)}; every pair is checkpointed")
        save_grid(pairs, dataset, run.grids_dir / "final.png", cfg.seed)
        run.write_manifest(manifest, status="complete")
    finally:
        bar.close()
        log.close()
    return TrainResult(run.path, {p.name: p.step for p in pairs}, ticks.elapsed(), ticks.images)


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

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

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


