"""`ganfleet merge`: class-parallel fleets trained apart on disjoint classes of the same data, as one run.

Each source is a finished class-parallel run of some classes (`--classes`, e.g. one task of a job array)
without a warm start, with the same settings as the others but for its classes and what may change on
--resume (`RESUMABLE_KEYS`: budget cadences, device, packing, ...). Pairs are named and seeded by their
class's index in the whole data, so a pair trained in a run of some classes is the pair a run of all of
them trains.

The merged run's config is the first source's with the union of the classes (in the data's order); its
manifest is the one a run of that config plans, each pair's steps from its checkpoints. Each source's data
fingerprint is checked against the same classes of the data loaded again. Every pair folder is copied once
into a new folder that becomes OUT when complete; the sources are only read.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from ganfleet.config import RunConfig, apply_values, flatten
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.errors import CheckpointError, ConfigError
from ganfleet.rundir import RunDir, list_checkpoints, read_checkpoint, trained_member
from ganfleet.rundir.checkpoint import OPTIONAL, PREFIXES
from ganfleet.rundir.resume import RESUMABLE_KEYS, saved_config
from ganfleet.train.run_plan import plan_run

FREE_KEYS = (RESUMABLE_KEYS - {"budget.epochs", "budget.steps", "budget.kimg"}) | {"data.classes", "train.threads"}


def merge_runs(sources: Sequence[str | Path], out: str | Path) -> RunDir:
    """Merge the runs in `sources` into a new run folder `out` (ConfigError on anything that does not fit)."""
    target = RunDir(out)
    if os.path.lexists(target.path):
        raise ConfigError(f"{target.path}: already exists; merge writes a new run folder")
    if len(sources) < 2:
        raise ConfigError("merge: give at least two runs to merge")
    runs = [RunDir(s) for s in sources]
    manifests = [checked_source(run) for run in runs]
    configs = [saved_config(run) for run in runs]
    for run, config in zip(runs[1:], configs[1:], strict=True):
        same_settings(runs[0], configs[0], run, config)
    ids = [m["data"]["class_ids"] for m in manifests]  # filled in by the manifest's check for older runs
    owner: dict[int, RunDir] = {}
    for run, run_ids in zip(runs, ids, strict=True):
        for class_id in run_ids:
            if class_id in owner:
                raise ConfigError(f"merge: class {class_id} is in both {owner[class_id].path} and {run.path}")
            owner[class_id] = run
    merged, dataset = merged_data(configs[0], sorted(owner), target)
    plan = plan_run(merged, dataset)
    position = {class_id: k for k, class_id in enumerate(plan.dataset.ids)}
    for run, manifest, run_ids in zip(runs, manifests, ids, strict=True):
        same = plan.dataset.subset([position[c] for c in run_ids]).fingerprint()
        if manifest["data"].get("fingerprint") != same:
            raise ConfigError(
                f"{run.manifest_path}: trained on other data than {merged.data.name} holds for its classes "
                f"(fingerprint {str(manifest['data'].get('fingerprint'))[:16]}, the data now {same[:16]})"
            )
    write_merged(target, merged, plan.manifest, runs, manifests, ids)
    return target


def checked_source(run: RunDir) -> dict:
    """A source's manifest, when it is a finished class-parallel run without a warm start."""
    manifest = run.read_manifest()
    if manifest.get("strategy") != "class-parallel":
        strategy = manifest.get("strategy")
        raise ConfigError(f"{run.manifest_path}: strategy {strategy!r}; merge takes class-parallel runs")
    if manifest.get("status") != "complete":
        raise ConfigError(f"{run.manifest_path}: status {manifest.get('status')!r}; merge takes finished runs")
    for member in manifest["members"]:
        if member["label"] is None:
            what = "a distilled member" if not trained_member(member) else "a warm start's shared pair"
            raise ConfigError(
                f"{run.manifest_path}: has {what} ({member['name']}), made from this run's classes only; merge takes "
                "runs without one"
            )
    return manifest


def same_settings(first: RunDir, first_config: RunConfig, run: RunDir, config: RunConfig) -> None:
    a, b = flatten(first_config.to_dict()), flatten(config.to_dict())
    differ = sorted(k for k in set(a) | set(b) if k not in FREE_KEYS and a.get(k) != b.get(k))
    if differ:
        details = "; ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in differ[:3])
        raise ConfigError(f"merge: {run.config_path} differs from {first.config_path} in {details}")


def merged_data(config: RunConfig, class_ids: list[int], target: RunDir) -> tuple[RunConfig, ClassPartitionedDataset]:
    """`config` over the union of the classes (`data.classes` None when that is every class of the data) and
    its data, loaded once: the whole data set, then those classes."""
    whole = load_dataset(dataclasses.replace(config.data, classes=None))
    classes = None if class_ids == list(range(whole.n_classes)) else class_ids
    merged = apply_values(config, {"data.classes": classes, "out": str(target.path)})
    return merged, whole if classes is None else whole.subset(class_ids)


def write_merged(
    target: RunDir, config: RunConfig, manifest: dict, runs: list[RunDir], manifests: list[dict], ids: list[list]
) -> None:
    """Copy every pair folder once into a temporary folder beside `target`, write config and manifest, rename."""
    target.path.parent.mkdir(parents=True, exist_ok=True)
    building = RunDir(tempfile.mkdtemp(prefix=f".{target.path.name}.merging-", dir=target.path.parent))
    try:
        for run, source in zip(runs, manifests, strict=True):
            for member in source["members"]:
                copy_pair(run.pair_dir(member["name"]), building.pair_dir(member["name"]))
        building.write_json(building.config_path, config.to_dict())
        origins = [
            {"path": str(run.path.resolve()), "class_ids": run_ids, "launch": source.get("launch")}
            for run, source, run_ids in zip(runs, manifests, ids, strict=True)
        ]
        building.write_manifest({**manifest, "merged_from": origins}, status="complete")
        os.rename(building.path, target.path)
    except BaseException:
        shutil.rmtree(building.path, ignore_errors=True)
        raise


def copy_pair(source: Path, target: Path) -> None:
    """The checkpoints of a pair folder that verify, copied (regular files, never a link); ConfigError when none
    does, so a merged fleet never lacks a pair."""
    kept, left_out = [], []
    for path in list_checkpoints(source):
        try:
            if path.is_symlink():
                raise CheckpointError(f"{path}: a link, not a checkpoint of this run")
            read_checkpoint(path, PREFIXES + OPTIONAL)
            kept.append(path)
        except CheckpointError as exc:
            left_out.append(str(exc))
    if not kept:
        raise ConfigError(f"{source}: no valid checkpoint (regular file) to merge")
    for reason in left_out:
        warnings.warn(f"merge: leaving out {reason}", stacklevel=2)
    target.mkdir(parents=True)
    for path in kept:
        shutil.copyfile(path, target / path.name)
