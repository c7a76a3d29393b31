"""`ganfleet evaluate --samples PATH` and `--input1 A --input2 B`: samples of any generator, on the fleets' scale.

    evaluate_samples("export/", DataConfig("fashion-mnist"))
        -> the samples against the test split, next to the floor
    compare_samples("a.npz", "b/", DataConfig("fashion-mnist"))
        -> A as generated against B as real (torch-fidelity's --input1/--input2), through the same extractors

The extractors are those of a fleet's evaluation of the same data (the
canonical domain classifier, or Inception with its weights file), so a figure
here compares with `ganfleet evaluate RUN` figures of that data and no others.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import torch

from ganfleet.classifier.store import domain_config
from ganfleet.config import DataConfig
from ganfleet.data import load_dataset
from ganfleet.evaluation.cas import cas_of_images, recipe_of
from ganfleet.evaluation.measure import measure
from ganfleet.evaluation.report import claim_report_folder, write_reports
from ganfleet.evaluation.run import (
    EvalOptions,
    StageClock,
    base_summary,
    feature_metrics,
    real_floor,
    setup_real,
    wants_cas,
)
from ganfleet.evaluation.samples import Samples, load_samples
from ganfleet.seeds import derive_seed


def _subset(samples: Samples, n: int | None, seed: int) -> Samples:
    """At most `n` of the samples (a seeded choice, in their order)."""
    n = min(n or len(samples.images), len(samples.images))
    if n >= len(samples.images):
        return samples
    g = torch.Generator().manual_seed(derive_seed(seed, "subset"))
    index = torch.randperm(len(samples.images), generator=g)[:n].sort().values
    labels = samples.labels[index] if samples.labels is not None else None
    return Samples(samples.images[index], labels, {**samples.description, "n": n, "of": len(samples.images)})


def _default_out(path: str | Path, suffix: str) -> Path:
    path = Path(path)
    return (path.parent / f"{path.stem}-{suffix}") if path.suffix else Path(str(path).rstrip("/") + f"-{suffix}")


def evaluate_samples(
    path: str | Path, data: DataConfig, options: EvalOptions | None = None, out: str | Path | None = None
) -> Path:
    """The samples at `path` against `data`'s test split (every metric that applies, CAS with labels) and the floor."""
    options = options or EvalOptions()
    timing = StageClock(options.progress)
    out = Path(out) if out is not None else _default_out(path, "eval")
    claim_report_folder(out, options.force)
    test = load_dataset(domain_config(data, "test"))
    start = time.perf_counter()  # the samples are read and checked before any classifier is trained
    samples = _subset(load_samples(path, test, data.fit, options.n, options.seed), options.n, options.seed)
    timing.lap("load", start)
    test, extractors, real = setup_real(data, options, timing, test)
    start = time.perf_counter()
    fake = extractors.sample_set(samples.images, samples.labels)
    start = timing.lap("features", start)
    metrics = measure(real, fake, test, test.prior, options.seed, feature_metrics(options))
    start = timing.lap("metrics", start)
    cas_n = min(options.cas_n or len(samples.images), len(samples.images))  # the floor's CAS takes as many
    if samples.labels is not None and wants_cas(options, test, True) and extractors.stored is not None:
        metrics.update(
            cas_of_images(
                samples.images[:cas_n],
                samples.labels[:cas_n],
                test,
                recipe_of(extractors.stored),
                options.progress,
                options.classifier_caps,
            )
        )
        metrics["cas_n"] = cas_n
        timing.lap("cas", start)
    summary = base_summary("samples", data, test, extractors, options)
    summary.update(
        samples=samples.description,
        n_generated=len(samples.images),
        conditional=samples.labels is not None,
        metrics=metrics,
    )
    if options.floor:
        floor_options = dataclasses.replace(options, cas_n=cas_n if options.cas_n != 0 else 0)
        summary["real_floor"], summary["real_floor_n"] = real_floor(
            data, extractors, real, test, len(samples.images), floor_options, timing
        )
    summary["timing_s"] = timing.seconds
    return write_reports(out, summary, samples.images, fake, test, None)


def compare_samples(
    path1: str | Path,
    path2: str | Path,
    data: DataConfig,
    options: EvalOptions | None = None,
    out: str | Path | None = None,
) -> Path:
    """Input 1 as generated against input 2 as real: FID, KID, precision/recall, density/coverage, IS of input 1."""
    options = options or EvalOptions()
    timing = StageClock(options.progress)
    out = Path(out) if out is not None else _default_out(path1, "vs-" + Path(str(path2).rstrip("/")).stem)
    claim_report_folder(out, options.force)
    test = load_dataset(domain_config(data, "test"))
    start = time.perf_counter()  # the samples are read and checked before any classifier is trained
    first, second = (
        _subset(load_samples(p, test, data.fit, options.n, options.seed), options.n, options.seed)
        for p in (path1, path2)
    )
    timing.lap("load", start)
    test, extractors, _ = setup_real(data, options, timing, test)
    start = time.perf_counter()
    fake, real = extractors.sample_set(first.images, first.labels), extractors.sample_set(second.images, second.labels)
    start = timing.lap("features", start)
    names = feature_metrics(options) or ["fid", "kid", "is", "prdc", "fid_per_class"]
    prior = (
        (torch.bincount(second.labels, minlength=test.n_classes).double() / len(second.labels)).tolist()
        if second.labels is not None
        else test.prior
    )
    metrics = measure(real, fake, test, prior, options.seed, names, skip_inapplicable=True)
    timing.lap("metrics", start)
    summary = base_summary("comparison", data, test, extractors, options)
    summary.update(
        input1=first.description,
        input2=second.description,
        n_generated=len(first.images),
        conditional=first.labels is not None,
        metrics=metrics,
        timing_s=timing.seconds,
    )
    summary["data"]["n_real"] = len(second.images)
    return write_reports(out, summary, first.images, fake, test, None)
