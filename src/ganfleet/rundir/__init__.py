"""The run directory and everything written into it: atomic writes, per-pair checkpoints, logs.

atomic.py       atomic_write (temporary file, fsync, rename), cleanup of a killed writer's temporaries
checkpoint.py   per-pair safetensors checkpoints with a SHA-256 per section, newest valid one on load
rundir.py       RunDir: the paths of a run and its manifest
manifest.py     a manifest's keys, member names and prior checked before anything reads it
ownership.py    which folders train may write into (new, empty, a ganfleet run; --force)
lock.py         the advisory lock: one writing job per run directory
metrics_log.py  metrics.jsonl (and TensorBoard when installed)
resume.py       a resumed run must be the same experiment
"""

from ganfleet.rundir.atomic import atomic_write, atomic_write_text, is_temporary, remove_temporaries
from ganfleet.rundir.checkpoint import (
    NonFiniteState,
    PairState,
    copy_checkpoint,
    list_checkpoints,
    load_generator_weights,
    load_latest,
    newest_valid,
    read_checkpoint,
    save_pair,
    tensor_digest,
)
from ganfleet.rundir.lock import LOCK_NAME, RunLock
from ganfleet.rundir.manifest import check_manifest, check_member_name, trained_member
from ganfleet.rundir.metrics_log import MetricsLog, read_metrics
from ganfleet.rundir.ownership import check_contained, claim_out_dir, claim_output_file, claim_output_folder
from ganfleet.rundir.resume import check_resumable
from ganfleet.rundir.rundir import MANIFEST_FORMAT, RunDir

__all__ = [
    "LOCK_NAME",
    "MANIFEST_FORMAT",
    "MetricsLog",
    "NonFiniteState",
    "PairState",
    "RunDir",
    "RunLock",
    "atomic_write",
    "atomic_write_text",
    "check_contained",
    "check_manifest",
    "check_member_name",
    "check_resumable",
    "claim_out_dir",
    "claim_output_file",
    "claim_output_folder",
    "copy_checkpoint",
    "is_temporary",
    "list_checkpoints",
    "load_generator_weights",
    "load_latest",
    "newest_valid",
    "read_checkpoint",
    "read_metrics",
    "remove_temporaries",
    "save_pair",
    "tensor_digest",
    "trained_member",
]
