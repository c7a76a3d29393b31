"""Data sources, all producing one `ClassPartitionedDataset`.

`load_dataset(cfg)` reads the source named by `cfg.name`, then applies the
options every source shares, in this order: class subset, at most N per class,
fit to a power-of-two side (images only).

    dataset.py      ClassPartitionedDataset, the one data type every strategy trains on
    options.py      what the loaders read of a run's data section
    idx.py          MNIST and Fashion-MNIST (IDX files)
    cifar.py        CIFAR-10 and CIFAR-100 (pickle batches)
    digits.py       scikit-learn's bundled 8x8 digits
    imagefolder.py  a folder with one subfolder of images per class
    npz.py          NumPy archives with arrays x and y
    toy.py          the SGAN paper's 2-D toy mixtures
    transforms.py   fitting images to a power-of-two side
    stream.py       a deterministic, resumable stream of one pair's batches
    augment.py      DiffAugment
    diagnostics.py  what `ganfleet inspect-data` prints
"""

from __future__ import annotations

from collections.abc import Callable

from ganfleet.data.cifar import load_cifar10, load_cifar100
from ganfleet.data.dataset import ClassPartitionedDataset, to_model_space, to_uint8
from ganfleet.data.digits import load_digits
from ganfleet.data.idx import load_fashion_mnist, load_mnist
from ganfleet.data.imagefolder import load_imagefolder
from ganfleet.data.npz import load_npz
from ganfleet.data.options import DataOptions
from ganfleet.data.toy import MIXTURES, load_toy
from ganfleet.data.transforms import default_image_size, fit_images
from ganfleet.errors import DataError

Loader = Callable[[DataOptions], ClassPartitionedDataset]

SOURCES: dict[str, Loader] = {
    "fashion-mnist": load_fashion_mnist,
    "mnist": load_mnist,
    "cifar10": load_cifar10,
    "cifar100": load_cifar100,
    "imagefolder": load_imagefolder,
    "npz": load_npz,
    "digits": load_digits,
    "toy": load_toy,
}


def load_raw(cfg: DataOptions) -> ClassPartitionedDataset:
    """The source's samples at native size, before subset/limit/fit."""
    try:
        loader = SOURCES[cfg.name]
    except KeyError:
        raise DataError(f"unknown data source {cfg.name!r}; expected one of {', '.join(SOURCES)}") from None
    return loader(cfg)


def load_dataset(cfg: DataOptions) -> ClassPartitionedDataset:
    """Load, subset, limit and fit the data described by `cfg`; every class left must have a sample."""
    ds = load_raw(cfg)
    if cfg.classes is not None:
        ds = ds.subset(list(cfg.classes))
    if cfg.max_per_class is not None:
        ds = ds.limit_per_class(cfg.max_per_class)
    if ds.is_image:
        _, h, w = ds.sample_shape
        size = cfg.image_size or default_image_size(max(h, w))
        if (h, w) != (size, size):
            if cfg.fit == "pad" and max(h, w) > size:
                raise DataError(
                    f"{ds.source}: cannot pad {h}x{w} images to data.image_size={size}; use fit=resize or a larger size"
                )
            ds = ClassPartitionedDataset(
                samples=fit_images(ds.samples, size, cfg.fit),
                labels=ds.labels,
                class_names=ds.class_names,
                source=ds.source,
                class_ids=ds.class_ids,
            )
    return ds.require_every_class()


__all__ = [
    "MIXTURES",
    "SOURCES",
    "ClassPartitionedDataset",
    "DataOptions",
    "load_dataset",
    "load_raw",
    "to_model_space",
    "to_uint8",
]
