"""`ganfleet distill`: one compact conditional generator made from a fleet, trained on the fleet's own samples.

The fleet's class pairs draw a fixed, seeded set of images (`samples.npz` in RUN/distill/, an `.npz` data
file); one conditional pair (strategy cgan) with the run's own model and recipe trains on them as its real
data, in RUN/distill/run, an ordinary run that a second `distill` resumes or trains further. Its newest
checkpoint then becomes the fleet's member `distilled` (RUN/pairs/distilled/), sampled with
`member="distilled"`. The fleet can draw any number of images, so the distilled pair's discriminator
never sees one image twice unless asked to: what SGAN's global generator tries from the pairs' messengers,
here from their samples (docs/RESULTS.md measures both).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ganfleet.config import BudgetConfig, DataConfig, EvalConfig, RunConfig, SganConfig, SharedConfig
from ganfleet.data.npz import write_npz
from ganfleet.devices import resolve_device
from ganfleet.distributed.threads import choose_threads, using_threads
from ganfleet.errors import ConfigError
from ganfleet.fleet import Fleet
from ganfleet.models import ModelSpec
from ganfleet.rundir import RunDir, RunLock, atomic_write, copy_checkpoint, list_checkpoints
from ganfleet.rundir.resume import saved_config
from ganfleet.synthetic import SyntheticDataset
from ganfleet.train.loop import TrainResult, train

DISTILLED = "distilled"  # the member's name in the fleet
DIVERSITY = 0.1  # the distilled generator's loss.diversity_weight by default: twice the recall (docs/RESULTS.md)
FOLDER = "distill"  # in the run folder: samples.npz, source.json and the distilling run `run/`


@dataclass(frozen=True)
class DistillOptions:
    """What to distill with; None takes the default from the fleet."""

    per_class: int | None = None  # fleet samples per class (default: as many as the class had training images)
    steps: int | None = None  # generator steps (default: the class pairs' steps together, so as many images)
    seed: int = 0  # of the samples and of the distilled pair
    diversity: float | None = None  # loss.diversity_weight of the distilled pair (default: DIVERSITY, or on
    # going on, the distilling run's own)
    threads: Literal["auto"] | int = "auto"
    device: str = "auto"


def distill(path: str | Path, options: DistillOptions, progress: bool = True) -> TrainResult:
    """Distill the finished run at `path` into its member `distilled`; the distilling run's result."""
    run = RunDir(path)
    manifest = checked_source(run)
    class_pairs = [m for m in manifest["members"] if m["label"] is not None]
    source = {
        "per_class": options.per_class,
        "seed": options.seed,
        "fleet_steps": {m["name"]: m["step"] for m in class_pairs},
    }
    folder = run.path / FOLDER
    samples = folder / "samples.npz"
    check_same_source(folder / "source.json", source)
    if not samples.is_file():
        write_samples(run, manifest, options, samples)
        atomic_write(folder / "source.json", lambda tmp: tmp.write_text(json.dumps(source, indent=2) + "\n"))
    steps = options.steps if options.steps is not None else sum(m["step"] for m in class_pairs)
    distilling = RunDir(folder / "run")
    resume = distilling.exists()
    weight = diversity_weight(distilling if resume else None, options.diversity)
    config = distilling_config(saved_config(run), samples, distilling.path, steps, options, weight)
    result = train(config, resume=resume, progress=progress)
    publish(run, distilling, {**source, "steps": steps})
    return result


def checked_source(run: RunDir) -> dict:
    """The manifest of a finished fleet of class pairs that makes images, not being trained now."""
    manifest = run.read_manifest()
    if manifest.get("status") != "complete":
        raise ConfigError(f"{run.manifest_path}: status {manifest.get('status')!r}; distill takes a finished run")
    if not any(m["label"] is not None for m in manifest["members"]):
        raise ConfigError(
            f"{run.manifest_path}: strategy {manifest['strategy']!r} has no class pairs; distill takes a "
            "class-parallel or class-split sgan run"
        )
    if len(manifest["model"].get("sample_shape", [])) != 3:
        raise ConfigError(f"{run.manifest_path}: a fleet of points, not images; distill takes an image fleet")
    RunLock(run.path).check()  # no job trains it now
    return manifest


