"""Each metric names the figures it reports: label and which way is better live on the registry entry."""

from __future__ import annotations

from ganfleet.metrics import METRICS


def test_every_metric_names_its_figures_once() -> None:
    keys = [figure.key for metric in METRICS.values() for figure in metric.figures]
    assert all(metric.figures for metric in METRICS.values())
    assert len(keys) == len(set(keys))
    assert METRICS["kid"].figures[0].std_key == "kid_std" and METRICS["fid"].figures[0].better == "lower"
