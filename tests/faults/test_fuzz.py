"""Property-based fuzzing of the readers (hypothesis): whatever the bytes, a reader returns or raises the project's
one error, naming the file; never another exception.

A fixed budget of examples runs in CI (`ci` profile); `HYPOTHESIS_PROFILE=long pytest tests/faults/test_fuzz.py`
runs many more.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from ganfleet.config import DataConfig, build_config
from ganfleet.config.parse import upgrade_tree
from ganfleet.data import load_dataset
from ganfleet.distributed.telemetry import check_telemetry, training_totals
from ganfleet.errors import CheckpointError, GanfleetError
from ganfleet.evaluation.report import read_summary
from ganfleet.evaluation.samples import load_samples
from ganfleet.rundir.checkpoint import read_checkpoint, save_pair
from ganfleet.rundir.manifest import check_manifest
from ganfleet.rundir.metrics_log import read_metrics
from tests.rundir.test_checkpoint import trained_pair

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
FUNCTION_TMP = [HealthCheck.function_scoped_fixture]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
DTYPES = st.sampled_from(
    ["uint8", "int8", "int16", "int64", "float16", "float32", "float64", "bool", "complex64", "U2"]
)


@pytest.fixture(scope="module")
def test_split():
    return load_dataset(DataConfig(name="digits", classes=[0, 1, 2], split="test"))


def arrays(max_dims: int) -> st.SearchStrategy[np.ndarray]:
    shapes = hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=12)
    return DTYPES.flatmap(lambda dtype: hnp.arrays(np.dtype(dtype), shapes))


@settings(suppress_health_check=FUNCTION_TMP)
@given(x=arrays(4), y=st.none() | arrays(2))
def test_any_npz_of_samples_is_read_by_the_rule_or_refused(x, y, tmp_path: Path, test_split) -> None:
    path = tmp_path / "s.npz"
    np.savez(path, x=x, **({} if y is None else {"y": y}))
    try:
        samples = load_samples(path, test_split, "resize", None, 0)
    except GanfleetError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    assert samples.images.dtype.is_floating_point is False and samples.images.shape[1:] == test_split.sample_shape
    assert samples.labels is None or int(samples.labels.max()) < test_split.n_classes


@given(tree=JSON)
def test_any_json_manifest_is_checked_or_refused(tree) -> None:
    try:
        check_manifest(tree, "run/manifest.json")
    except GanfleetError as exc:
        assert "run/manifest.json" in str(exc)


VALID = json.loads((Path(__file__).parent / "valid_manifest.json").read_text())


@given(
    path=st.lists(st.sampled_from(["data", "members", "model", "0", "class_names", "prior", "label"]), max_size=3),
    value=JSON,
)
def test_a_valid_manifest_with_any_field_replaced_is_checked_or_refused(path, value) -> None:
    tree = json.loads(json.dumps(VALID))
    node = tree
    for key in path[:-1]:
        node = (
            node[int(key)]
            if isinstance(node, list) and key.isdigit() and int(key) < len(node)
            else (node.get(key, node) if isinstance(node, dict) else node)
        )
    if path and isinstance(node, dict):
        node[path[-1]] = value
    try:
        check_manifest(tree, "run/manifest.json")
    except GanfleetError as exc:
        assert "run/manifest.json" in str(exc)


@given(tree=st.dictionaries(st.sampled_from(["data", "model", "train", "loss", "budget", "shared", "out", "x"]), JSON))
def test_any_config_tree_builds_or_is_refused(tree) -> None:
    with contextlib.suppress(GanfleetError):  # any other exception fails the test
        build_config(upgrade_tree(tree))


@settings(suppress_health_check=FUNCTION_TMP)
@given(lines=st.lists(JSON.map(json.dumps) | st.text(max_size=20), max_size=5))
def test_any_metrics_log_is_read_or_refused_naming_the_line(lines, tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join(['{"step": 0}', *lines, '{"step": 1}']) + "\n")
    try:
        records = read_metrics(path)
    except GanfleetError as exc:
        assert f"{path}:" in str(exc)
        return
    assert all(isinstance(r["step"], int) for r in records)


@given(tree=st.dictionaries(st.sampled_from(["sessions", "wall_s", "images", "img_per_s", "world_size"]), JSON))
def test_any_telemetry_is_checked_or_refused(tree) -> None:
    try:
        training_totals(check_telemetry(tree, "run/telemetry.json"))
    except GanfleetError as exc:
        assert "run/telemetry.json" in str(exc)


@settings(suppress_health_check=FUNCTION_TMP)
@given(
    tree=JSON
    | st.fixed_dictionaries({"metrics": JSON, "real_floor": JSON})
    | st.fixed_dictionaries({"metrics": st.dictionaries(st.text(max_size=8), JSON)}),
    raw=st.none() | st.binary(max_size=40),
)
def test_any_evaluation_summary_is_read_with_finite_figures_or_refused(tree, raw, tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_bytes(raw if raw is not None else json.dumps(tree).encode())
    try:
        summary = read_summary(path)
    except GanfleetError as exc:
        assert str(path) in str(exc)
        return
    figures = [*summary["metrics"].values(), *(summary.get("real_floor") or {}).values()]
    assert all(v is None or np.isfinite(v) for v in figures)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> tuple[Path, bytes, dict, dict]:
    """A pair's checkpoint in its run folder: the path, its bytes and what it holds."""
    g, d, opt_g, opt_d = trained_pair(steps=1)
    folder = tmp_path_factory.mktemp("run") / "pairs" / "class-0003"
    path = save_pair(folder, "class-0003", 1, g, d, opt_g, opt_d)
    tensors, metadata = read_checkpoint(path)
    return path, path.read_bytes(), {k: v.clone() for k, v in tensors.items()}, metadata  # not views of the file


