"""A deterministic, resumable stream of batches from one pair's images."""

from __future__ import annotations

import torch

from ganfleet.data.dataset import to_model_space
from ganfleet.seeds import derive_seed


class BatchStream:
    """Batch b holds items [b*B, (b+1)*B) of the endless concatenation of per-epoch permutations.

    The permutation of epoch e is drawn from a generator seeded by (seed, e), so
    any batch can be produced from its index alone: no state to checkpoint, the
    same batches after a resume, full batches even for classes smaller than B.
    """

    def __init__(
        self,
        samples: torch.Tensor,
        labels: torch.Tensor | None,
        batch_size: int,
        seed: int,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        if len(samples) == 0:
            raise ValueError("a batch stream needs at least one sample")
        self.samples = samples
        self.labels = labels
        self.batch_size = batch_size
        self.seed = seed
        self.dtype = dtype  # of the batches: the networks' dtype
        self._epoch = -1
        self._perm = torch.empty(0, dtype=torch.int64)

    def __len__(self) -> int:
        return len(self.samples)

    def _permutation(self, epoch: int) -> torch.Tensor:
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(derive_seed(self.seed, "epoch", epoch))
            self._perm = torch.randperm(len(self.samples), generator=g)
            self._epoch = epoch
        return self._perm

    def indices(self, batch: int) -> torch.Tensor:
        """Dataset indices of batch number `batch`."""
        n, out = len(self.samples), []
        start, end = batch * self.batch_size, (batch + 1) * self.batch_size
        while start < end:
            epoch, offset = divmod(start, n)
            take = min(end - start, n - offset)
            out.append(self._permutation(epoch)[offset : offset + take])
            start += take
        return torch.cat(out)

    def batch(self, batch: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(samples in model space, labels or None) of batch number `batch`, on the samples' device."""
        ix = self.indices(batch).to(self.samples.device)
        x = to_model_space(self.samples[ix]).to(self.dtype)
        return x, (self.labels[ix] if self.labels is not None else None)
