"""Saved classifiers: safetensors weights + a manifest naming the exact data they were trained on.

    <dir>/classifier.safetensors   weights (never unpickled)
    <dir>/manifest.json            format, data fingerprint and config, class names, architecture, accuracies

A classifier is tied to the data by the fingerprint of the train split it saw
(`ClassPartitionedDataset.fingerprint()`: source bytes after class subset and
fit, so the same source at another image size is other data). Loading it for
other data is refused. Its manifest names its training *recipe*
(`ClassifierTraining`, with `recipe_id`): only classifiers of the canonical
recipe are found without being named. They live

- in the package (`ganfleet/classifier/canonical/<name>/`) for Fashion-MNIST
  and digits, so every user's figures on those data sets are the same numbers;
- in the cache, one per (fingerprint, recipe), under
  `$GANFLEET_CACHE/classifiers/<fingerprint[:16]>-<recipe_id>` (default `~/.cache/ganfleet`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

import ganfleet
from ganfleet.classifier.model import ClassifierSpec, DomainClassifier
from ganfleet.classifier.training import CANONICAL, ClassifierResult
from ganfleet.config import DataConfig
from ganfleet.errors import EvaluationError
from ganfleet.rundir import atomic_write, atomic_write_text, tensor_digest

FORMAT = "ganfleet-classifier-1"
WEIGHTS = "classifier.safetensors"
MANIFEST = "manifest.json"


def cache_root() -> Path:
    """`$GANFLEET_CACHE`, default `~/.cache/ganfleet`."""
    return Path(os.environ.get("GANFLEET_CACHE") or "~/.cache/ganfleet").expanduser()


SHIPPED = Path(__file__).parent / "canonical"  # the canonical classifiers that come with the package


def cache_dir(fingerprint: str, recipe_id: str = CANONICAL.recipe_id) -> Path:
    """Where the cache keeps the classifier of the data with this fingerprint, trained by this recipe."""
    return cache_root() / "classifiers" / f"{fingerprint[:16]}-{recipe_id}"


def domain_config(data: DataConfig, split: Literal["train", "test"] = "train") -> DataConfig:
    """The data a classifier for `data` is trained (or tested) on: the whole split, same source, classes and fit."""
    return dataclasses.replace(data, split=split, max_per_class=None)


def train_command(data: DataConfig, out: str | None = None) -> str:
    """The `ganfleet classifier train` command line for `data` (shown in errors)."""
    parts = ["ganfleet classifier train", f"--data {data.name}"]
    if data.path:
        parts.append(f"--data-dir {data.path}")
    if data.classes is not None:
        parts.append("--classes " + ",".join(map(str, data.classes)))
    if data.image_size is not None:
        parts.append(f"--image-size {data.image_size}")
    if data.fit != "resize":
        parts.append(f"--set data.fit={data.fit}")
    if out:
        parts.append(f"--out {out}")
    return " ".join(parts)


@dataclass
class StoredClassifier:
    """A loaded classifier and its manifest."""

    model: DomainClassifier
    manifest: dict
    path: Path

    @property
    def fingerprint(self) -> str:
        return self.manifest["data"]["fingerprint"]

    @property
    def class_names(self) -> list[str]:
        return list(self.manifest["data"]["class_names"])

    @property
    def test_accuracy(self) -> float:
        return float(self.manifest["test_accuracy"])

    @property
    def weights_sha256(self) -> str:
        """SHA-256 of the weights (names and bytes): the identity of this classifier."""
        return tensor_digest({k: v.detach().cpu() for k, v in self.model.state_dict().items()})

    @property
    def recipe_id(self) -> str | None:
        return self.manifest.get("recipe", {}).get("id")

    @property
    def canonical(self) -> bool:
        return self.recipe_id == CANONICAL.recipe_id

    def describe(self) -> dict:
        """What metrics.json and reports say of this classifier."""
        return {
            "path": str(self.path),
            "fingerprint": self.fingerprint,
            "test_accuracy": self.test_accuracy,
            "source": self.manifest["data"]["source"],
            "weights_sha256": self.weights_sha256,
            "recipe_id": self.recipe_id,
            "canonical": self.canonical,
        }


def save_classifier(
    folder: str | Path,
    result: ClassifierResult,
    data: DataConfig,
    fingerprint: str,
    source: str,
    class_names: list[str],
) -> Path:
    """Write weights then manifest (each atomically; the manifest last, so a folder with one is complete)."""
    folder = Path(folder)
    state = {k: v.detach().cpu().contiguous() for k, v in result.model.state_dict().items()}
    atomic_write(folder / WEIGHTS, lambda tmp: save_file(state, str(tmp), metadata={"format": FORMAT}))
    manifest = {
        "format": FORMAT,
        "ganfleet_version": ganfleet.__version__,
        "torch_version": torch.__version__,
        "data": {
            "fingerprint": fingerprint,
            "source": source,
            "class_names": class_names,
            "config": dataclasses.asdict(data),
        },
        "spec": result.model.spec.to_dict(),
        "recipe": {"id": result.recipe.recipe_id, "settings": dataclasses.asdict(result.recipe)},
        "train_accuracy": result.train_accuracy,
        "test_accuracy": result.test_accuracy,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
    }
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return folder


def load_classifier(
    folder: str | Path, fingerprint: str | None = None, data: DataConfig | None = None
) -> StoredClassifier:
    """Load the classifier in `folder`; with `fingerprint`, refuse one trained on other data."""
    folder = Path(folder)
    hint = (
        f"train one with: {train_command(data, str(folder))}"
        if data is not None
        else "train one with: ganfleet classifier train"
    )
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise EvaluationError(f"{folder}: no classifier here (missing {MANIFEST}); {hint}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise EvaluationError(f"{folder / MANIFEST}: unreadable ({exc}); {hint}") from None
    if manifest.get("format") != FORMAT:
        raise EvaluationError(f"{folder / MANIFEST}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    saw = manifest["data"]
    if fingerprint is not None and saw["fingerprint"] != fingerprint:
        raise EvaluationError(
            f"{folder}: this classifier was trained on other data ({saw['source']}, "
            f"fingerprint {saw['fingerprint'][:16]}) "
            f"than the data being evaluated (fingerprint {fingerprint[:16]}); leave out --classifier for this data's "
            f"canonical classifier, or train one into a new folder with: "
            f"{train_command(data) if data is not None else 'ganfleet classifier train'} --out NEW_FOLDER"
        )
    model = DomainClassifier(ClassifierSpec.from_dict(manifest["spec"]))
    try:
        model.load_state_dict(load_file(str(folder / WEIGHTS)))
    except (FileNotFoundError, SafetensorError, RuntimeError, OSError) as exc:
        raise EvaluationError(f"{folder / WEIGHTS}: cannot load the classifier weights ({exc}); {hint}") from None
    return StoredClassifier(model.eval(), manifest, folder)


def copy_to_cache(folder: str | Path, fingerprint: str, recipe_id: str) -> Path | None:
    """Copy a saved classifier into the cache unless the cache already has one for this data and recipe;
    returns the copy."""
    target = cache_dir(fingerprint, recipe_id)
    if (target / MANIFEST).is_file() or Path(folder).resolve() == target.resolve():
        return None
    target.mkdir(parents=True, exist_ok=True)
    for name in (WEIGHTS, MANIFEST):  # the manifest last: a folder with one is complete
        shutil.copy2(Path(folder) / name, target / name)
    return target


def shipped_for(fingerprint: str) -> Path | None:
    """The canonical classifier in the package for the data with this fingerprint, if one ships."""
    for manifest in sorted(SHIPPED.glob(f"*/{MANIFEST}")):
        try:
            entry = json.loads(manifest.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if (
            entry.get("data", {}).get("fingerprint") == fingerprint
            and entry.get("recipe", {}).get("id") == CANONICAL.recipe_id
        ):
            return manifest.parent
    return None
