"""`--eval-every N`: a quick evaluation of the fleet being trained, logged to metrics.jsonl.

Every N steps (and at the end) the loop calls `TrainingEvaluator.record`,
which samples `eval.n` images (default 2,000) from the pairs' current
generators with the *same* noise each time, measures them against the test
split with the domain classifier (found in the cache or trained once at the
start) and returns `{"step": s, "eval": {fid, kid, is, class metrics}}`;
`ganfleet evaluate` plots these records as curve.png. Fewer samples than a
full evaluation means a higher FID (FID is biased upwards at small n): compare
curve points with each other, not with a 10k evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ganfleet.classifier.store import domain_config
from ganfleet.config import RunConfig
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset, stratified_labels, to_uint8
from ganfleet.devices import resolve_device
from ganfleet.errors import ConfigError
from ganfleet.evaluation.extractors import build_extractors
from ganfleet.evaluation.measure import measure
from ganfleet.fleet import Fleet
from ganfleet.pairs import Pair
from ganfleet.seeds import derive_seed

DURING_TRAINING = ["fid", "kid", "is", "classes", "modes", "kde"]  # those that apply; no PR/density (slow, noisy at 2k)
KID_SUBSETS = 20


class TrainingEvaluator:
    """Holds the real test features and the classifier for the whole run: each evaluation only samples and measures."""

    def __init__(self, config: RunConfig, manifest: dict, dataset: ClassPartitionedDataset) -> None:
        self.every, self.n, self.member = config.eval.every, config.eval.n, config.eval.member
        names = [m["name"] for m in manifest["members"]]
        if self.member is not None and self.member not in names:
            raise ConfigError(f"eval.member: this run has no member {self.member!r}; members are {', '.join(names)}")
        self.manifest = manifest
        self.prior = dataset.prior
        self.seed = derive_seed(config.train.seed, "eval")
        self.test = load_dataset(domain_config(config.data, "test"))
        device = str(resolve_device(config.train.device))
        self.extractors = build_extractors(
            config.data, self.test.is_image, "classifier", config.eval.classifier, device=device, progress=False
        )
        self.real, _ = self.extractors.real_set(self.test)

    @classmethod
    def for_run(cls, config: RunConfig, manifest: dict, dataset: ClassPartitionedDataset) -> TrainingEvaluator | None:
        return cls(config, manifest, dataset) if config.eval.every else None

    def class_scores(self, pairs: Sequence[Pair]) -> dict[str, float]:
        """Each one-class pair's per-class FID: `eval.n` / K samples of its class (noise seeded by the class, so
        the score does not depend on which rank holds the pair) against its class's test images."""
        per_class = max(2, self.n // len(self.test.class_names))
        scores = {}
        for pair in pairs:
            label = pair.member.label
            assert label is not None
            labels = torch.full((per_class,), label, dtype=torch.int64)
            fleet = Fleet(
                self.manifest,
                {pair.name: pair.sampler},
                {pair.name: pair.step},
                pair.device,
                {pair.name: pair.ema is not None},
            )
            x = fleet.sample(per_class, labels=labels, seed=derive_seed(self.seed, "class", label))
            fake = self.extractors.sample_set(to_uint8(x), labels)
            metrics = measure(self.real, fake, self.test, self.prior, self.seed, ["fid_per_class"])
            scores[pair.name] = metrics.get(f"fid_class/{label}", float("nan"))
        return scores

    def record(self, pairs: Sequence[Pair], step: int) -> dict:
        """The metrics.jsonl record of the fleet at `step`."""
        device = pairs[0].device
        fleet = Fleet(
            self.manifest,
            {p.name: p.sampler for p in pairs},
            {p.name: p.step for p in pairs},
            device,
            {p.name: p.ema is not None for p in pairs},
        )
        labels = stratified_labels(self.n, self.test.prior) if fleet.member_is_conditional(self.member) else None
        x = fleet.sample(self.n, labels=labels, seed=self.seed, member=self.member)
        fake = self.extractors.sample_set(to_uint8(x) if x.ndim == 4 else x, labels)
        metrics = measure(
            self.real, fake, self.test, self.prior, self.seed, DURING_TRAINING, KID_SUBSETS, skip_inapplicable=True
        )
        return {"step": step, "extractors": self.extractors.identity, "eval": metrics}
