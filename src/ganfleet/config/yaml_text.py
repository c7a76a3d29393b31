"""YAML from users (`--config` files, `--set` values), read with bounds.

PyYAML's safe loader builds no objects but shares an anchored node between
its aliases, so a few hundred bytes ("billion laughs") describe a tree of
billions of values, which every walk over the config would expand. Here the
text must be UTF-8 and at most `MAX_YAML_BYTES`, and its node graph, counted
with aliases expanded (in linear time), at most `MAX_YAML_VALUES`; a recursive
alias is refused. Every error is one line naming the file (or `--set` key)
and where in the text the problem is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ganfleet.errors import ConfigError

MAX_YAML_BYTES = 1 << 20
MAX_YAML_VALUES = 100_000


def yaml_problem(exc: yaml.YAMLError) -> str:
    """One line for a PyYAML error: its problem and position (PyYAML's own text spans several lines)."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else problem


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int], where: str) -> int:
    """Values in `node` with every alias expanded (each node counted once per place it appears)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise ConfigError(f"{where}: a YAML alias refers to the node that contains it (a recursive structure)")
    open_nodes.add(key)
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, sizes, open_nodes, where) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(
            _expanded_size(k, sizes, open_nodes, where) + _expanded_size(v, sizes, open_nodes, where)
            for k, v in node.value
        )
    else:
        size = 1
    open_nodes.discard(key)
    if size > MAX_YAML_VALUES:
        raise ConfigError(
            f"{where}: the YAML expands to more than {MAX_YAML_VALUES} values (through its aliases); "
            "a config is a few dozen"
        )
    sizes[key] = size
    return size


def parse_yaml(text: str | bytes, where: str) -> Any:
    """The value of one YAML document, bounded in size and alias expansion; ConfigError naming `where`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{where}: not UTF-8 text (byte 0x{text[exc.start]:02x} at offset {exc.start})") from None
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{where}: {len(text)} characters of YAML, more than the {MAX_YAML_BYTES} a config may have")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set(), where)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({yaml_problem(exc)})") from None
    except RecursionError:
        raise ConfigError(f"{where}: the YAML is nested too deeply") from None
    finally:
        loader.dispose()


def read_yaml_file(path: Path) -> Any:
    """A YAML (or JSON) file's value, read at most `MAX_YAML_BYTES` + 1 bytes of it."""
    if path.exists() and not path.is_file():  # a FIFO would block the read, a folder fails it
        raise ConfigError(f"{path}: not a regular file; expected a YAML config file")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror or exc})") from None
    if len(data) > MAX_YAML_BYTES:
        raise ConfigError(f"{path}: larger than the {MAX_YAML_BYTES} bytes a config file may have")
    return parse_yaml(data, str(path))
