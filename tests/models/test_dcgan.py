"""The paper's DC-GAN networks: layer shapes and parameter counts against Tables 1-4; model.d_norm for critics."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn as nn

from ganfleet.config import RunConfig, apply_values
from ganfleet.errors import ConfigError
from ganfleet.models import ModelSpec, build_discriminator, build_generator, build_pair, count_parameters
from ganfleet.models.dcgan import Discriminator, Generator


def conv(cin: int, cout: int) -> int:
    return cin * cout * 9 + cout


def bn(c: int) -> int:
    return 2 * c


def paper_generator_params(channels: int, latent: int, image: int) -> int:
    """Table 1/3 counted by hand: Linear(latent -> 128 s^2), BN, Conv 128->128, BN, Conv 128->64, BN, Conv 64->C."""
    s = image // 4
    return (
        (latent * 128 * s * s + 128 * s * s)
        + bn(128)
        + conv(128, 128)
        + bn(128)
        + conv(128, 64)
        + bn(64)
        + conv(64, channels)
    )


def paper_discriminator_params(channels: int, image: int) -> int:
    """Table 2: four stride-2 convs C->16->32->64->128, BN after the last three, Linear(128 (image/16)^2 -> 1)."""
    feat = 128 * (image // 16) ** 2
    return conv(channels, 16) + conv(16, 32) + bn(32) + conv(32, 64) + bn(64) + conv(64, 128) + bn(128) + feat + 1


@pytest.mark.parametrize(("channels", "image"), [(1, 32), (3, 32), (3, 64)])
def test_parameter_counts_match_the_tables(channels: int, image: int) -> None:
    spec = ModelSpec("paper", (channels, image, image))
    assert count_parameters(build_generator(spec)) == paper_generator_params(channels, 100, image)
    assert count_parameters(build_discriminator(spec)) == paper_discriminator_params(channels, image)


def test_mnist_generator_is_the_published_size() -> None:
    # Linear(100 -> 8192) = 827,392 weights+biases; the whole generator 1,049,985.
    g = build_generator(ModelSpec("paper", (1, 32, 32)))
    assert g.project.in_features == 100 and g.project.out_features == 8192
    assert count_parameters(g) == 1_049_985


def test_conditional_generator_input_is_110() -> None:
    g = build_generator(ModelSpec("paper", (1, 32, 32), n_classes=10))
    assert g.project.in_features == 110  # Table 3: 100 noise + 10 one-hot
    d = build_discriminator(ModelSpec("paper", (1, 32, 32), n_classes=10))
    assert d.embed.weight.shape == (10, 512)  # projection: one vector per class over the 128*2*2 features


def test_layer_sequence_of_the_generator() -> None:
    g = Generator(32, 1, bn_eps=0.8)
    kinds = [type(m).__name__ for m in g.blocks]
    assert kinds == [
        "BatchNorm2d",
        "Upsample",
        "Conv2d",
        "BatchNorm2d",
        "LeakyReLU",
        "Upsample",
        "Conv2d",
        "BatchNorm2d",
        "LeakyReLU",
        "Conv2d",
        "Tanh",
    ]
    bns = [m for m in g.blocks if isinstance(m, nn.BatchNorm2d)]
    assert [m.eps for m in bns] == [1e-5, 0.8, 0.8]
    assert all(m.momentum == 0.1 for m in bns)
    assert [m.negative_slope for m in g.blocks if isinstance(m, nn.LeakyReLU)] == [0.2, 0.2]


def test_layer_sequence_of_the_discriminator() -> None:
    d = Discriminator(32, 3, bn_eps=0.8)
    kinds = [type(m).__name__ for m in d.blocks]
    block = ["Conv2d", "LeakyReLU", "ChannelDropout"]  # nn.Dropout2d with an explicit mask draw
    assert kinds == block + [*block, "BatchNorm2d"] * 3
    convs = [m for m in d.blocks if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding) for m in convs] == [
        (3, 16, (3, 3), (2, 2), (1, 1)),
        (16, 32, (3, 3), (2, 2), (1, 1)),
        (32, 64, (3, 3), (2, 2), (1, 1)),
        (64, 128, (3, 3), (2, 2), (1, 1)),
    ]
    assert [m.p for m in d.blocks if isinstance(m, nn.Dropout2d)] == [0.25] * 4
    assert [m.eps for m in d.blocks if isinstance(m, nn.BatchNorm2d)] == [0.8] * 3


def test_dcgan_preset_uses_standard_batchnorm() -> None:
    g, d = build_pair(ModelSpec("dcgan", (1, 32, 32)), seed=0)
    assert {m.eps for m in g.modules() if isinstance(m, nn.BatchNorm2d)} == {1e-5}
    assert {m.eps for m in d.modules() if isinstance(m, nn.BatchNorm2d)} == {1e-5}


@pytest.mark.parametrize("width", [0.25, 0.5])
def test_width_scales_channels(width: float) -> None:
    g = build_generator(ModelSpec("dcgan", (1, 32, 32), width=width))
    d = build_discriminator(ModelSpec("dcgan", (1, 32, 32), width=width))
    assert g.project.out_features == round(128 * width) * 64
    assert [m.out_channels for m in d.blocks if isinstance(m, nn.Conv2d)] == [
        round(c * width) for c in (16, 32, 64, 128)
    ]


@pytest.mark.parametrize(("channels", "image"), [(1, 32), (3, 64)])
def test_output_shapes_and_range(channels: int, image: int) -> None:
    g, d = build_pair(ModelSpec("paper", (channels, image, image), width=0.25), seed=0)
    x = g(torch.randn(5, 100)).detach()
    assert x.shape == (5, channels, image, image)
    assert float(x.min()) >= -1.0 and float(x.max()) <= 1.0
    assert d(x).shape == (5,)


def test_conditional_networks_need_labels() -> None:
    g, d = build_pair(ModelSpec("dcgan", (1, 32, 32), width=0.25, n_classes=3), seed=0)
    with pytest.raises(ValueError, match="conditional: pass labels"):
        g(torch.randn(2, 100))
    y = torch.tensor([0, 2])
    with pytest.raises(ValueError, match="conditional: pass labels"):
        d(g(torch.randn(2, 100), y))


def test_projection_discriminator_depends_on_the_label() -> None:
    _, d = build_pair(ModelSpec("dcgan", (1, 32, 32), width=0.25, n_classes=3), seed=0)
    d.eval()
    x = torch.randn(2, 1, 32, 32)
    assert not torch.allclose(d(x, torch.tensor([0, 0])), d(x, torch.tensor([1, 1])))


def test_reference_initialisation() -> None:
    torch.manual_seed(0)
    g = build_generator(ModelSpec("paper", (3, 32, 32)))
    weights = torch.cat([m.weight.detach().flatten() for m in g.modules() if isinstance(m, nn.Conv2d)])
    assert abs(float(weights.mean())) < 1e-3
    torch.testing.assert_close(float(weights.std()), 0.02, atol=5e-4, rtol=0)
    bn_w = torch.cat([m.weight.detach() for m in g.modules() if isinstance(m, nn.BatchNorm2d)])
    torch.testing.assert_close(float(bn_w.mean()), 1.0, atol=5e-3, rtol=0)
    assert all(float(m.bias.detach().abs().max()) == 0.0 for m in g.modules() if isinstance(m, nn.BatchNorm2d))


def test_build_pair_depends_on_the_seed_only() -> None:
    spec = ModelSpec("dcgan", (1, 32, 32), width=0.25)
    torch.manual_seed(1)
    g1, _ = build_pair(spec, seed=7)
    torch.manual_seed(2)
    state = torch.get_rng_state()
    g2, _ = build_pair(spec, seed=7)
    assert torch.equal(state, torch.get_rng_state())  # the global RNG is left where it was
    for a, b in zip(g1.parameters(), g2.parameters()):
        assert torch.equal(a, b)
    g3, _ = build_pair(spec, seed=8)
    assert not torch.equal(g1.project.weight, g3.project.weight)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((1, 16, 16), "at least 32"),
        ((1, 40, 40), "multiple of 16"),
        ((1, 32, 16), "square images"),
        ((2,), "square images"),
    ],
)
def test_bad_image_shapes_are_config_errors(shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ModelSpec("dcgan", shape)


def test_spec_round_trips_through_a_dict() -> None:
    spec = ModelSpec("paper", (3, 32, 32), 64, 0.5, 10)
    assert ModelSpec.from_dict(spec.to_dict()) == spec


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
    counts = {
        n: count_parameters(build_discriminator(ModelSpec("dcgan", (1, 32, 32), width=0.5, d_norm=n)))
        for n in ("batch", "layer", "none")
    }
    assert counts["batch"] == counts["layer"] == count_parameters(build_discriminator(spec))
    assert counts["batch"] - counts["none"] == 2 * (16 + 32 + 64)  # weight and bias of the three norms (width 0.5)
    assert (
        sum(
            isinstance(m, nn.GroupNorm)
            for m in build_discriminator(ModelSpec("dcgan", (1, 32, 32), d_norm="layer")).modules()
        )
        == 3
    )


@pytest.mark.parametrize(
    ("loss", "arch", "data", "expected"),
    [
        ("wgan-gp", "dcgan", "digits", "layer"),
        ("wgan", "paper", "digits", "layer"),
        ("ns", "dcgan", "digits", "batch"),
        ("hinge", "dcgan", "digits", "batch"),
        ("wgan-gp", "auto", "toy", "none"),
    ],
)
def test_auto_resolves_by_loss_and_arch(loss: str, arch: str, data: str, expected: str) -> None:
    config = apply_values(RunConfig(), {"loss.name": loss, "model.arch": arch, "data.name": data})
    assert config.resolved_d_norm == expected


def test_explicit_choice_wins_and_bad_values_are_errors() -> None:
    assert apply_values(RunConfig(), {"loss.name": "wgan-gp", "model.d_norm": "batch"}).resolved_d_norm == "batch"
    with pytest.raises(ConfigError, match=re.escape("model.d_norm: unknown value 'group'")):
        apply_values(RunConfig(), {"model.d_norm": "group"})
    with pytest.raises(ConfigError, match=re.escape("model.d_norm: the mlp discriminator has no normalisation")):
        apply_values(RunConfig(), {"data.name": "toy", "model.d_norm": "layer"})
    with pytest.raises(ConfigError, match="does not fit arch mlp"):
        ModelSpec("mlp", (2,), d_norm="batch")


def test_spec_round_trip_and_old_manifests() -> None:
    spec = ModelSpec("paper", (3, 32, 32), d_norm="layer").conditional(10)
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    old = {"arch": "paper", "sample_shape": [3, 32, 32], "latent_dim": 100, "width": 1.0, "n_classes": 0}
    assert ModelSpec.from_dict(old).d_norm == "batch"
    assert ModelSpec("mlp", (2,)).d_norm == "none"
