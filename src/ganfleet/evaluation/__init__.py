"""`ganfleet evaluate`: fleets (or any generator's samples) against held-out real data; evaluation during training.

run.py              a trained fleet (or the train split, the floor) against the held-out test split
samples.py          samples from anywhere (.npz, image folder, run directory) as uint8 images
external.py         `--samples PATH` and `--input1 A --input2 B`: any generator's samples
measure.py          from two sets of samples to metrics
extractors.py       feature extractors by name; the real data's features cached
cas.py              the classification accuracy score
during_training.py  `--eval-every N`: a quick evaluation logged to metrics.jsonl
report.py           metrics.json, report.md, samples.png and curve.png
"""

from ganfleet.evaluation.external import compare_samples, evaluate_samples
from ganfleet.evaluation.run import EvalOptions, evaluate_real_baseline, evaluate_run

__all__ = ["EvalOptions", "compare_samples", "evaluate_real_baseline", "evaluate_run", "evaluate_samples"]
