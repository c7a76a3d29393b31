"""Evaluation metrics as small pure stages: features -> statistics -> metric.

features.py   images -> (features, logits), batched and deterministic
fid.py        Gaussian statistics and the Fréchet distance (float64)
kid.py        kernel distance over seeded subsets
isc.py        Inception Score (10 splits, population std)
prdc.py       precision / recall / density / coverage, chunked cdist
classes.py    conditional accuracy, class entropy, TV to the prior
toy.py        modes covered, high-quality share, KDE log-likelihood
inception.py  the FID Inception-v3, from a local weights file
registry.py   metrics by name
"""

from ganfleet.metrics.registry import METRICS, Figure, Metric, MetricContext, SampleSet, compute_metrics

__all__ = ["METRICS", "Figure", "Metric", "MetricContext", "SampleSet", "compute_metrics"]
