"""What a training run shows while it trains: a tqdm bar on a terminal, plain log lines elsewhere.

On a terminal (stderr is a TTY) the bar counts pair-steps and shows the
tick's losses and img/s. In a batch job (stderr redirected to a file or a
pipe) carriage returns would make the log unreadable, so each tick is one
plain line instead, as StyleGAN2-ADA's logs are:

    tick 3   step 150/600   kimg 96.0   img/s 412   d 1.234 [1.010..1.501]   g 0.812 [0.700..0.950]   eta 4m12s

(step: the clock, of the most advanced pair's budget; kimg: images this
rank's pairs have seen; d/g: the mean loss over pairs [lowest..highest]).
Either way the ETA is also printed once, after the first tick or after 30 s
of training if that comes first; it counts in the evaluations still to come
(--eval-every) at the mean time of those done.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

from ganfleet.train.ticks import TickRecord

EARLY_ETA_S = 30.0  # without a tick by then, the ETA is said after this many seconds of training


def format_duration(seconds: float) -> str:
    """3725 -> '1h02m', 252 -> '4m12s', 9.4 -> '9s'."""
    seconds = max(0.0, seconds)
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{seconds:.0f}s"


def format_kimg(kimg: float) -> str:
    """Thousands of images, with the digits that matter: 0.128, 6.40, 96.0, 1234."""
    return (
        f"{kimg:.3f}" if kimg < 1 else f"{kimg:.2f}" if kimg < 10 else f"{kimg:.1f}" if kimg < 1000 else f"{kimg:,.0f}"
    )


def loss_summary(pairs: dict[str, dict[str, float]], key: str) -> str:
    """'1.234 [1.010..1.501]': the mean of `key` over pairs, then the lowest and highest (the mean alone for
    one pair)."""
    values = [p[key] for p in pairs.values() if key in p]
    if not values:
        return "-"
    mean = sum(values) / len(values)
    return f"{mean:.3f}" if len(values) == 1 else f"{mean:.3f} [{min(values):.3f}..{max(values):.3f}]"


class Progress:
    """The bar or the plain lines of one rank's loop (disabled: nothing at all)."""

    def __init__(
        self,
        total: int,
        desc: str,
        enabled: bool,
        plain: bool | None = None,
        stream: TextIO | None = None,
        evaluations: int = 0,
    ) -> None:
        """`total` pair-steps to go and `evaluations` (--eval-every) among them, which the ETA counts in."""
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.plain = (not self.stream.isatty()) if plain is None else plain
        self.total, self.done, self.ticks = total, 0, 0
        self.evaluations_left, self.evaluations_done, self.evaluation_s = evaluations, 0, 0.0
        self.eta_said = False
        self.start = time.perf_counter()
        self.bar = tqdm(
            total=total,
            unit="pair-step",
            desc=desc,
            file=self.stream,
            dynamic_ncols=True,
            disable=not enabled or self.plain,
        )

    def begin(self) -> None:
        """The first step is next: the ETA's clock starts here (after set-up and --pack auto)."""
        self.start = time.perf_counter()

    def note(self, text: str) -> None:
        """A line of its own (above the bar on a terminal)."""
        if not self.enabled:
            return
        if self.plain:
            print(text, file=self.stream, flush=True)
        else:
            self.bar.write(text, file=self.stream)

    def update(self, pair_steps: int) -> None:
        self.done += pair_steps
        self.bar.update(pair_steps)
        if not self.eta_said and time.perf_counter() - self.start >= EARLY_ETA_S:  # a slow first tick
            self.say_eta("the first steps")

    def evaluated(self, seconds: float) -> None:
        """One evaluation took `seconds` (the ETA adds the ones left at the mean)."""
        self.evaluations_left = max(0, self.evaluations_left - 1)
        self.evaluations_done += 1
        self.evaluation_s += seconds

    def eta_seconds(self) -> float | None:
        """Seconds left at this session's pace so far, evaluations apart (None before any step)."""
        if not self.done:
            return None
        training = time.perf_counter() - self.start - self.evaluation_s
        left = training / self.done * max(0, self.total - self.done)
        if self.evaluations_done:
            left += self.evaluations_left * self.evaluation_s / self.evaluations_done
        return left

    def eta_text(self) -> str:
        """'4m12s', '1m40s + 4 evaluations' before the first is timed, '-' before any step."""
        eta = self.eta_seconds()
        if eta is None:
            return "-"
        untimed = self.evaluations_left if not self.evaluations_done else 0
        return format_duration(eta) + (f" + {untimed} evaluation(s)" if untimed else "")

    def say_eta(self, pace: str) -> None:
        self.eta_said = True
        self.note(f"eta: {self.eta_text()} for the remaining {self.total - self.done} pair-steps at the pace of {pace}")

    def write_tick(self, record: TickRecord) -> None:
        """The tick's line (plain) or the bar's postfix; the ETA once after the first tick."""
        self.ticks += 1
        eta_text = self.eta_text()
        if self.plain:
            self.note(
                f"tick {self.ticks:<3d} step {record.step}/{record.last_step}   kimg {format_kimg(record.kimg)}   "
                f"img/s {record.img_per_s:.0f}   d {loss_summary(record.pairs, 'd_loss')}   "
                f"g {loss_summary(record.pairs, 'g_loss')}   eta {eta_text}"
            )
        else:
            self.bar.set_postfix(
                d=f"{record.mean.get('d_loss', float('nan')):.3f}",
                g=f"{record.mean.get('g_loss', float('nan')):.3f}",
                img_s=f"{record.img_per_s:.0f}",
            )
            if not self.eta_said and self.done:
                self.say_eta("the first tick")

    def close(self) -> None:
        self.bar.close()
