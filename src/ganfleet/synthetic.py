"""`SyntheticDataset`: a fleet's samples as a fixed, labelled PyTorch data set, to mix with real data.

    real = torchvision.datasets.FashionMNIST("data", transform=ToTensor())     # or any (image, label) data set
    fake = ganfleet.SyntheticDataset(ganfleet.Fleet.load("runs/fm"), per_class=1000, seed=0)
    loader = DataLoader(ConcatDataset([real, fake]), batch_size=128, shuffle=True)

Item i is `(image, label)`: the image a float (C, H, W) tensor in [0, 1] (the
uint8 image a PNG export holds, divided by 255, as torchvision's ToTensor
gives), then `transform` if given. Sample i depends only on (seed, i,
label i), so the set is the same whatever the order its items are read in;
images are generated in batches as first asked for, or all at once into a
`cache` file that later constructions read back.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ganfleet.data.dataset import stratified_labels, to_uint8
from ganfleet.data.npz import MAX_ARRAY_BYTES, declared_bytes
from ganfleet.errors import DataError
from ganfleet.fleet import Fleet
from ganfleet.latent import draw_noise
from ganfleet.rundir.atomic import atomic_write

CACHE_FORMAT = "ganfleet-synthetic-1"


class SyntheticDataset(Dataset):
    """Images of a conditional fleet with their labels: `per_class` of each class, `n` in the fleet's class
    proportions, or one per given label (exactly one of the three).

    `seed` fixes the set; `truncation` is the truncation trick (`Fleet.sample`); `member` a generator for
    every label (e.g. "global"; default: each class's own). `batch_size` images are generated at a time, on
    the fleet's device. `cache`: an `.npz` file, written with every image on first use and read back after,
    refused when it holds another fleet's or another seed's set.
    """

    def __init__(
        self,
        fleet: Fleet,
        per_class: int | None = None,
        n: int | None = None,
        labels: Sequence[int] | torch.Tensor | None = None,
        seed: int = 0,
        transform: Callable[[torch.Tensor], Any] | None = None,
        truncation: float | None = None,
        member: str | None = None,
        batch_size: int = 512,
        cache: str | Path | None = None,
    ) -> None:
        if sum(x is not None for x in (per_class, n, labels)) != 1:
            raise ValueError("SyntheticDataset: give exactly one of per_class, n and labels")
        if not fleet.member_is_conditional(member) or len(fleet.sample_shape) != 3:
            raise ValueError("SyntheticDataset: needs a fleet that makes images by label")
        self.fleet, self.seed, self.transform, self.member = fleet, seed, transform, member
        self.truncation, self.batch_size = truncation, batch_size
        self.labels = self._labels(per_class, n, labels)
        self.images = torch.empty((len(self.labels), *fleet.sample_shape), dtype=torch.uint8)
        self.made = torch.zeros(-(-len(self.labels) // batch_size), dtype=torch.bool)  # which batches exist
        self._z: torch.Tensor | None = None
        if cache is not None:
            self._use_cache(Path(cache))

    def _labels(
        self, per_class: int | None, n: int | None, labels: Sequence[int] | torch.Tensor | None
    ) -> torch.Tensor:
        k = self.fleet.n_classes
        if per_class is not None:
            if per_class < 1:
                raise ValueError(f"SyntheticDataset: per_class must be at least 1, got {per_class}")
            return torch.arange(k).repeat_interleave(per_class)
        if n is not None:
            if n < 1:
                raise ValueError(f"SyntheticDataset: n must be at least 1, got {n}")
            return stratified_labels(n, self.fleet.prior)
        chosen = torch.as_tensor(labels, dtype=torch.int64).flatten()
        if len(chosen) == 0 or int(chosen.min()) < 0 or int(chosen.max()) >= k:
            raise ValueError(f"SyntheticDataset: labels must be a non-empty list of classes 0..{k - 1}")
        return chosen

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"SyntheticDataset index {index} out of range for {len(self)} images")
        index %= len(self)
        batch = index // self.batch_size
        if not self.made[batch]:
            self._make(batch)
        image = self.images[index].float() / 255.0
        return (self.transform(image) if self.transform is not None else image), int(self.labels[index])

    def all_images(self) -> torch.Tensor:
        """Every image of the set, uint8 (N, C, H, W), in the order of `labels`; those not made yet are made now."""
        for batch in torch.nonzero(~self.made).flatten().tolist():
            self._make(batch)
        return self.images

    def _make(self, batch: int) -> None:
        """Generate one batch of images (the noise of the whole set is drawn once, so batches are independent)."""
        if self._z is None:
            self._z = draw_noise(len(self.labels), self.fleet.spec.latent_dim, self.seed, self.truncation)
        rows = slice(batch * self.batch_size, (batch + 1) * self.batch_size)
        x = self.fleet.generate(self._z[rows], self.labels[rows], self.member, self.batch_size)
        self.images[rows] = to_uint8(x)
        self.made[batch] = True

    def _use_cache(self, path: Path) -> None:
        """Read the cache, or make every image and write it (what the set is made of: hashed only here)."""
        made_of = identity(self.fleet, self.member, self.seed, self.truncation, self.labels)
        if path.exists():
            self.images = read_cache(path, made_of, self.images.shape)
            self.made[:] = True
            return
        images = self.all_images()
        atomic_write(path, lambda tmp: tmp.write_bytes(cache_bytes(images, self.labels, made_of)))


def identity(
    fleet: Fleet, member: str | None, seed: int, truncation: float | None, labels: torch.Tensor
) -> dict[str, Any]:
    """What makes the set: every generator's weights (hashed), the member, seed, truncation and labels."""
    weights = hashlib.sha256()
    for name in sorted(fleet.generators):
        for key, tensor in sorted(fleet.generators[name].state_dict().items()):
            weights.update(f"{name}.{key}".encode())
            weights.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return {
        "format": CACHE_FORMAT,
        "generators_sha256": weights.hexdigest(),
        "member": member,
        "seed": seed,
        "truncation": truncation,
        "labels_sha256": hashlib.sha256(labels.numpy().tobytes()).hexdigest(),
    }


def cache_bytes(images: torch.Tensor, labels: torch.Tensor, made_of: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=images.numpy(), y=labels.numpy(), identity=np.array(json.dumps(made_of, sort_keys=True)))
    return buffer.getvalue()


def read_cache(path: Path, expected: dict[str, Any], shape: torch.Size) -> torch.Tensor:
    """The images of a cache file made of the same set (else DataError naming what differs)."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            made_of = json.loads(str(arrays["identity"]))
            if declared_bytes(arrays, "x") > MAX_ARRAY_BYTES:
                raise DataError(f"{path}: x is over {MAX_ARRAY_BYTES >> 30} GiB; expected uint8 {tuple(shape)}")
            x = arrays["x"]
    except (OSError, ValueError, KeyError, EOFError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a SyntheticDataset cache ({exc}); delete it or name another file") from None
    if not isinstance(made_of, dict):
        raise DataError(f"{path}: not a SyntheticDataset cache (identity is not an object)")
    differ = sorted(key for key in expected if made_of.get(key) != expected[key])
    if differ:
        raise DataError(f"{path}: a cache of another set ({', '.join(differ)} differ); delete it or name another file")
    if x.dtype != np.uint8 or tuple(x.shape) != tuple(shape):
        raise DataError(f"{path}: x is {x.dtype} {tuple(x.shape)}; expected uint8 {tuple(shape)}")
    return torch.from_numpy(x.copy())
