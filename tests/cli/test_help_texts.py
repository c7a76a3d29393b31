"""Every option's help is one or two sentences without measured figures (those live in docs/ and the README)."""

from __future__ import annotations

import argparse
import re

from ganfleet.cli import build_parser
from ganfleet.cli.flags import SECTIONS
from ganfleet.config import field_help

SENTENCE_END = re.compile(r"[.!?] (?=[A-Z])")
FIGURE = re.compile(r"\d(\.\d+)?x\b|img/s|\b\d+(\.\d+)? ?(ms|s|min|h)\b")  # speed-ups, throughputs, durations


def helps() -> dict[str, str]:
    out = {f"{section}.{name}": text for section, cls in SECTIONS.items() for name, text in field_help(cls).items()}

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif action.help and action.help != argparse.SUPPRESS:
                out[f"{path} {'/'.join(action.option_strings) or action.dest}"] = action.help.split(" (default:")[0]

    walk(build_parser(), "ganfleet")
    return out


def test_help_texts_are_short_and_carry_no_figures() -> None:
    texts = helps()
    assert len(texts) > 50
    long = {k: t for k, t in texts.items() if len(SENTENCE_END.findall(t)) > 1}
    figures = {k: t for k, t in texts.items() if FIGURE.search(t)}
    assert not long and not figures
