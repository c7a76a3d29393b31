"""The run directory and everything written into it: atomic writes, per-pair checkpoints, logs.

    atomic.py       atomic_write (temporary file, fsync, rename), cleanup of a killed writer's temporaries
    checkpoint.py   per-pair safetensors checkpoints with a SHA-256 per section, newest valid one on load
    rundir.py       RunDir: the paths of a run and its manifest
    metrics_log.py  metrics.jsonl (and TensorBoard when installed)
    resume.py       a resumed run must be the same experiment
"""

from ganfleet.rundir.atomic import atomic_write, atomic_write_text, remove_temporaries
from ganfleet.rundir.checkpoint import (PairState, list_checkpoints, load_generator_weights, load_latest, newest_valid,
                                        read_checkpoint, save_pair, tensor_digest)
from ganfleet.rundir.metrics_log import MetricsLog, read_metrics
from ganfleet.rundir.resume import check_resumable
from ganfleet.rundir.rundir import MANIFEST_FORMAT, RunDir

__all__ = [
    "MANIFEST_FORMAT", "MetricsLog", "PairState", "RunDir", "atomic_write", "atomic_write_text", "check_resumable",
    "list_checkpoints", "load_generator_weights", "load_latest", "newest_valid", "read_checkpoint", "read_metrics",
    "remove_temporaries", "save_pair", "tensor_digest",
]
