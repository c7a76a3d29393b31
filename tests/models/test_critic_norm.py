"""model.d_norm: why a Wasserstein critic must not end in BatchNorm, and how the option resolves."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from ganfleet.config import RunConfig, apply_values
from ganfleet.errors import ConfigError
from ganfleet.models import ModelSpec, build_discriminator, count_parameters
from ganfleet.models.dcgan import Discriminator


def _critic(norm: str) -> Discriminator:
    torch.manual_seed(0)
    return Discriminator(32, 1, width=0.25, norm=norm, dropout=0.0)


def test_batchnorm_critic_gives_every_batch_almost_the_same_mean_score() -> None:
    # Two very different batches (bright vs dark noise images). Train-mode
    # BatchNorm gives every feature the same batch mean (its bias) whatever the
    # input, and the head is linear, so the batch-mean scores nearly coincide
    # (at 32 px the 2x2 feature maps leave a little room); LayerNorm's do not.
    g = torch.Generator().manual_seed(1)
    bright, dark = torch.rand(16, 1, 32, 32, generator=g), -torch.rand(16, 1, 32, 32, generator=g)
    gaps = {}
    for norm in ("batch", "layer"):
        d = _critic(norm)
        with torch.no_grad():
            gaps[norm] = abs(float(d(bright).mean() - d(dark).mean()))
    assert gaps["batch"] < 0.05 * gaps["layer"]


@pytest.mark.parametrize("norm", ["layer", "none"])
def test_layer_and_no_norm_score_each_sample_on_its_own(norm: str) -> None:
    d = _critic(norm)
    x = torch.randn(6, 1, 32, 32)
    torch.testing.assert_close(d(x)[:2], d(x[:2]), rtol=1e-5, atol=1e-6)


def test_batchnorm_score_depends_on_the_batch() -> None:
    d = _critic("batch")
    x = torch.randn(6, 1, 32, 32)
    assert not torch.allclose(d(x)[:2], d(x[:2]), rtol=1e-3, atol=1e-4)


def test_norms_have_the_same_parameter_count_except_none() -> None:
    spec = ModelSpec("dcgan", (1, 32, 32), width=0.5)
    counts = {n: count_parameters(build_discriminator(ModelSpec("dcgan", (1, 32, 32), width=0.5, d_norm=n))) for n in ("batch", "layer", "none")}
    assert counts["batch"] == counts["layer"] == count_parameters(build_discriminator(spec))
    assert counts["batch"] - counts["none"] == 2 * (16 + 32 + 64)  # weight and bias of the three norms (width 0.5)
    assert sum(isinstance(m, nn.GroupNorm) for m in build_discriminator(ModelSpec("dcgan", (1, 32, 32), d_norm="layer")).modules()) == 3


@pytest.mark.parametrize(("loss", "arch", "data", "expected"), [
    ("wgan-gp", "dcgan", "digits", "layer"), ("wgan", "paper", "digits", "layer"),
    ("ns", "dcgan", "digits", "batch"), ("hinge", "dcgan", "digits", "batch"), ("wgan-gp", "auto", "toy", "none"),
])
def test_auto_resolves_by_loss_and_arch(loss: str, arch: str, data: str, expected: str) -> None:
    config = apply_values(RunConfig(), {"loss.name": loss, "model.arch": arch, "data.name": data})
    assert config.resolved_d_norm == expected


def test_explicit_choice_wins_and_bad_values_are_errors() -> None:
    assert apply_values(RunConfig(), {"loss.name": "wgan-gp", "model.d_norm": "batch"}).resolved_d_norm == "batch"
    with pytest.raises(ConfigError, match="model.d_norm: unknown value 'group'"):
        apply_values(RunConfig(), {"model.d_norm": "group"})
    with pytest.raises(ConfigError, match="model.d_norm: the mlp discriminator has no normalisation"):
        apply_values(RunConfig(), {"data.name": "toy", "model.d_norm": "layer"})
    with pytest.raises(ConfigError, match="does not fit arch mlp"):
        ModelSpec("mlp", (2,), d_norm="batch")


def test_spec_round_trip_and_old_manifests() -> None:
    spec = ModelSpec("paper", (3, 32, 32), d_norm="layer").conditional(10)
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    old = {"arch": "paper", "sample_shape": [3, 32, 32], "latent_dim": 100, "width": 1.0, "n_classes": 0}
    assert ModelSpec.from_dict(old).d_norm == "batch"
    assert ModelSpec("mlp", (2,)).d_norm == "none"
