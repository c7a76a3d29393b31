"""CIFAR-10/100 loader on small batches written byte for byte as the originals (Python 2 pickles)."""

from __future__ import annotations

import gzip
import io
import pickle
import re
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from ganfleet.config import DataConfig
from ganfleet.data import load_dataset, load_raw
from ganfleet.errors import DataError

CIFAR10_NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]


# ---------------------------------------------------------------- a Python 2 cPickle writer
# The real files were written by Python 2's cPickle at protocol 2: byte strings as
# (SHORT_)BINSTRING, arrays through numpy.core.multiarray._reconstruct. Python 3's
# pickle cannot write that form, so the opcodes are spelled out here.


def _py2_str(b: bytes) -> bytes:
    return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<I", len(b)) + b


def _py2_int(i: int) -> bytes:
    if 0 <= i < 256:
        return b"K" + bytes([i])
    if 0 <= i < 65536:
        return b"M" + struct.pack("<H", i)
    return b"J" + struct.pack("<i", i)


def _py2_array(a: np.ndarray) -> bytes:
    assert a.dtype == np.uint8 and a.ndim == 2
    dtype = b"cnumpy\ndtype\n" + _py2_str(b"u1") + _py2_int(0) + _py2_int(1) + b"\x87R"
    dtype += b"(" + _py2_int(3) + _py2_str(b"|") + b"NNN" + _py2_int(-1) + _py2_int(-1) + _py2_int(0) + b"tb"
    empty = (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + _py2_int(0) + b"\x85" + _py2_str(b"b") + b"\x87R"
    )
    state = (
        b"("
        + _py2_int(1)
        + _py2_int(a.shape[0])
        + _py2_int(a.shape[1])
        + b"\x86"
        + dtype
        + b"\x89"
        + _py2_str(a.tobytes())
        + b"tb"
    )
    return empty + state


