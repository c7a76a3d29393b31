import os
import time

import pytest
import torch

from ganfleet.distributed.threads import ThreadChoice, busy_cores, choose_threads, using_threads


@pytest.fixture
def sixteen_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(16)))


def test_auto_uses_the_free_cores_shared_among_the_nodes_ranks(sixteen_cores: None) -> None:
    assert choose_threads("auto", 1, {}, busy=0.0).threads == 16
    assert choose_threads("auto", 4, {}, busy=0.0).threads == 4
    assert choose_threads("auto", 1, {}, busy=9.6).threads == 6  # 16 - 10 busy with other work
    assert choose_threads("auto", 4, {}, busy=9.6).threads == 1  # 6 free over 4 ranks
    assert choose_threads("auto", 1, {}, busy=40.0).threads == 1  # never fewer than one


def test_a_number_or_omp_num_threads_is_taken_as_given(sixteen_cores: None) -> None:
    assert choose_threads("3", 1, {"OMP_NUM_THREADS": "5"}, busy=15.0) == ThreadChoice(3, "train.threads")
    assert choose_threads("auto", 4, {"OMP_NUM_THREADS": "5"}, busy=15.0) == ThreadChoice(5, "OMP_NUM_THREADS")
    assert "busy" in str(choose_threads("auto", 1, {}, busy=2.0))


def test_busy_cores_sees_a_spinning_process() -> None:
    if not os.path.exists("/proc/stat"):
        pytest.skip("no /proc/stat")
    quiet = busy_cores(0.3)
    pid = os.fork()
    if pid == 0:  # a child that keeps one core busy
        end = time.monotonic() + 2
        while time.monotonic() < end:
            pass
        os._exit(0)
    try:
        time.sleep(0.2)
        loaded = busy_cores(0.5)
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert quiet is not None and loaded is not None and loaded >= 0.7  # at least the spinning child
    assert 0.0 <= quiet <= (os.cpu_count() or 1)


def test_the_callers_threads_come_back_after_the_block() -> None:
    before = torch.get_num_threads()
    with using_threads(ThreadChoice(1, "test")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
