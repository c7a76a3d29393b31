"""The pair networks: architectures by name, the spec that rebuilds them, and packs of K networks.

registry.py       ARCHITECTURES, ModelSpec, build_generator / build_discriminator / build_pair
dcgan.py          the paper's DC-GAN generator and discriminator (and their packs)
sngan.py          SNGAN's standard CNN generator and discriminator (and their packs)
mlp.py            the SGAN paper's toy MLPs (and their packs)
conditioning.py   how labels enter the networks
dropout.py        channel dropout with an explicit mask draw
spectral.py       spectral normalisation of a network's weights, and its packed counterpart
anchors.py        LeCam's anchors: running averages of a discriminator's mean scores
packed.py         the base of packed networks; pack_networks
packed_layers.py  the packed counterpart of each layer type
"""

from ganfleet.models.packed import PackedModule, is_convolutional, pack_networks
from ganfleet.models.registry import (
    ARCHITECTURES,
    MAX_SIDE,
    Architecture,
    ModelSpec,
    build_discriminator,
    build_generator,
    build_pair,
    check_sizes,
    count_parameters,
    default_architecture,
    freeze_leading_layers,
    get_architecture,
)

__all__ = [
    "ARCHITECTURES",
    "MAX_SIDE",
    "Architecture",
    "ModelSpec",
    "PackedModule",
    "build_discriminator",
    "build_generator",
    "build_pair",
    "check_sizes",
    "count_parameters",
    "default_architecture",
    "freeze_leading_layers",
    "get_architecture",
    "is_convolutional",
    "pack_networks",
]
