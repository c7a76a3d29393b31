"""BatchStream: deterministic, resumable, every sample once per epoch."""

from __future__ import annotations

import torch

from ganfleet.data.stream import BatchStream


def make(n: int = 10, batch: int = 4, seed: int = 3) -> BatchStream:
    samples = torch.arange(n, dtype=torch.uint8).reshape(n, 1, 1, 1)
    return BatchStream(samples, torch.arange(n), batch, seed)


def test_each_epoch_is_a_permutation() -> None:
    stream = make(n=10, batch=5)
    epoch0 = torch.cat([stream.indices(0), stream.indices(1)])
    epoch1 = torch.cat([stream.indices(2), stream.indices(3)])
    assert sorted(epoch0.tolist()) == list(range(10)) == sorted(epoch1.tolist())
    assert not torch.equal(epoch0, epoch1)


def test_batches_cross_epoch_boundaries_and_stay_full() -> None:
    stream = make(n=10, batch=4)
    flat = torch.cat([stream.indices(b) for b in range(5)])  # 20 items = two epochs exactly
    assert all(len(stream.indices(b)) == 4 for b in range(5))
    assert sorted(flat[:10].tolist()) == list(range(10)) == sorted(flat[10:].tolist())


def test_a_batch_depends_only_on_its_index() -> None:
    a, b = make(), make()
    for i in (7, 0, 3, 12):  # any order, fresh or not
        assert torch.equal(a.indices(i), b.indices(i))
    assert not torch.equal(make(seed=3).indices(0), make(seed=4).indices(0))


def test_class_smaller_than_the_batch() -> None:
    stream = make(n=3, batch=8)
    ix = stream.indices(0)
    assert len(ix) == 8
    assert sorted(ix[:3].tolist()) == [0, 1, 2] == sorted(ix[3:6].tolist())


def test_batch_values_are_in_model_space_with_labels() -> None:
    samples = torch.tensor([0, 255], dtype=torch.uint8).reshape(2, 1, 1, 1)
    stream = BatchStream(samples, torch.tensor([5, 6]), 2, 0)
    x, y = stream.batch(0)
    assert sorted(x.flatten().tolist()) == [-1.0, 1.0]
    assert sorted(y.tolist()) == [5, 6]
    assert (x.flatten() > 0).tolist() == (y == 6).tolist()
