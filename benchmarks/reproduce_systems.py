"""The systems `reproduce.py` compares: each a row of its tables, its config values and the member evaluated.

Systems (Lupo Pasini et al.'s three, the W-CGAN sequel's, SGAN's global generator):

- DC-GAN (`dcgan`): one unconditional pair on all data;
- DC-CGAN (`dccgan`): one conditional pair (one-hot generator, projection discriminator);
- class-parallel DC-CGAN (`cp-dccgan`): one pair per class (the distributed DC-CGAN);
- class-parallel W-CGAN (`cp-wcgan`): the same with Wasserstein-GP critics (5 critic steps per generator step);
- SGAN conditional G_0 (`sgan-global`): class-parallel locals and a conditional global pair, G_0 evaluated;
- by `--systems` only: the W-CGAN with the paper's BatchNorm critic (`cp-wcgan-bn`), SGAN with 5 messenger steps
  (`sgan-global-id5`), SGAN's G_0 against its messengers and D_0 (`sgan-global-d0`: `sgan.g0_against`;
  `sgan-global-d0-id5` with 5 messenger steps; `sgan-global-d0-only` against D_0 alone), the class-parallel fleet with
  a discriminator as wide as, twice or four times as wide as the generator (`cp-d1x`, `cp-d2x`, `cp-d4x`:
  `model.d_width_factor` 1, 2, 4; the recommended recipe's is 2), the DC-CGAN with equal widths (`dccgan-d1x`), and
  with a shared warm start (`cp-warm-d1x`, `cp-warm-d2x`: `shared.kimg` a sixth of the fleet's K x S images, the class
  pairs S - S/6 steps each under budget (b), S under (a); `cp-warm-reset-d1x`: the class pairs' Adam fresh after the
  fork; `cp-warm3-d2x`, `cp-warm2-d2x`: a third, a half of the images; `cp-warm-d2x-adaptive`: `budget.allocate`
  adaptive; `cp-warm-d2x-freeze2`: the first two discriminator layers frozen after the fork, `shared.freeze_d`;
  `cp-cwarm-d2x`, `cp-cwarm3-d2x`, `cp-cwarm2-d2x`: a conditional warm start of a sixth, a third, a half,
  `shared.conditional`), and with MSGAN's diversity term at 0.1 (`cp-warm-d2x-div`, `cp-warm3-d2x-div`,
  `cp-warm2-d2x-div`, `cp-cwarm-d2x-div`, `dccgan-div`: `loss.diversity_weight`) and at 0.05 (`cp-cwarm2-d2x-div05`,
  `cp-cwarm34-d2x-div05`: a conditional warm start of three quarters, `dccgan-div05`), and `dcgan`, `dccgan`,
  `cp-dccgan`, `cp-warm2-d2x`, `cp-cwarm-d2x` with a DiffAugment policy of their own whatever the recipe's
  (`<key>-aug-none`, `-aug-t`: translation, `-aug-ctc`: color,translation,cutout; `augment.policy`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class System:
    """One row of the comparison: its config values and the generator that is evaluated."""

    label: str
    key: str
    values: dict = field(hash=False)
    member: str | None = None  # None: the fleet's routing
    class_pairs: bool = True  # one pair per class (its budget is per pair)
    warm_share: float = 0.0  # a shared warm start's share of the K x S images of budget (b) (shared.kimg)


def fleet(label: str, key: str, values: dict | None = None, warm_share: float = 0.0, d_width: float = 2.0) -> System:
    """A class-parallel row: a discriminator `d_width` times as wide as the generator (the recommended recipe's 2),
    a warm start of `warm_share` of budget (b)'s images, and the config `values`."""
    options = {"train.strategy": "class-parallel", "model.d_width_factor": d_width, **(values or {})}
    return System(label, key, options, warm_share=warm_share)


SIXTH, THIRD, HALF, THREE_QUARTERS = 1 / 6, 1 / 3, 1 / 2, 3 / 4  # warm-start shares (the demo's is a half)
ADAPTIVE = {"budget.allocate": "adaptive"}
DIVERSITY = {"loss.diversity_weight": 0.1}
DIVERSITY_05 = {"loss.diversity_weight": 0.05}  # the demo's weight
CONDITIONAL = {"shared.conditional": True}

SYSTEMS = (
    System("DC-GAN", "dcgan", {"train.strategy": "gan"}, class_pairs=False),
    System("DC-CGAN", "dccgan", {"train.strategy": "cgan"}, class_pairs=False),
    System("class-parallel DC-CGAN", "cp-dccgan", {"train.strategy": "class-parallel"}),
    System("class-parallel W-CGAN", "cp-wcgan", {"train.strategy": "class-parallel", "loss.name": "wgan-gp"}),
    System("SGAN conditional G_0", "sgan-global", {"train.strategy": "sgan", "sgan.split_by_class": True}, "global"),
)
EXTRA_SYSTEMS = (
    System(
        "class-parallel W-CGAN, BatchNorm critic",
        "cp-wcgan-bn",
        {"train.strategy": "class-parallel", "loss.name": "wgan-gp", "model.d_norm": "batch"},
    ),
    System(
        "SGAN conditional G_0, I_D = 5",
        "sgan-global-id5",
        {"train.strategy": "sgan", "sgan.split_by_class": True, "sgan.messenger_steps": 5},
        "global",
    ),
    System(
        "SGAN conditional G_0 against messengers and D_0",
        "sgan-global-d0",
        {"train.strategy": "sgan", "sgan.split_by_class": True, "sgan.g0_against": "messengers-and-d0"},
        "global",
    ),
    System(
        "SGAN conditional G_0 against D_0 alone (no messengers)",
        "sgan-global-d0-only",
        {"train.strategy": "sgan", "sgan.split_by_class": True, "sgan.g0_against": "d0"},
        "global",
    ),
    System(
        "SGAN conditional G_0 against messengers and D_0, I_D = 5",
        "sgan-global-d0-id5",
        {
            "train.strategy": "sgan",
            "sgan.split_by_class": True,
            "sgan.g0_against": "messengers-and-d0",
            "sgan.messenger_steps": 5,
        },
        "global",
    ),
    fleet("class-parallel, D width x1", "cp-d1x", d_width=1.0),
    fleet("class-parallel, D width x2", "cp-d2x"),
    fleet("class-parallel, D width x4", "cp-d4x", d_width=4.0),
    System(
        "DC-CGAN, D width x1", "dccgan-d1x", {"train.strategy": "cgan", "model.d_width_factor": 1.0}, class_pairs=False
    ),
    fleet("class-parallel + warm start, D width x1", "cp-warm-d1x", warm_share=SIXTH, d_width=1.0),
    fleet(
        "class-parallel + warm start, Adam reset, D width x1",
        "cp-warm-reset-d1x",
        {"shared.optimizer": "reset"},
        SIXTH,
        d_width=1.0,
    ),
    fleet("class-parallel + warm start, D width x2", "cp-warm-d2x", warm_share=SIXTH),
    fleet("class-parallel + warm start of a third, D width x2", "cp-warm3-d2x", warm_share=THIRD),
    fleet("class-parallel + warm start of a half, D width x2", "cp-warm2-d2x", warm_share=HALF),
    fleet("class-parallel + warm start, D width x2, adaptive budget", "cp-warm-d2x-adaptive", ADAPTIVE, SIXTH),
    fleet("class-parallel + warm start, D width x2, diversity 0.1", "cp-warm-d2x-div", DIVERSITY, SIXTH),
    fleet("class-parallel + warm start of a third, D width x2, diversity 0.1", "cp-warm3-d2x-div", DIVERSITY, THIRD),
    fleet("class-parallel + warm start of a half, D width x2, diversity 0.1", "cp-warm2-d2x-div", DIVERSITY, HALF),
    fleet("class-parallel + warm start, D width x2, FreezeD 2", "cp-warm-d2x-freeze2", {"shared.freeze_d": 2}, SIXTH),
    fleet("class-parallel + conditional warm start, D width x2", "cp-cwarm-d2x", CONDITIONAL, SIXTH),
    fleet("class-parallel + conditional warm start of a third, D width x2", "cp-cwarm3-d2x", CONDITIONAL, THIRD),
    fleet("class-parallel + conditional warm start of a half, D width x2", "cp-cwarm2-d2x", CONDITIONAL, HALF),
    fleet(
        "class-parallel + conditional warm start, D width x2, diversity 0.1",
        "cp-cwarm-d2x-div",
        CONDITIONAL | DIVERSITY,
        SIXTH,
    ),
    fleet(
        "class-parallel + conditional warm start of a half, D width x2, diversity 0.05",
        "cp-cwarm2-d2x-div05",
        CONDITIONAL | DIVERSITY_05,
        HALF,
    ),
    fleet(
        "class-parallel + conditional warm start of three quarters, D width x2, diversity 0.05",
        "cp-cwarm34-d2x-div05",
        CONDITIONAL | DIVERSITY_05,
        THREE_QUARTERS,
    ),
    System("DC-CGAN, diversity 0.1", "dccgan-div", {"train.strategy": "cgan", **DIVERSITY}, class_pairs=False),
    System("DC-CGAN, diversity 0.05", "dccgan-div05", {"train.strategy": "cgan", **DIVERSITY_05}, class_pairs=False),
)

AUGMENT = {"none": "none", "t": "translation", "ctc": "color,translation,cutout"}  # tag -> augment.policy
AUGMENTED = ("dcgan", "dccgan", "cp-dccgan", "cp-warm2-d2x", "cp-cwarm-d2x")  # the systems given -aug-<tag> rows


def augmented(system: System, tag: str) -> System:
    """`system` with DiffAugment policy `AUGMENT[tag]` whatever the recipe's (key `<key>-aug-<tag>`)."""
    policy = AUGMENT[tag]
    values = {**system.values, "augment.policy": policy}
    return dataclasses.replace(
        system, label=f"{system.label}, augment {policy}", key=f"{system.key}-aug-{tag}", values=values
    )


ALL_SYSTEMS = SYSTEMS + EXTRA_SYSTEMS
ALL_SYSTEMS += tuple(augmented(s, tag) for s in ALL_SYSTEMS if s.key in AUGMENTED for tag in AUGMENT)
