"""Time to compute every metric of `ganfleet evaluate` for N generated vs N real images (sample generation excluded).

    python benchmarks/eval_speed.py [--n 10000] [--classifier DIR] [--repeat 1]

Feature extraction (the domain classifier, default architecture: random
weights unless --classifier is given, which does not change the time) of the
real and the generated images, then each metric in the registry on them, as
`evaluate` runs them for a conditional fleet (class metrics and per-class FID
included). 32x32x1 images, 10 classes. Prints a Markdown table; the issue's
target is under 30 s in total on the 2-core development CPU.
"""

from __future__ import annotations

import argparse
import time

import torch

from ganfleet.classifier import ClassifierSpec, ClassifierTraining, DomainClassifier, load_classifier
from ganfleet.data.dataset import stratified_labels
from ganfleet.evaluation.extractors import Extractors
from ganfleet.metrics import METRICS, MetricContext
from ganfleet.metrics.features import ClassifierExtractor

N_CLASSES = 10
TARGET_S = 30.0


def images(n: int, seed: int) -> torch.Tensor:
    return torch.randint(0, 256, (n, 1, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="generated and real images each")
    parser.add_argument(
        "--classifier", help="a saved classifier folder (default: the default architecture, random weights)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="repeat and report the fastest run of each stage")
    args = parser.parse_args()

    if args.classifier:
        model = load_classifier(args.classifier).model
    else:
        torch.manual_seed(0)
        d = ClassifierTraining()
        model = DomainClassifier(ClassifierSpec(1, N_CLASSES, d.width, d.feature_dim)).eval()
    extractors = Extractors(ClassifierExtractor(model), ClassifierExtractor(model))
    labels = stratified_labels(args.n, [1 / N_CLASSES] * N_CLASSES)
    real_images, fake_images = images(args.n, 0), images(args.n, 1)

    best: dict[str, float] = {}
    for _ in range(args.repeat):
        times: dict[str, float] = {}
        start = time.perf_counter()
        real = extractors.sample_set(real_images, labels)
        times["features: real"] = time.perf_counter() - start
        start = time.perf_counter()
        fake = extractors.sample_set(fake_images, labels)
        times["features: generated"] = time.perf_counter() - start
        context = MetricContext(
            real=real, fake=fake, prior=[1 / N_CLASSES] * N_CLASSES, class_names=[str(k) for k in range(N_CLASSES)]
        )
        for name, metric in METRICS.items():
            if metric.applies(context):
                start = time.perf_counter()
                metric.compute(context)
                times[name] = time.perf_counter() - start
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}

    total = sum(best.values())
    print(
        f"# evaluate: all metrics for {args.n} generated vs {args.n} real 32x32x1 images, {N_CLASSES} classes "
        f"(torch {torch.__version__}, {torch.get_num_threads()} threads, best of {args.repeat})\n"
    )
    print("| stage | seconds |\n|---|---|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.2f} |")
    print(f"| **total** | **{total:.2f}** |\n")
    print(
        f"target < {TARGET_S:.0f} s: {'met' if total < TARGET_S else 'NOT met'} ({total / TARGET_S:.2f} of the budget)"
    )


if __name__ == "__main__":
    main()
