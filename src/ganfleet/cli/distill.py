"""The `distill` subcommand: one conditional generator trained on a fleet's samples (`ganfleet.train.distill`)."""

from __future__ import annotations

import argparse
from typing import Literal

from ganfleet import smoke
from ganfleet.cli.flags import MAX_SAMPLES, SEED, count


def threads(text: str) -> Literal["auto"] | int:
    """An argparse type: auto or a number of threads in 1..1024 (what train.threads takes)."""
    if text == "auto":
        return "auto"
    try:
        return count(1, 1024)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected auto or an integer in 1..1024, got {text!r}") from None


def cmd_distill(args: argparse.Namespace) -> int:
    from ganfleet.train.distill import DISTILLED, DistillOptions, distill

    samples, steps = smoke.limit(smoke.SAMPLES // 20), smoke.limit(smoke.STEPS)  # None unless GANFLEET_SMOKE
    per_class = smoke.cap(args.per_class, samples, "--per-class") if args.per_class else samples
    steps = smoke.cap(args.steps, steps, "--steps") if args.steps else steps
    options = DistillOptions(per_class, steps, args.seed, args.diversity, args.threads, args.device)
    result = distill(args.run, options, progress=not args.quiet)
    step = max(result.steps.values())
    print(
        f"distilled {args.run} into one conditional generator, step {step} ({result.seconds:.1f} s this session) -> "
        f"member {DISTILLED} (ganfleet sample {args.run} --member {DISTILLED} ...)"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add distill to the ganfleet parser."""
    p = sub.add_parser(
        "distill",
        help="train one compact conditional generator on a fleet's samples (the fleet's member 'distilled')",
        description="One conditional pair with the run's model and recipe trains on a fixed, seeded set of the "
        "class pairs' samples as its real data (RUN/distill/); its generator becomes the member 'distilled' of RUN "
        "(sample or evaluate it with --member distilled). Run again to continue an unfinished one, or with more "
        "--steps to train it further. See docs/sgan.md.",
    )
    p.add_argument("run", metavar="RUN", help="a finished class-parallel (or class-split sgan) run folder")
    p.add_argument(
        "--per-class",
        type=count(1, MAX_SAMPLES),
        metavar="N",
        help="fleet samples per class it trains on (default: as many as the class had training images)",
    )
    p.add_argument(
        "--steps",
        type=count(1),
        metavar="S",
        help="generator steps (default: the class pairs' steps together, so it sees as many images as the fleet)",
    )
    p.add_argument("--seed", type=SEED, default=0, help="seed of the samples and of the distilled pair (default: 0)")
    p.add_argument(
        "--diversity",
        type=float,
        metavar="W",
        help="weight of MSGAN's diversity term in the distilled generator's loss (loss.diversity_weight; "
        "default: 0.1, or the distilling run's own when going on; 0: none)",
    )
    p.add_argument(
        "--threads",
        type=threads,
        default="auto",
        help="torch CPU threads: auto (default) or a number",
    )
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_distill, resume_hint="run the same ganfleet distill command again to continue")
