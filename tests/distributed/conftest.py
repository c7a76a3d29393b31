"""One intra-op thread per test process: on a shared CPU, OpenMP threads spinning against
other processes' make tiny models an order of magnitude slower (the workers torchrun
starts get OMP_NUM_THREADS=1 for the same reason). Also the tiny .npz data source the
multi-process tests train on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import make_tiny_images


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny 3-class images (10, 7, 5 per class) as an .npz data source."""
    ds = make_tiny_images()
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    np.savez(path, x=ds.samples[:, 0].numpy(), y=ds.labels.numpy(), class_names=np.array(ds.class_names))
    return path
