"""`ganfleet evaluate`: fleets (or any generator's samples) against held-out real data, with reports;
and evaluation during training."""

from ganfleet.evaluation.external import compare_samples, evaluate_samples
from ganfleet.evaluation.run import EvalOptions, evaluate_real_baseline, evaluate_run

__all__ = ["EvalOptions", "compare_samples", "evaluate_real_baseline", "evaluate_run", "evaluate_samples"]
