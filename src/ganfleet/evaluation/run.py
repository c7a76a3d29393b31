"""`ganfleet evaluate`: a trained fleet (or the train split, for the floor) against the held-out test split.

    evaluate_run(run_dir, EvalOptions(n=10_000))
        -> <run>/eval/metrics.json, report.md, samples.png, curve.png
    evaluate_real_baseline(DataConfig("fashion-mnist"), ...)
        -> the floor: train split images as if generated

Real images are the *whole test split* of the run's data (its saved
config.json with split=test: same source, classes and fit). Conditional
fleets get labels in the test split's class proportions (1,000 per class at
n = 10,000 on balanced data); unconditional ones are sampled as they are. The
real-data floor is what the metrics give for real images: n images drawn
(seeded) from the train split against the same test split, through the same
extractors. A model cannot be expected to beat it.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganfleet import smoke
from ganfleet.classifier import NO_CAPS, StoredClassifier, TrainingCaps
from ganfleet.classifier.store import domain_config
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset, stratified_labels, to_uint8
from ganfleet.errors import EvaluationError
from ganfleet.evaluation.cas import cas_of_images, cas_on_test, classification_accuracy_score, recipe_of
from ganfleet.evaluation.extractors import Extractors, build_extractors
from ganfleet.evaluation.measure import data_config_of, measure
from ganfleet.evaluation.report import claim_report_folder, write_reports
from ganfleet.evaluation.samples import MIN_IMAGES
from ganfleet.fleet import Fleet
from ganfleet.metrics import SampleSet
from ganfleet.metrics.registry import check_metric_names
from ganfleet.rundir import RunDir
from ganfleet.seeds import derive_seed

DEFAULT_N = 10_000


@dataclass
class EvalOptions:
    """How an evaluation is run (the CLI's flags)."""

    n: int | None = None  # generated samples; default 10,000 (the test split's size for the floor alone)
    member: str | None = (
        None  # one member's generator for every sample (e.g. sgan's "global"); None: the fleet's routing
    )
    seed: int = 0
    features: str = "classifier"
    inception_weights: str | None = None
    classifier: str | None = None
    train_classifier: bool = True
    metrics: list[str] | None = None  # a subset of ganfleet.metrics.METRICS and "cas"
    cas_n: int | None = None  # generated images CAS trains on; None: as many as the train split has; 0: no CAS
    floor: bool = True
    batch_size: int = 500
    device: str = "cpu"
    progress: bool = True
    ema: bool = True  # each generator's moving average where the run kept one; False: the raw weights
    classifier_caps: TrainingCaps = NO_CAPS  # on training the canonical classifier and CAS's (GANFLEET_SMOKE's)
    force: bool = False  # write the reports into a folder of other files (never over one of them)

    def __post_init__(self) -> None:
        """The cheap checks, before any data is read or any classifier trained."""
        for flag, value, least in (
            ("--n", self.n, MIN_IMAGES),
            ("--cas-n", self.cas_n, 0),
            ("--batch-size", self.batch_size, 1),
        ):
            if value is not None and (not isinstance(value, int) or value < least):
                raise EvaluationError(f"{flag}: expected an integer >= {least}, got {value!r}")
        check_metric_names(self.metrics or [], extra=("cas",))

    def capped(self, limit: int | None) -> EvalOptions:
        """These options with at most `limit` generated samples and CAS images (None: unchanged).

        GANFLEET_SMOKE's limits (`ganfleet.smoke`), applied once where a command builds its options.
        """
        if limit is None:
            return self
        n, cas_n = self.n, self.cas_n
        if n is None or n > limit:
            smoke.say("evaluation samples", limit, n if n is not None else "the default")
            n = limit
        if cas_n is None or cas_n > limit:
            smoke.say("CAS images", limit, cas_n if cas_n is not None else "the train split's size")
            cas_n = limit
        return dataclasses.replace(self, n=n, cas_n=cas_n)


@dataclass
class StageClock:
    """Seconds per stage of one evaluation (metrics.json's timing_s); with `say`, a line on stderr as each ends."""

    say: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def lap(self, stage: str, start: float) -> float:
        """Record the seconds since `start` under `stage`; returns now (the next stage's start)."""
        now = time.perf_counter()
        self.seconds[stage] = round(now - start, 3)
        if self.say:
            print(f"evaluate: {stage.replace('_', ' ')} done in {now - start:.1f} s", file=sys.stderr, flush=True)
        return now


def as_samples(x: torch.Tensor) -> torch.Tensor:
    """Generated images quantised to uint8 (as saved); toy points unchanged."""
    return to_uint8(x) if x.ndim == 4 else x


def real_floor(
    data: DataConfig,
    extractors: Extractors,
    real: SampleSet,
    test: ClassPartitionedDataset,
    n: int,
    options: EvalOptions,
    timing: StageClock,
) -> tuple[dict[str, float], int]:
    """Metrics of min(n, train size) seeded train-split images (with their true labels) against the test split."""
    train = load_dataset(domain_config(data, "train"))
    g = torch.Generator().manual_seed(derive_seed(options.seed, "floor"))
    index = torch.randperm(len(train), generator=g)[: min(n, len(train))].sort().values
    start = time.perf_counter()
    fake = extractors.sample_set(train.samples[index], train.labels[index])
    start = timing.lap("floor_features", start)
    metrics = measure(real, fake, test, train.prior, options.seed, feature_metrics(options))
    start = timing.lap("floor_metrics", start)
    if wants_cas(options, test, True) and extractors.stored is not None:
        metrics.update(real_cas(train, test, extractors.stored, options))
        timing.lap("floor_cas", start)
    return metrics, len(index)


def real_cas(
    train: ClassPartitionedDataset, test: ClassPartitionedDataset, classifier: StoredClassifier, options: EvalOptions
) -> dict[str, float]:
    """CAS's ceiling: the classifier's recipe trained on as many real train images as CAS trains on generated ones.

    That is the evaluation classifier itself when CAS uses the whole train split's size (no training here).
    """
    cas_n = options.cas_n or len(train)
    if cas_n >= len(train):
        return {
            **cas_on_test(classifier.model, test, options.classifier_caps),
            "cas": classifier.test_accuracy,  # its manifest's: the figure every report of this classifier gives
            "cas_n": len(train),
        }
    g = torch.Generator().manual_seed(derive_seed(options.seed, "floor-cas"))
    index = torch.randperm(len(train), generator=g)[:cas_n].sort().values
    recipe = recipe_of(classifier)
    return {
        **cas_of_images(train.samples[index], train.labels[index], test, recipe, caps=options.classifier_caps),
        "cas_n": cas_n,
    }


def feature_metrics(options: EvalOptions) -> list[str] | None:
    """The metrics of `options` that come from features (all but CAS), None for all."""
    return None if options.metrics is None else [m for m in options.metrics if m != "cas"]


def wants_cas(options: EvalOptions, test: ClassPartitionedDataset, conditional: bool) -> bool:
    """CAS is measured for conditional image fleets unless --cas-n 0 or --metrics leaves it out."""
    chosen = options.metrics is None or "cas" in options.metrics
    if options.metrics is not None and "cas" in options.metrics and not (test.is_image and conditional):
        raise EvaluationError("metric 'cas' does not apply to this evaluation (it needs images asked for by label)")
    return chosen and options.cas_n != 0 and test.is_image and conditional


def setup_real(
    data: DataConfig, options: EvalOptions, timing: StageClock, test: ClassPartitionedDataset | None = None
) -> tuple[ClassPartitionedDataset, Extractors, SampleSet]:
    """The test split (loaded unless given), the extractors (a classifier trained if need be) and its features."""
    test = test if test is not None else load_dataset(domain_config(data, "test"))
    extractors = build_extractors(
        data,
        test.is_image,
        options.features,
        options.classifier,
        options.inception_weights,
        options.train_classifier,
        options.batch_size,
        options.device,
        options.progress,
        options.classifier_caps,
    )
    start = time.perf_counter()
    real, cached = extractors.real_set(test)
    timing.lap("real_features_cached" if cached else "real_features", start)
    return test, extractors, real


def base_summary(
    kind: str, data: DataConfig, test: ClassPartitionedDataset, extractors: Extractors, options: EvalOptions
) -> dict:
    return {
        "kind": kind,
        "data": {"source": test.source, "config": data.name, "n_real": len(test), "class_names": test.class_names},
        "features": options.features if test.is_image else "points",
        "extractors": extractors.identity,
        "classifier": extractors.classifier_info,
        "seed": options.seed,
    }


def evaluate_run(run_dir: str | Path, options: EvalOptions | None = None, out: str | Path | None = None) -> Path:
    """Evaluate a run directory's fleet; writes the reports into `out` (default <run>/eval) and returns metrics.json."""
    options = options or EvalOptions()
    timing = StageClock(options.progress)
    run = RunDir(run_dir)
    out = Path(out) if out is not None else run.path / "eval"
    claim_report_folder(out, options.force)
    fleet = Fleet.load(run.path, device=options.device, ema=options.ema)
    data = data_config_of(run.read_json(run.config_path))
    test, extractors, real = setup_real(data, options, timing)
    if tuple(test.sample_shape) != tuple(fleet.sample_shape):
        raise EvaluationError(
            f"{run.path}: the fleet makes samples of shape {fleet.sample_shape} but the test split of "
            f"{data.name} has {test.sample_shape}"
        )
    n = options.n if options.n is not None else DEFAULT_N
    labels = stratified_labels(n, test.prior) if fleet.member_is_conditional(options.member) else None
    start = time.perf_counter()
    x = as_samples(fleet.sample(n, labels=labels, seed=options.seed, member=options.member))
    start = timing.lap("generate", start)
    fake = extractors.sample_set(x, labels)
    start = timing.lap("features", start)
    metrics = measure(real, fake, test, fleet.prior, options.seed, feature_metrics(options))
    start = timing.lap("metrics", start)
    if wants_cas(options, test, labels is not None):
        assert extractors.stored is not None
        cas_n = options.cas_n or len(load_dataset(domain_config(data, "train")))
        metrics.update(
            classification_accuracy_score(
                fleet,
                options.member,
                cas_n,
                fleet.prior,
                test,
                recipe_of(extractors.stored),
                options.seed,
                options.progress,
                options.classifier_caps,
            )
        )
        metrics["cas_n"] = cas_n
        timing.lap("cas", start)
    summary = base_summary("model", data, test, extractors, options)
    summary["run"] = {
        "path": str(run.path),
        "strategy": fleet.strategy,
        "steps": fleet.steps,
        "member": options.member,
        "ema": any(fleet.averaged.values()),
    }
    summary["n_generated"] = n
    summary["conditional"] = labels is not None
    summary["metrics"] = metrics
    if options.floor:
        summary["real_floor"], summary["real_floor_n"] = real_floor(data, extractors, real, test, n, options, timing)
    summary["timing_s"] = timing.seconds
    return write_reports(out, summary, x, fake, test, run.metrics_path)


def evaluate_real_baseline(data: DataConfig, options: EvalOptions | None = None, out: str | Path | None = None) -> Path:
    """The floor alone: train-split images against the test split, N = the test split's size unless --n is given."""
    options = options or EvalOptions()
    timing = StageClock(options.progress)
    out = Path(out) if out is not None else Path("runs") / f"real-baseline-{data.name}"
    claim_report_folder(out, options.force)
    test, extractors, real = setup_real(data, options, timing)
    n = options.n if options.n is not None else len(test)
    summary = base_summary("real-baseline", data, test, extractors, options)
    summary["real_floor"], summary["real_floor_n"] = real_floor(data, extractors, real, test, n, options, timing)
    summary["timing_s"] = timing.seconds
    return write_reports(out, summary, None, None, test, None)
