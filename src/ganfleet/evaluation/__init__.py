"""`ganfleet evaluate`: fleets against held-out real data, with reports; and evaluation during training."""

from ganfleet.evaluation.run import EvalOptions, evaluate_real_baseline, evaluate_run

__all__ = ["EvalOptions", "evaluate_real_baseline", "evaluate_run"]
