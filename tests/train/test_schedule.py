"""The due pairs: one tuple until a pair finishes or stops, and which pairs finished, found by a countdown."""

from __future__ import annotations

import torch

from ganfleet.pairs import make_pair
from ganfleet.strategies import get_strategy
from ganfleet.train.schedule import DuePairs
from tests.conftest import tiny_config


def test_due_pairs_change_only_when_one_finishes(tiny_images, tmp_path) -> None:
    config = tiny_config(tmp_path / "run")
    members = get_strategy("class-parallel").members(tiny_images)
    pairs = [make_pair(config, tiny_images, m, torch.device("cpu")) for m in members]
    for pair, (step, target) in zip(pairs, [(0, 3), (1, 3), (0, 5)]):  # a resumed pair starts above 0
        pair.step, pair.target_steps = step, target
    schedule = DuePairs(pairs)
    seen = []
    while schedule.pairs:
        due = schedule.pairs
        for pair in due:
            pair.step += 1  # what any executor does to each due pair
        finished = schedule.stepped()
        seen.append([p.name for p in finished])
        if finished:
            assert schedule.pairs is not due and all(not p.done for p in schedule.pairs)
        else:
            assert schedule.pairs is due  # the same object: an executor may keep its packs
    assert seen == [[], ["class-0001"], ["class-0000"], [], ["class-0002"]]
    assert [p.step for p in pairs] == [3, 3, 5]


def test_a_stopped_pair_leaves_at_the_refresh(tiny_images, tmp_path) -> None:
    config = tiny_config(tmp_path / "run")
    members = get_strategy("class-parallel").members(tiny_images)
    pairs = [make_pair(config, tiny_images, m, torch.device("cpu")) for m in members]
    for pair in pairs:
        pair.target_steps = 4
    schedule = DuePairs(pairs)
    pairs[1].diverged = {"step": 0, "reason": "non-finite losses"}
    assert schedule.refresh() == [pairs[1]] and schedule.pairs == (pairs[0], pairs[2])