@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), min_size=1, max_size=3))
def test_a_checkpoint_with_flipped_bits_reads_as_it_was_or_is_refused(flips, checkpoint) -> None:
    path, original, tensors, metadata = checkpoint
    damaged = bytearray(original)
    for where, bit in flips:
        damaged[int(where * len(damaged))] ^= 1 << bit
    with swapped_bytes(path, bytes(damaged)):
        try:
            got, header = read_checkpoint(path)
        except CheckpointError as exc:
            assert str(path) in str(exc)
            return
        assert header == metadata and got.keys() == tensors.keys()  # a flip where nothing is read (padding)
        assert all(torch.equal(got[k], tensors[k]) for k in tensors)  # compared while the damaged bytes are there


@given(length=st.integers(0, 10_000) | st.integers(10_000, 1 << 20))
def test_a_truncated_checkpoint_is_refused(length, checkpoint) -> None:
    path, original, _, _ = checkpoint
    if length >= len(original):
        return
    with swapped_bytes(path, original[:length]), pytest.raises(CheckpointError, match=re.escape(str(path))):
        read_checkpoint(path)


@contextlib.contextmanager
def swapped_bytes(path: Path, content: bytes):
    """`path` holds `content` for the block, its own bytes again after it."""
    original = path.read_bytes()
    path.write_bytes(content)
    try:
        yield
    finally:
        path.write_bytes(original)


def encoded(fmt: str, mode: str) -> bytes:
    """A small valid image file."""
    buffer = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 256, (6, 6, 3), dtype=np.uint8)
    Image.fromarray(pixels).convert(mode).save(buffer, format=fmt)
    return buffer.getvalue()


IMAGES = {(fmt, mode): encoded(fmt, mode) for fmt in ("PNG", "JPEG") for mode in ("L", "RGB")}


@settings(suppress_health_check=FUNCTION_TMP)
@given(
    kind=st.sampled_from(sorted(IMAGES)),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), max_size=3),
    cut=st.none() | st.floats(0, 1),
    noise=st.none() | st.binary(max_size=64),
)
def test_any_image_file_in_a_class_folder_loads_or_is_refused_naming_it(kind, flips, cut, noise, tmp_path) -> None:
    data = bytearray(noise if noise is not None else IMAGES[kind])
    for where, bit in flips if data else []:
        data[int(where * len(data))] ^= 1 << bit
    if cut is not None:
        data = data[: int(cut * len(data))]
    root = tmp_path / f"case-{uuid.uuid4().hex}"
    path = root / "shirts" / ("a.png" if kind[0] == "PNG" else "a.jpg")
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(data))
    try:
        loaded = load_dataset(DataConfig(name="imagefolder", path=str(root), image_size=32))
    except GanfleetError as exc:
        assert str(root) in str(exc)
        return
    assert loaded.samples.shape[0] == 1 and loaded.samples.shape[-2:] == (32, 32)
