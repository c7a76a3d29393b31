"""Weight sharing among SGAN's local pairs (the paper's N-SW variant, section 4 and appendix B.1).

The paper shares "approximately half of the parameters" among the local
generators and among the local discriminators, reasoning that low-level
features "such as edges" can be learned jointly; it does not list the layers.
We share the layers nearest the data: the generator's last layers and the
discriminator's first ones, taking layers from the data side for as long as
that brings the shared fraction of parameters closer to one half (never all of
them). For the toy MLPs (512 units) that is the last two generator layers (46 %)
and the first two discriminator layers (50 %). In the DC-GAN nets the layers
near the data are small: the generator's input Linear holds 79 % of its
parameters at 32 px (94 % at 64 px), so everything after it is shared, 21 %
(6 %); the discriminator shares its first three convolutions, 24 %. Sharing
more would share the high-level layers the paper keeps separate.

A shared layer is one module object in every local network, so each network
(and so each pair's checkpoint) is still complete and loads into a standalone
generator. Each local pair keeps its own Adam state for the shared layers and
steps them in its own `adversarial_step`: a shared layer is updated once per
local pair per iteration.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from ganfleet.pairs import Pair


def layers_with_parameters(module: nn.Module) -> list[str]:
    """Names of the submodules that own parameters, in registration (= forward) order."""
    return [name for name, m in module.named_modules() if name and any(True for _ in m.parameters(recurse=False))]


def own_parameter_count(module: nn.Module, name: str) -> int:
    return sum(p.numel() for p in module.get_submodule(name).parameters(recurse=False))


def data_side_half(module: nn.Module, from_output: bool) -> list[str]:
    """The layers nearest the data whose parameters come closest to half of `module`'s.

    `from_output`: the data side is the output (a generator) rather than the input (a discriminator).
    """
    names = layers_with_parameters(module)
    if from_output:
        names.reverse()
    total = sum(p.numel() for p in module.parameters())
    best, best_gap, running = 1, float("inf"), 0
    for k, name in enumerate(names[:-1], start=1):  # never all layers: the networks would be one
        running += own_parameter_count(module, name)
        gap = abs(running - total / 2)
        if gap < best_gap:
            best, best_gap = k, gap
    return names[:best]


def share_layers(modules: Sequence[nn.Module], names: Sequence[str]) -> None:
    """Make `modules[1:]` use `modules[0]`'s submodules `names` (one module object, shared)."""
    first = modules[0]
    for module in modules[1:]:
        for name in names:
            module.set_submodule(name, first.get_submodule(name))


def _rebuilt(optimizer: torch.optim.Optimizer, module: nn.Module) -> torch.optim.Optimizer:
    """An optimiser of the same kind over `module`'s current parameters, with `optimizer`'s state.

    State is indexed by parameter position, which sharing does not change, so
    each local keeps its own moments (restored ones included) for its layers.
    """
    rebuilt = type(optimizer)(module.parameters(), **optimizer.defaults)
    rebuilt.load_state_dict(optimizer.state_dict())
    return rebuilt


def share_local_weights(pairs: Sequence[Pair]) -> tuple[float, float]:
    """Tie the data-side half of the local generators and of the local discriminators to the first pair's.

    Returns the shared fraction of a generator's and of a discriminator's parameters.
    """
    first = pairs[0]
    g_names = data_side_half(first.generator, from_output=True)
    d_names = data_side_half(first.discriminator, from_output=False)
    share_layers([p.generator for p in pairs], g_names)
    share_layers([p.discriminator for p in pairs], d_names)
    for pair in pairs:
        assert pair.opt_g is not None and pair.opt_d is not None  # pairs that train have their optimisers
        pair.opt_g = _rebuilt(pair.opt_g, pair.generator)
        pair.opt_d = _rebuilt(pair.opt_d, pair.discriminator)
    return (shared_fraction(first.generator, g_names), shared_fraction(first.discriminator, d_names))


def shared_fraction(module: nn.Module, names: Sequence[str]) -> float:
    return sum(own_parameter_count(module, n) for n in names) / sum(p.numel() for p in module.parameters())