def _py2_obj(v: object) -> bytes:
    if isinstance(v, bytes):
        return _py2_str(v)
    if isinstance(v, int):
        return _py2_int(v)
    if isinstance(v, list):
        return b"](" + b"".join(_py2_obj(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"}(" + b"".join(_py2_obj(k) + _py2_obj(x) for k, x in v.items()) + b"u"
    if isinstance(v, np.ndarray):
        return _py2_array(v)
    raise TypeError(type(v))


def py2_pickle(v: object) -> bytes:
    return b"\x80\x02" + _py2_obj(v) + b"."


def test_py2_writer_round_trips() -> None:
    a = np.arange(600, dtype=np.int64).astype(np.uint8).reshape(2, 300)
    out = pickle.loads(py2_pickle({b"data": a, b"labels": [3, 70000]}), encoding="bytes")
    assert out[b"labels"] == [3, 70000]
    assert out[b"data"].dtype == np.uint8
    assert np.array_equal(out[b"data"], a)


# ---------------------------------------------------------------- fixtures


def batch_images(n: int, offset: int) -> np.ndarray:
    """(n, 3072) rows that differ per image and per position, so a wrong reshape shows."""
    return ((np.arange(n)[:, None] * 7 + np.arange(3072)[None, :] + offset) % 256).astype(np.uint8)


def cifar10_files(labels_per_batch: list[list[int]] | None = None) -> dict[str, bytes]:
    """data_batch_1..5 with two images each (classes 0..9 once overall), test_batch, batches.meta."""
    labels_per_batch = labels_per_batch or [[2 * i, 2 * i + 1] for i in range(5)]
    files = {}
    for i, labels in enumerate(labels_per_batch, start=1):
        files[f"data_batch_{i}"] = py2_pickle(
            {
                b"batch_label": f"training batch {i} of 5".encode(),
                b"labels": labels,
                b"data": batch_images(len(labels), offset=i),
                b"filenames": [f"img_{i}_{j}.png".encode() for j in range(len(labels))],
            }
        )
    files["test_batch"] = py2_pickle(
        {
            b"batch_label": b"testing batch 1 of 1",
            b"labels": list(range(10)),
            b"data": batch_images(10, 99),
            b"filenames": [b"t.png"] * 10,
        }
    )
    files["batches.meta"] = py2_pickle({b"num_cases_per_batch": 2, b"label_names": CIFAR10_NAMES, b"num_vis": 3072})
    return files


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
    return folder


def write_tar(path: Path, top: str, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def cfg(path: Path | None, name: str = "cifar10", split: str = "train") -> DataConfig:
    return DataConfig(name=name, path=None if path is None else str(path), split=split)


def check_cifar10_train(ds) -> None:
    assert ds.sample_shape == (3, 32, 32)
    assert len(ds) == 10
    assert ds.labels.tolist() == list(range(10))
    assert ds.class_names == [n.decode() for n in CIFAR10_NAMES]
    # image 1 of data_batch_3 is sample 5: channel c, row h, column w is data[c*1024 + h*32 + w]
    row = torch.from_numpy(batch_images(2, offset=3)[1])
    for c, h, w in [(0, 0, 0), (1, 5, 7), (2, 31, 31)]:
        assert int(ds.samples[5, c, h, w]) == int(row[c * 1024 + h * 32 + w])
    assert torch.equal(ds.samples[5].reshape(-1), row)


# ---------------------------------------------------------------- layouts


def test_extracted_folder_given_directly(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "cifar-10-batches-py", cifar10_files())
    check_cifar10_train(load_raw(cfg(folder)))


def test_parent_of_extracted_folder(tmp_path: Path) -> None:
    write_folder(tmp_path / "cifar-10-batches-py", cifar10_files())
    ds = load_raw(cfg(tmp_path))
    check_cifar10_train(ds)
    assert str(tmp_path / "cifar-10-batches-py") in ds.source


def test_test_split(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "cifar-10-batches-py", cifar10_files())
    ds = load_raw(cfg(folder, split="test"))
    assert len(ds) == 10
    assert torch.equal(ds.samples.reshape(10, -1), torch.from_numpy(batch_images(10, 99)))


def test_tar_gz_given_directly(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", cifar10_files())
    check_cifar10_train(load_raw(cfg(archive)))


def test_folder_holding_tar_gz(tmp_path: Path) -> None:
    write_tar(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", cifar10_files())
    ds = load_raw(cfg(tmp_path, split="test"))
    assert len(ds) == 10


def test_python3_pickles_also_load(tmp_path: Path) -> None:
    """Re-pickled copies (Python 3, protocol 2 and 5) use other numpy globals; they must load too."""
    files = {name: pickle.loads(blob, encoding="bytes") for name, blob in cifar10_files().items()}
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        folder = write_folder(
            tmp_path / f"p{protocol}", {n: pickle.dumps(obj, protocol=protocol) for n, obj in files.items()}
        )
        check_cifar10_train(load_raw(cfg(folder)))


def test_cifar100_fine_labels(tmp_path: Path) -> None:
    fine = [(7 * i) % 100 for i in range(100)]
    names = [f"class{i:02d}".encode() for i in range(100)]
    files = {
        "train": py2_pickle(
            {
                b"filenames": [b"x.png"] * 100,
                b"batch_label": b"training batch 1 of 1",
                b"fine_labels": fine,
                b"coarse_labels": [i % 20 for i in fine],
                b"data": batch_images(100, 0),
            }
        ),
        "test": py2_pickle(
            {b"fine_labels": list(range(100)), b"coarse_labels": [0] * 100, b"data": batch_images(100, 1)}
        ),
        "meta": py2_pickle({b"fine_label_names": names, b"coarse_label_names": [b"c"] * 20}),
    }
    write_tar(tmp_path / "cifar-100-python.tar.gz", "cifar-100-python", files)
    ds = load_raw(cfg(tmp_path / "cifar-100-python.tar.gz", name="cifar100"))
    assert ds.n_classes == 100
    assert ds.labels.tolist() == fine
    assert ds.class_names[42] == "class42"
    assert ds.sample_shape == (3, 32, 32)
    folder = write_folder(tmp_path / "cifar-100-python", files)
    assert torch.equal(load_raw(cfg(folder, name="cifar100")).samples, ds.samples)


# ---------------------------------------------------------------- bad input


def test_path_required() -> None:
    with pytest.raises(DataError, match=r"cifar10: data.path \(--data-dir\) must name cifar-10-batches-py/"):
        load_raw(cfg(None))


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{tmp_path / 'x'}: no such file or folder; expected cifar-10-batches-py/ or cifar-10-python.tar.gz"
        ),
    ):
        load_raw(cfg(tmp_path / "x"))


def test_folder_without_cifar(tmp_path: Path) -> None:
    with pytest.raises(
        DataError,
        match=re.escape(f"{tmp_path}: no batches.meta here or in cifar-10-batches-py/, and no cifar-10-python.tar.gz"),
    ):
        load_raw(cfg(tmp_path))


def test_missing_batch_file(tmp_path: Path) -> None:
    files = cifar10_files()
    del files["data_batch_3"]
    folder = write_folder(tmp_path / "c", files)
    with pytest.raises(DataError, match=re.escape(f"{folder / 'data_batch_3'}: cannot read CIFAR file")):
        load_raw(cfg(folder))


def test_archive_missing_member(tmp_path: Path) -> None:
    files = cifar10_files()
    del files["test_batch"]
    archive = write_tar(tmp_path / "c.tar.gz", "cifar-10-batches-py", files)
    with pytest.raises(DataError, match=re.escape(f"{archive}: archive lacks test_batch")):
        load_raw(cfg(archive, split="test"))


def test_corrupt_archive(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "c.tar.gz", "cifar-10-batches-py", cifar10_files())
    archive.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(DataError, match=re.escape(f"{archive}: not a readable .tar.gz archive")):
        load_raw(cfg(archive))


def test_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "c.tar.gz"
    path.write_bytes(b"hello")
    with pytest.raises(DataError, match=re.escape(f"{path}: not a readable .tar.gz archive")):
        load_raw(cfg(path))


def test_garbage_instead_of_pickle(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "c", cifar10_files() | {"data_batch_2": b"\x00\x01garbage"})
    with pytest.raises(DataError, match=re.escape(f"{folder / 'data_batch_2'}: not a CIFAR pickle")):
        load_raw(cfg(folder))


def test_pickle_of_wrong_type(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "c", cifar10_files() | {"batches.meta": pickle.dumps([1, 2])})
    with pytest.raises(
        DataError,
        match=re.escape(f"{folder / 'batches.meta'}: expected a pickled dict with byte-string keys, got list"),
    ):
        load_raw(cfg(folder))


def test_meta_without_names(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "c", cifar10_files() | {"batches.meta": py2_pickle({b"num_vis": 3072})})
    with pytest.raises(
        DataError, match=re.escape(f"{folder / 'batches.meta'}: expected b'label_names' to be a list of class names")
    ):
        load_raw(cfg(folder))


def test_batch_missing_labels(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "c", cifar10_files() | {"data_batch_1": py2_pickle({b"data": batch_images(2, 0)})})
    with pytest.raises(DataError, match=re.escape(f"{folder / 'data_batch_1'}: missing key b'labels'")):
        load_raw(cfg(folder))


def test_batch_wrong_data_shape(tmp_path: Path) -> None:
    bad = py2_pickle({b"data": np.zeros((2, 1024), np.uint8), b"labels": [0, 1]})
    folder = write_folder(tmp_path / "c", cifar10_files() | {"data_batch_1": bad})
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{folder / 'data_batch_1'}: b'data' must be a uint8 array of shape (N, 3072), got uint8 (2, 1024)"
        ),
    ):
        load_raw(cfg(folder))


def test_batch_count_mismatch(tmp_path: Path) -> None:
    bad = py2_pickle({b"data": batch_images(2, 0), b"labels": [0, 1, 2]})
    folder = write_folder(tmp_path / "c", cifar10_files() | {"data_batch_4": bad})
    with pytest.raises(DataError, match=re.escape(f"{folder / 'data_batch_4'}: 2 images but 3 labels")):
        load_raw(cfg(folder))


def test_label_out_of_range(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "c", cifar10_files([[0, 1], [2, 3], [4, 5], [6, 7], [8, 10]]))
    with pytest.raises(DataError, match=re.escape(f"{folder / 'data_batch_5'}: label 10 out of range; expected 0..9")):
        load_raw(cfg(folder))


def test_empty_class(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "c", cifar10_files([[0, 1], [2, 3], [4, 5], [6, 7], [8, 8]]))
    with pytest.raises(DataError, match=re.escape(f"cifar10:train ({folder}): class(es) 'truck' have no samples")):
        load_dataset(cfg(folder))


def test_pickle_calling_code_is_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    folder = write_folder(tmp_path / "c", cifar10_files() | {"batches.meta": pickle.dumps({b"label_names": Evil()})})
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{folder / 'batches.meta'}: not a CIFAR pickle (UnpicklingError: refusing to load global pathlib"
        ),
    ):
        load_raw(cfg(folder))
    assert not marker.exists()


def test_a_batch_file_larger_than_the_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "cifar-10-batches-py", cifar10_files())
    with open(folder / "data_batch_3", "r+b") as f:
        f.truncate(3 << 30)  # a sparse 3 GiB file: reading it would allocate 3 GiB
    with pytest.raises(DataError, match=re.escape("data_batch_3: 3,221,225,472 bytes; expected a CIFAR batch file")):
        load_raw(cfg(folder))


def test_an_archive_member_declaring_gigabytes_is_refused_before_it_is_read(tmp_path: Path) -> None:
    info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
    info.size = 5 << 30  # declared by the header; the few bytes that follow would expand to it, or not
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(gzip.compress(info.tobuf() + bytes(4096)))
    with pytest.raises(DataError, match=re.escape(":cifar-10-batches-py/data_batch_1: 5,368,709,120 bytes; expected")):
        load_raw(cfg(archive))
