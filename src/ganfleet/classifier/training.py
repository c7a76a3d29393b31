"""Training a domain classifier on a data set's whole train split, and measuring it on the test split."""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ganfleet import smoke
from ganfleet.classifier.model import ClassifierSpec, DomainClassifier
from ganfleet.data.dataset import ClassPartitionedDataset, to_model_space
from ganfleet.data.stream import BatchStream
from ganfleet.seeds import derive_seed


@dataclass(frozen=True)
class ClassifierTraining:
    """How a classifier is trained: budget, batch, optimiser, seed, size, CPU threads (a *recipe*).

    The defaults are the canonical recipe (`CANONICAL`): the one every
    evaluation uses unless a classifier is named explicitly, so that FID, IS
    and CAS of any run of one data set are on one scale. The recipe trains
    deterministically (fixed seed, `threads` CPU threads), and `recipe_id`
    identifies it in the cache and in every report.
    """

    epochs: float = 5.0
    min_steps: int = 250  # small data sets need more passes (digits: 1,437 images, 22 epochs)
    fixed_steps: int | None = None  # exactly this many steps (overrides epochs and min_steps)
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 5e-4
    width: int = 16
    feature_dim: int = 128
    seed: int = 0
    threads: int = 1  # CPU threads while training: the same thread count gives the same weights

    @property
    def recipe_id(self) -> str:
        """A short hash of every setting: the recipe's name in the cache and in reports."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    @property
    def canonical(self) -> bool:
        return self == CANONICAL

    def steps(self, n_samples: int) -> int:
        if self.fixed_steps is not None:
            return self.fixed_steps
        return max(self.min_steps, math.ceil(self.epochs * n_samples / self.batch_size))


CANONICAL = ClassifierTraining()


@dataclass(frozen=True)
class TrainingCaps:
    """Upper bounds on one training, outside the recipe (its id): none, or GANFLEET_SMOKE's (`smoke_caps`)."""

    steps: int | None = None  # training steps
    accuracy_images: int | None = None  # the first images of a split an accuracy is measured on


NO_CAPS = TrainingCaps()


def smoke_caps() -> TrainingCaps:
    """GANFLEET_SMOKE's caps (none when it is unset), read where a command builds its options."""
    return TrainingCaps(smoke.limit(smoke.STEPS * 20), smoke.limit(smoke.SAMPLES * 10))


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch's intra-op threads set to `n` for the block (the recipe's), restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class ClassifierResult:
    """A trained classifier and how well it does."""

    model: DomainClassifier
    train_accuracy: float
    test_accuracy: float
    steps: int
    seconds: float
    recipe: ClassifierTraining = CANONICAL


@torch.no_grad()
def predict(
    model: DomainClassifier, dataset: ClassPartitionedDataset, batch_size: int = 1000, limit: int | None = None
) -> torch.Tensor:
    """The model's labels (in eval mode) for `dataset`'s images (its first `limit` when given)."""
    model.eval()
    n = smoke.cap(len(dataset), limit, "images an accuracy is measured on")
    chunks = [
        model(to_model_space(dataset.samples[start : min(start + batch_size, n)])).argmax(dim=1)
        for start in range(0, n, batch_size)
    ]
    return torch.cat(chunks)


def accuracy(
    model: DomainClassifier, dataset: ClassPartitionedDataset, batch_size: int = 1000, limit: int | None = None
) -> float:
    """Share of `dataset` the model (in eval mode) labels correctly (of its first `limit` images when given)."""
    predicted = predict(model, dataset, batch_size, limit)
    return share_correct(predicted, dataset.labels[: len(predicted)])


def share_correct(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of `predicted` equal to `labels`."""
    return int((predicted == labels).sum()) / len(predicted)


def class_recall(predicted: torch.Tensor, labels: torch.Tensor) -> dict[int, float]:
    """For each class k among `labels`, the share of its images whose prediction is k."""
    return {int(k): share_correct(predicted[labels == k], labels[labels == k]) for k in labels.unique().tolist()}


def train_classifier(
    train: ClassPartitionedDataset,
    test: ClassPartitionedDataset | None,
    settings: ClassifierTraining = CANONICAL,
    progress: bool = True,
    caps: TrainingCaps = NO_CAPS,
) -> ClassifierResult:
    """Train on every image of `train` (AdamW, one-cycle learning rate, random shifts of up to 2 px); test on `test`."""
    with torch_threads(settings.threads):
        return _train(train, test, settings, progress, caps)


def _train(
    train: ClassPartitionedDataset,
    test: ClassPartitionedDataset | None,
    settings: ClassifierTraining,
    progress: bool,
    caps: TrainingCaps,
) -> ClassifierResult:
    start = time.perf_counter()
    c = train.sample_shape[0]
    spec = ClassifierSpec(c, train.n_classes, settings.width, settings.feature_dim)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(settings.seed, "classifier-init"))
        model = DomainClassifier(spec)
    steps = smoke.cap(settings.steps(len(train)), caps.steps, "classifier training steps")
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=settings.lr, total_steps=steps, pct_start=0.15)
    stream = BatchStream(
        train.samples, train.labels, settings.batch_size, derive_seed(settings.seed, "classifier-data")
    )
    shifts = torch.Generator().manual_seed(derive_seed(settings.seed, "classifier-shift"))
    model.train()
    shown = progress and sys.stderr.isatty()  # a bar on a terminal; no carriage returns in a batch job's log
    bar = tqdm(
        range(steps),
        desc=f"classifier {train.source}",
        unit="step",
        disable=not shown,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    for step in bar:
        x, y = stream.batch(step)
        assert y is not None  # a classifier's stream has labels
        x = random_shift(x, 2, shifts)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
        if progress and not shown and (step + 1) % max(1, steps // 10) == 0:  # a batch job's log: 10 plain lines
            elapsed = time.perf_counter() - start
            print(
                f"classifier {train.source}: step {step + 1}/{steps}   loss {loss.item():.3f}   {elapsed:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    bar.close()
    test_accuracy = accuracy(model, test, limit=caps.accuracy_images) if test is not None else float("nan")
    return ClassifierResult(
        model.eval(),
        accuracy(model, train, limit=caps.accuracy_images),
        test_accuracy,
        steps,
        time.perf_counter() - start,
        settings,
    )


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to `max_shift` pixels (edge-padded): cheap augmentation against overfitting small
    sets.
    """
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, mode="replicate")
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator)
    rows = (torch.arange(h)[None, :] + dy[:, None])[:, None, :, None].expand(n, x.shape[1], h, w + 2 * max_shift)
    out = padded.gather(2, rows)
    cols = (torch.arange(w)[None, :] + dx[:, None])[:, None, None, :].expand(n, x.shape[1], h, w)
    return out.gather(3, cols)
