"""Distributed SGAN's reduction: ranks' packed contributions, summed, give every replica the one-process gradients.

The collective itself (an all-reduce sum over gloo) runs in tests/distributed/test_sgan_ranks.py;
here the ranks are replicas of G_0/D_0 in one process and their packed buffers are summed by hand.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import torch

from ganfleet.errors import ConfigError, GanfleetError
from ganfleet.pairs import Pair, StepRule, make_pair, step_rule
from ganfleet.pairs.executor import LoopedPairs
from ganfleet.sgan import sgan_executor
from ganfleet.sgan.global_step import LocalView, accumulate_global_gradients
from ganfleet.sgan.reduce import GlobalReduction
from ganfleet.train.run_plan import plan_run
from tests.conftest import tiny_config
from tests.sgan.test_stepping import build

MESSENGER_STEPS = 1


def not_summed(tensor: torch.Tensor) -> None:
    raise AssertionError("the test sums the packed buffers itself")


def grads_of(pair: Pair) -> dict[str, torch.Tensor | None]:
    return {
        f"{side}.{n}": p.grad
        for side, m in (("g", pair.generator), ("d", pair.discriminator))
        for n, p in m.named_parameters()
    }


def buffers_of(pair: Pair) -> dict[str, torch.Tensor]:
    return {
        f"{side}.{n}": b.clone()
        for side, m in (("g", pair.generator), ("d", pair.discriminator))
        for n, b in m.named_buffers()
    }


def contribution(g0: Pair, views: list[LocalView], rule: StepRule) -> tuple[Pair, GlobalReduction, torch.Tensor]:
    """One rank: a replica of G_0/D_0, its partial sums over `views`, packed."""
    replica = copy.deepcopy(g0)
    reduction = GlobalReduction(replica, not_summed)  # before the forwards: counts are measured from here
    sums = accumulate_global_gradients(replica, views, rule, MESSENGER_STEPS)
    return replica, reduction, reduction.pack(sums)


def test_summed_contributions_give_every_replica_the_one_process_step(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path, train__strategy="sgan", sgan__split_by_class=True)
    rule = step_rule(config)
    strategy, pairs = build(config, tiny_images)
    strategy.step(pairs, rule)  # off the initialisation first
    g0, views = pairs[0], strategy.views

    one = copy.deepcopy(g0)
    one_sums = accumulate_global_gradients(one, views, rule, MESSENGER_STEPS)
    # three ranks: locals {0, 2}, {1} and none (it must contribute zeros, not break the sum)
    ranks = [contribution(g0, share, rule) for share in ([views[0], views[2]], [views[1]], [])]
    moved = [buffers_of(replica) for replica, _, _ in ranks]
    total = sum(flat for _, _, flat in ranks)
    summed = [reduction.unpack(total.clone(), list(one_sums)) for _, reduction, _ in ranks]

    one_grads, first = grads_of(one), grads_of(ranks[0][0])
    for replica, _, _ in ranks:
        grads = grads_of(replica)
        assert grads.keys() == one_grads.keys()
        for key, grad in grads.items():  # the partial sums are added in another order than in one process
            assert grad is not None and torch.equal(grad, first[key]), key  # every replica: the very same gradients
            torch.testing.assert_close(grad, one_grads[key], rtol=1e-5, atol=1e-6, msg=key)
    for losses in summed:
        for key in one_sums:
            torch.testing.assert_close(losses[key], one_sums[key], rtol=1e-5, atol=1e-6, msg=key)

    before, after_one = buffers_of(g0), buffers_of(one)
    counts = [k for k, b in before.items() if not b.is_floating_point()]
    assert counts and all(after_one[k] > before[k] for k in counts)  # G_0 has BatchNorm; the forwards were counted
    for replica, _, _ in ranks:
        for key, buffer in buffers_of(replica).items():
            if buffer.is_floating_point():  # the mean of the ranks' running statistics (not the one-process chain)
                torch.testing.assert_close(buffer, sum(m[key] for m in moved) / 3, rtol=1e-6, atol=1e-7, msg=key)
            else:  # forwards counted over every rank: exactly the one-process count
                assert torch.equal(buffer, after_one[key]), key


def test_a_parameter_no_rank_gave_a_gradient_keeps_none(tiny_images, tmp_path: Path) -> None:
    """As in one process, where Adam then skips it (a zero gradient would still move it by Adam's momentum)."""
    config = tiny_config(tmp_path, train__strategy="sgan", sgan__split_by_class=True)
    _, pairs = build(config, tiny_images)
    ranks = [contribution(pairs[0], [], step_rule(config)) for _ in range(2)]
    total = sum(flat for _, _, flat in ranks)
    for replica, reduction, _ in ranks:
        reduction.unpack(total.clone(), ["d_loss", "g_loss", "d_real", "d_fake"])
        assert all(grad is None for grad in grads_of(replica).values())
        for key, buffer in buffers_of(replica).items():  # the mean of equal buffers is themselves; no forward counted
            assert torch.equal(buffer, buffers_of(pairs[0])[key]), key


def executor_of(pairs: list[Pair], share_weights: bool = False, sum_over_ranks=None):
    """An SGAN executor of `pairs` (this process's share of a run with 3 local pairs)."""
    return sgan_executor(
        pairs, "global", 3, MESSENGER_STEPS, share_weights, lambda local: LoopedPairs(), sum_over_ranks
    )


def test_a_rank_prepares_its_share_only_when_connected(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path, train__strategy="sgan", sgan__split_by_class=True)
    _, pairs = build(config, tiny_images)
    share = [pairs[0], pairs[2]]  # the global pair and class 1, as a rank of a 2-rank job holds them
    with pytest.raises(GanfleetError, match="holds 1 of the 3 local pairs but is connected to no other rank"):
        executor_of(share)
    connected = executor_of(share, sum_over_ranks=not_summed)
    assert [v.local.name for v in connected.views] == ["class-0001"] and connected.reduction is not None
    with pytest.raises(GanfleetError, match="every process must hold the global pair"):
        executor_of(pairs[1:], sum_over_ranks=not_summed)


def test_shared_weights_stay_in_one_process(tiny_images, tmp_path: Path) -> None:
    config = tiny_config(tmp_path, train__strategy="sgan", sgan__split_by_class=True, sgan__share_weights=True)
    pairs = [make_pair(config, tiny_images, m, torch.device("cpu")) for m in plan_run(config, tiny_images).members]
    with pytest.raises(
        ConfigError,
        match=re.escape("sgan.share_weights: the locals' shared layers would be shared only within each rank"),
    ):
        executor_of(pairs[:2], share_weights=True, sum_over_ranks=not_summed)
