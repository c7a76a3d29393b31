"""User YAML read with bounds: one-line errors with positions, UTF-8 only, size and alias expansion bounded (a
billion-laughs document is refused at once), recursive aliases refused; ordinary anchors still work."""

from __future__ import annotations

import time

import pytest

from ganfleet.config.yaml_text import MAX_YAML_BYTES, parse_yaml
from ganfleet.errors import ConfigError

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
)


def test_ordinary_yaml_and_anchors() -> None:
    assert parse_yaml("budget: {steps: 3}\nx: &v [1, 2]\ny: *v\n", "c.yaml") == {
        "budget": {"steps": 3},
        "x": [1, 2],
        "y": [1, 2],
    }
    assert parse_yaml("", "c.yaml") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[0, 1", "c.yaml: not valid YAML (expected ',' or ']', but got '<stream end>' at line 1, column 6)"),
        ("a: b: c", "c.yaml: not valid YAML (mapping values are not allowed here at line 1, column 5)"),
        (b"a: caf\xe9", "c.yaml: not UTF-8 text (byte 0xe9 at offset 6)"),
        ("&a [*a]", "c.yaml: a YAML alias refers to the node that contains it"),
        ("x" * (MAX_YAML_BYTES + 1), "more than the 1048576 a config may have"),
        ("[" * 3000 + "]" * 3000, "c.yaml: the YAML is nested too deeply"),
    ],
)
def test_errors_are_one_line(text: str | bytes, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_yaml(text, "c.yaml")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_billion_laughs_is_refused_at_once() -> None:
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="expands to more than 100000 values"):
        parse_yaml(LAUGHS, "c.yaml")
    assert time.perf_counter() - start < 30  # it was 82 s and a MemoryError; this takes milliseconds
