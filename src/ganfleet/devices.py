"""Which torch device a run uses: names checked when a config is read, availability when a command runs."""

from __future__ import annotations

import torch

from ganfleet.errors import ConfigError

DEVICE_TYPES = ("cpu", "cuda", "mps")


def parse_device(name: str, where: str = "train.device") -> torch.device | None:
    """The device `name` names (None for auto); ConfigError for anything but cpu, cuda, cuda:N, mps or auto."""
    if name == "auto":
        return None
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        device = None
    if device is None or device.type not in DEVICE_TYPES:
        raise ConfigError(f"{where}: unknown device {name!r}; expected cpu, cuda, cuda:N or auto")
    return device


def resolve_device(name: str, where: str = "train.device") -> torch.device:
    """`auto` -> cuda when available, else cpu; any other name must be available here (ConfigError otherwise)."""
    device = parse_device(name, where)
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            why = "this torch is built without CUDA" if torch.version.cuda is None else "no GPU is visible"
            raise ConfigError(f"{where}={name}: CUDA is not available ({why}); use cpu or auto")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"{where}={name}: only {torch.cuda.device_count()} GPU(s) are visible")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"{where}={name}: the MPS backend is not available on this machine; use cpu or auto")
    return device
