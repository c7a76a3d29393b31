"""ModelSpec: the discriminator's width as a multiple of the generator's (model.d_width_factor)."""

from __future__ import annotations

import pytest

from ganfleet.config import RunConfig, apply_values
from ganfleet.errors import ConfigError
from ganfleet.models import ModelSpec, build_pair


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(("arch", "shape"), [("dcgan", (1, 32, 32)), ("sngan", (1, 32, 32)), ("mlp", (2,))])
def test_d_width_factor_sizes_only_the_discriminator(arch: str, shape: tuple[int, ...]) -> None:
    narrow = ModelSpec(arch, shape, width=0.125)
    wide = ModelSpec(arch, shape, width=0.125, d_width_factor=4.0)
    g_narrow, d_narrow = build_pair(narrow, seed=0)
    g_wide, d_wide = build_pair(wide, seed=0)
    assert n_params(g_wide) == n_params(g_narrow)
    assert n_params(d_wide) > 2 * n_params(d_narrow)
    _, d_same = build_pair(ModelSpec(arch, shape, width=0.5), seed=0)  # as wide as a pair of width 0.5's
    assert n_params(d_wide) == n_params(d_same)


def test_d_width_factor_survives_the_manifest_and_old_manifests_mean_one() -> None:
    spec = ModelSpec("dcgan", (1, 32, 32), width=0.25, d_width_factor=2.0)
    assert ModelSpec.from_dict(spec.to_dict()) == spec and spec.discriminator_width == 0.5
    old = {k: v for k, v in spec.to_dict().items() if k != "d_width_factor"}
    assert ModelSpec.from_dict(old).discriminator_width == 0.25
    with pytest.raises(ConfigError, match=r"model.d_width_factor: expected a multiplier in \(0, 64\], got 0"):
        ModelSpec("dcgan", (1, 32, 32), d_width_factor=0)


def test_the_config_refuses_a_bad_factor() -> None:
    assert apply_values(RunConfig(), {"model.d_width_factor": "2"}).model.d_width_factor == 2.0
    with pytest.raises(ConfigError, match=r"model.d_width_factor: expected a multiplier"):
        apply_values(RunConfig(), {"model.d_width_factor": -1})
    with pytest.raises(ConfigError, match=r"model.d_width_factor: expected a multiplier in \(0, 64\], got 128"):
        apply_values(RunConfig(), {"model.width": 2.0, "model.d_width_factor": 64})
