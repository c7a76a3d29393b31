"""The FID Inception-v3: exact key names and shapes of pt_inception-2015-12-05, strict loading, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from ganfleet.errors import EvaluationError
from ganfleet.metrics.inception import WEIGHTS_ENV, FIDInceptionV3, load_inception


def conv_units() -> list[tuple[str, int, int, tuple[int, int]]]:
    """(prefix, in, out, kernel) of every conv+BN unit of torchvision's Inception3 without the aux head.

    Transcribed from the published architecture (Szegedy et al. 2016 / torchvision's
    layer names), independently of ganfleet.metrics.inception.
    """
    units = [
        ("Conv2d_1a_3x3", 3, 32, (3, 3)),
        ("Conv2d_2a_3x3", 32, 32, (3, 3)),
        ("Conv2d_2b_3x3", 32, 64, (3, 3)),
        ("Conv2d_3b_1x1", 64, 80, (1, 1)),
        ("Conv2d_4a_3x3", 80, 192, (3, 3)),
    ]
    for name, c, pool in (("Mixed_5b", 192, 32), ("Mixed_5c", 256, 64), ("Mixed_5d", 288, 64)):
        units += [
            (f"{name}.branch1x1", c, 64, (1, 1)),
            (f"{name}.branch5x5_1", c, 48, (1, 1)),
            (f"{name}.branch5x5_2", 48, 64, (5, 5)),
            (f"{name}.branch3x3dbl_1", c, 64, (1, 1)),
            (f"{name}.branch3x3dbl_2", 64, 96, (3, 3)),
            (f"{name}.branch3x3dbl_3", 96, 96, (3, 3)),
            (f"{name}.branch_pool", c, pool, (1, 1)),
        ]
    units += [
        ("Mixed_6a.branch3x3", 288, 384, (3, 3)),
        ("Mixed_6a.branch3x3dbl_1", 288, 64, (1, 1)),
        ("Mixed_6a.branch3x3dbl_2", 64, 96, (3, 3)),
        ("Mixed_6a.branch3x3dbl_3", 96, 96, (3, 3)),
    ]
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        units += [
            (f"{name}.branch1x1", 768, 192, (1, 1)),
            (f"{name}.branch7x7_1", 768, c7, (1, 1)),
            (f"{name}.branch7x7_2", c7, c7, (1, 7)),
            (f"{name}.branch7x7_3", c7, 192, (7, 1)),
            (f"{name}.branch7x7dbl_1", 768, c7, (1, 1)),
            (f"{name}.branch7x7dbl_2", c7, c7, (7, 1)),
            (f"{name}.branch7x7dbl_3", c7, c7, (1, 7)),
            (f"{name}.branch7x7dbl_4", c7, c7, (7, 1)),
            (f"{name}.branch7x7dbl_5", c7, 192, (1, 7)),
            (f"{name}.branch_pool", 768, 192, (1, 1)),
        ]
    units += [
        ("Mixed_7a.branch3x3_1", 768, 192, (1, 1)),
        ("Mixed_7a.branch3x3_2", 192, 320, (3, 3)),
        ("Mixed_7a.branch7x7x3_1", 768, 192, (1, 1)),
        ("Mixed_7a.branch7x7x3_2", 192, 192, (1, 7)),
        ("Mixed_7a.branch7x7x3_3", 192, 192, (7, 1)),
        ("Mixed_7a.branch7x7x3_4", 192, 192, (3, 3)),
    ]
    for name, c in (("Mixed_7b", 1280), ("Mixed_7c", 2048)):
        units += [
            (f"{name}.branch1x1", c, 320, (1, 1)),
            (f"{name}.branch3x3_1", c, 384, (1, 1)),
            (f"{name}.branch3x3_2a", 384, 384, (1, 3)),
            (f"{name}.branch3x3_2b", 384, 384, (3, 1)),
            (f"{name}.branch3x3dbl_1", c, 448, (1, 1)),
            (f"{name}.branch3x3dbl_2", 448, 384, (3, 3)),
            (f"{name}.branch3x3dbl_3a", 384, 384, (1, 3)),
            (f"{name}.branch3x3dbl_3b", 384, 384, (3, 1)),
            (f"{name}.branch_pool", c, 192, (1, 1)),
        ]
    return units


def synthetic_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors under exactly the key names and shapes of pt_inception-2015-12-05-6726825d.pth."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for prefix, c_in, c_out, (kh, kw) in conv_units():
        state[f"{prefix}.conv.weight"] = torch.randn(c_out, c_in, kh, kw, generator=g) * (2 / (c_in * kh * kw)) ** 0.5
        state[f"{prefix}.bn.weight"] = 1 + 0.1 * torch.randn(c_out, generator=g)
        state[f"{prefix}.bn.bias"] = 0.1 * torch.randn(c_out, generator=g)
        state[f"{prefix}.bn.running_mean"] = 0.1 * torch.randn(c_out, generator=g)
        state[f"{prefix}.bn.running_var"] = 0.5 + torch.rand(c_out, generator=g)
    state["fc.weight"] = torch.randn(1008, 2048, generator=g) * 0.02
    state["fc.bias"] = torch.randn(1008, generator=g)
    return state


@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    return synthetic_state_dict()


@pytest.fixture(scope="module")
def weights(tmp_path_factory, state) -> Path:
    path = tmp_path_factory.mktemp("inception") / "pt_inception-2015-12-05-6726825d.pth"
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def model(weights: Path) -> FIDInceptionV3:
    return load_inception(weights)


def test_layout_has_torchvisions_parameter_count(state) -> None:
    # torchvision documents 27,161,264 parameters for inception_v3 (1,000 classes, with the aux head).
    # The aux head has 768*128 + 2*128 + 128*768*25 + 2*768 + 768*1000 + 1000 = 3,326,696; the FID
    # network has 8 more classes in fc (8 * 2048 + 8). Running statistics are buffers, not parameters.
    params = sum(v.numel() for k, v in state.items() if not k.endswith(("running_mean", "running_var")))
    assert params == 27_161_264 - 3_326_696 + 8 * 2048 + 8 == 23_850_960
    assert len(state) == 94 * 5 + 2


def test_loads_the_synthetic_state_dict_strictly(model: FIDInceptionV3, state) -> None:
    expected = state
    got = model.state_dict()
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.equal(got[key], value), key


def test_features_and_logits(model: FIDInceptionV3) -> None:
    grey = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        pool, logits = model(grey)
        pool_rgb, _ = model(grey.repeat(1, 3, 1, 1))
    assert pool.shape == (1, 2048) and logits.shape == (1, 1008)
    assert bool((pool >= 0).all())  # average of ReLU outputs
    torch.testing.assert_close(pool, pool_rgb, rtol=0, atol=0)  # grey is the same image in all three channels
    # IS logits are taken before the bias (fc.bias ~ N(0, 1) here, so adding it would fail this)
    torch.testing.assert_close(logits, pool @ model.fc.weight.T, rtol=1e-6, atol=1e-5)


def test_batchnorm_step_counters_are_accepted(tmp_path: Path, state) -> None:
    counters = {
        k.replace("running_mean", "num_batches_tracked"): torch.tensor(0) for k in state if k.endswith("running_mean")
    }
    torch.save({**state, **counters}, tmp_path / "w.pth")  # as nn.BatchNorm2d would save them
    load_inception(tmp_path / "w.pth")


def test_missing_weights_say_how_to_get_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    with pytest.raises(EvaluationError, match=f"pt_inception-2015-12-05-6726825d.pth.*{WEIGHTS_ENV}.*never downloads"):
        load_inception(None)
    with pytest.raises(EvaluationError, match=re.escape("nope.pth: Inception weights file not found")):
        load_inception(tmp_path / "nope.pth")
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "from-env.pth"))
    with pytest.raises(EvaluationError, match=re.escape("from-env.pth: Inception weights file not found")):
        load_inception(None)


def test_mismatched_files_are_refused(tmp_path: Path, state) -> None:
    other = {k: v for k, v in state.items() if k.startswith("Mixed_7c")}  # 9 units x 5 keys kept, the rest missing
    other["Mixed_7c.branch_pool.conv.weight"] = torch.zeros(192, 1280, 1, 1)
    other["AuxLogits.fc.weight"] = torch.zeros(1000, 768)
    torch.save(other, tmp_path / "other.pth")
    with pytest.raises(
        EvaluationError,
        match=r"not the FID Inception-v3 weights.*427 missing \(e.g. Conv2d_1a_3x3.bn.bias"
        r".*1 unexpected \(e.g. AuxLogits.fc.weight\).*1 wrong shape \(e.g. Mixed_7c.branch_pool.conv.weight\)",
    ):
        load_inception(tmp_path / "other.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(EvaluationError, match=re.escape("junk.pth: not a readable PyTorch state dict")):
        load_inception(tmp_path / "junk.pth")
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(EvaluationError, match="expected a state dict"):
        load_inception(tmp_path / "list.pth")
