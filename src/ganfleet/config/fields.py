"""The pieces every config section is made of: fields with help texts, typed values, and their checks.

A field's type says what it accepts: `int` (64-bit), `float` (finite, within
float32's range: the networks train in float32), `bool`, `str`,
`list[int]`, optional (`X | None`), or a `Literal` of names. A section's
Literal of names is built from the registry that owns the concept (data
sources, architectures, losses, strategies), so the valid names are listed in
one place and every error names them.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import field
from typing import Any

from ganfleet.errors import ConfigError

FLOAT32_MAX = 3.4028234663852886e38
INT64_MAX = 2**63 - 1


def option(default: Any, help: str, **kwargs: Any) -> Any:
    """A dataclass field carrying its help text (shown by `--help`)."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help}, **kwargs)
    return field(default=default, metadata={"help": help}, **kwargs)


def names(registry: typing.Iterable[str], *extra: str) -> Any:
    """`Literal[...]` of a registry's names (and `extra` ones such as "auto"): the field type of a choice."""
    values = (*extra, *registry)
    return typing.Literal[values]


def split_optional(tp: Any) -> tuple[Any, bool]:
    """(base type, optional) for annotations like `int | None` or `list[int] | None`."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(tp))
    return tp, False


def is_name_or_count(tp: Any) -> bool:
    """Whether `tp` is `Literal[...] | int`: a name or a count, checked by the section (`name_or_count`)."""
    args = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else ()
    return int in args and any(typing.get_origin(a) is typing.Literal for a in args)


def name_or_count(where: str, value: Any, names: tuple[str, ...], what: str, upper: int | None = None) -> str | int:
    """`value` as one of `names` or a count from 1 to `upper`: "4" and 4 are the count 4; ConfigError otherwise."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in names:
            return text
        if text.isdigit():
            value = int(text)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1 and (upper is None or value <= upper):
        return value
    raise ConfigError(f"{where}: expected {what}, got {value!r}")


def choices(tp: Any) -> tuple[str, ...] | None:
    """The names a Literal field accepts (None for other types, and for a name-or-count field)."""
    if is_name_or_count(tp):
        return None
    base, _ = split_optional(tp)
    return typing.get_args(base) if typing.get_origin(base) is typing.Literal else None


def _scalar(base: Any, value: Any) -> Any:
    """`value` as `base` (bool, int, float, str); ValueError or TypeError when it is not one."""
    if base is bool:
        if isinstance(value, str):
            lowered = value.lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError
        return bool(value)
    if base is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return int(value)
    if base is float:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    return str(value)


def coerce(where: str, tp: Any, value: Any) -> Any:
    """`value` converted to the field type `tp`; ConfigError naming `where` and what was expected."""
    if is_name_or_count(tp):
        return value  # checked by its section
    base, optional = split_optional(tp)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where}: a value is required")
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [coerce(where, item, v) for v in value]
    if typing.get_origin(base) is typing.Literal:
        return str(value)  # checked against the names by check_fields
    try:
        return _scalar(base, value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{where}: expected {getattr(base, '__name__', base)}, got {value!r}") from None


def check_number(where: str, value: Any) -> None:
    """Floats finite and within float32's range, integers within int64's; ConfigError naming `where` otherwise."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    if isinstance(value, float) and abs(value) > FLOAT32_MAX:
        raise ConfigError(f"{where}: expected a number of magnitude at most {FLOAT32_MAX:.4g} (float32), got {value!r}")
    if isinstance(value, int) and not isinstance(value, bool) and not -INT64_MAX <= value <= INT64_MAX:
        raise ConfigError(f"{where}: expected an integer of magnitude below 2**63, got {value!r}")


def check_fields(section: Any, prefix: str) -> None:
    """Names in their Literal, numbers finite and in range: the checks every field of a section shares."""
    hints = typing.get_type_hints(type(section))
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        valid = choices(hints[f.name])
        if valid is not None and value is not None and value not in valid:
            raise ConfigError(f"{prefix}.{f.name}: unknown value {value!r}; expected one of {', '.join(valid)}")
        for item in value if isinstance(value, list) else [value]:
            check_number(f"{prefix}.{f.name}", item)


def check_positive(where: str, value: float | int | None, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise ConfigError(f"{where}: expected a positive number, got {value!r}")


def field_help(cls: type) -> dict[str, str]:
    """Help text of each field of a config dataclass, with the valid names of a choice it does not list itself."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        text = f.metadata.get("help", "")
        valid = choices(hints[f.name])
        if valid is not None and not all(name in text for name in valid):
            text = f"{text} (one of {', '.join(valid)})"
        out[f.name] = text
    return out