def check_same_source(path: Path, source: dict) -> None:
    """ConfigError when RUN/distill/ holds the samples of other settings or of the fleet before it trained further."""
    if not path.is_file():
        return
    try:
        before = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable ({exc}); remove {path.parent} to distill again") from None
    said = {"per_class": "--per-class", "seed": "--seed", "fleet_steps": "class pairs (trained further since)"}
    differ = [said[key] for key in source if not isinstance(before, dict) or before.get(key) != source[key]]
    if differ:
        raise ConfigError(
            f"{path}: the samples there were drawn with other {', '.join(differ)}; remove {path.parent} to distill "
            "again, or give the same settings to go on"
        )


def diversity_weight(distilling: RunDir | None, asked: float | None) -> float:
    """The distilled pair's loss.diversity_weight: `asked`, else the distilling run's own when it goes on
    (`distilling`), else DIVERSITY; ConfigError when `asked` differs from the weight it started with."""
    if distilling is None:
        return DIVERSITY if asked is None else asked
    before = saved_config(distilling).loss.diversity_weight
    if asked is not None and asked != before:
        raise ConfigError(
            f"{distilling.path}: distilled with --diversity {before:g}, not {asked:g}; give the same to go on, "
            f"or remove {distilling.path} to distill again"
        )
    return before


def write_samples(run: RunDir, manifest: dict, options: DistillOptions, path: Path) -> None:
    """The fleet's class pairs' samples, `per_class` of each class (default: the class's training count)."""
    fleet = Fleet.load(run.path, device=resolve_device(options.device, "--device"))
    counts = manifest["data"]["counts"]
    per_class = [options.per_class] * len(counts) if options.per_class is not None else counts
    labels = [k for k, n in enumerate(per_class) for _ in range(n)]
    with using_threads(choose_threads(options.threads)):
        images = SyntheticDataset(fleet, labels=labels, seed=options.seed).all_images()
    atomic_write(path, lambda tmp: write_npz(tmp, images, np.asarray(labels), fleet.class_names))


def distilling_config(
    base: RunConfig, samples: Path, out: Path, steps: int, options: DistillOptions, diversity: float
) -> RunConfig:
    """The fleet's own config (model, recipe, batch size, cadences) for one conditional pair on `samples`, with
    the diversity term at `diversity`."""
    return dataclasses.replace(
        base,
        loss=dataclasses.replace(base.loss, diversity_weight=diversity),
        data=DataConfig(name="npz", path=str(samples), fit=base.data.fit),
        train=dataclasses.replace(
            base.train, strategy="cgan", seed=options.seed, threads=options.threads, device=options.device
        ),
        budget=BudgetConfig(steps=steps),
        shared=SharedConfig(),
        sgan=SganConfig(),
        eval=EvalConfig(),
        out=str(out),
    )


def publish(run: RunDir, distilling: RunDir, record: dict) -> None:
    """The distilling run's newest checkpoint as the fleet's member `distilled`, recorded in the fleet's manifest."""
    made = distilling.read_manifest()
    manifest = run.read_manifest()
    if ModelSpec.from_dict(made["model"]) != ModelSpec.from_dict(manifest["model"]):
        raise ConfigError(f"{distilling.manifest_path}: its model differs from {run.manifest_path}'s")
    checkpoints = list_checkpoints(distilling.pair_dir(made["members"][0]["name"]))
    lock = RunLock(run.path)
    lock.acquire()
    try:
        folder = run.pair_dir(DISTILLED)
        copy_checkpoint(checkpoints[-1], folder, DISTILLED)
        for old in list_checkpoints(folder)[:-1]:
            old.unlink()
        classes = list(range(len(manifest["data"]["class_names"])))
        member = {"name": DISTILLED, "label": None, "conditional": True, "classes": classes, "distilled": record}
        members = [m for m in manifest["members"] if m["name"] != DISTILLED] + [member]
        run.write_manifest({**manifest, "members": members}, status=manifest["status"])
    finally:
        lock.release()
