"""One intra-op thread per test process: on a shared CPU, OpenMP threads spinning against
other processes' make tiny models an order of magnitude slower (the workers torchrun
starts get OMP_NUM_THREADS=1 for the same reason)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
