"""One optimiser over K packed networks, holding the K pairs' optimiser states, and back.

Per-parameter states shaped like the parameter (Adam's moments) are stacked
on the pair axis (`PackedModule.pair_view`); scalar states (Adam's step) must
agree across the pairs and are shared. Adam is elementwise, and its only
non-elementwise input is the step count (bias correction), so one Adam over
the packed tensors makes, element by element, the update K separate Adams make.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ganfleet.models import PackedModule


def pack_optimizer(
    optimizers: Sequence[torch.optim.Optimizer], modules: Sequence[torch.nn.Module], packed: PackedModule
) -> torch.optim.Optimizer:
    """One optimiser of the same type and hyper-parameters over `packed`, holding the K optimisers' states.

    Per-parameter states shaped like the parameter (Adam's moments) are stacked;
    scalar states (Adam's step) must agree across the pairs and are shared.
    """
    groups = [o.param_groups for o in optimizers]
    hyper = [{k: v for k, v in g[0].items() if k != "params"} for g in groups]
    if any(len(g) != 1 for g in groups) or any(h != hyper[0] for h in hyper):
        raise ValueError("cannot pack optimisers with several parameter groups or different hyper-parameters")
    opt = type(optimizers[0])(packed.parameters(), **optimizers[0].defaults)
    opt.param_groups[0].update(hyper[0])
    params = [dict(m.named_parameters()) for m in modules]
    for name, tensor in packed.named_parameters():
        states = [o.state.get(p[name], {}) for o, p in zip(optimizers, params)]
        if not any(states):
            continue
        packed_state = {}
        for key, value in states[0].items():
            values = [s.get(key) for s in states]
            if any(v is None for v in values):
                raise ValueError(f"cannot pack optimiser state {name}.{key}: some pairs have none")
            if torch.is_tensor(value) and value.shape == params[0][name].shape:
                packed_state[key] = torch.empty_like(tensor)
                packed.pair_view(name, packed_state[key]).copy_(torch.stack(values))
            elif all(torch.equal(torch.as_tensor(v), torch.as_tensor(value)) for v in values):
                packed_state[key] = value.clone() if torch.is_tensor(value) else value
            else:
                raise ValueError(
                    f"cannot pack optimiser state {name}.{key}: the pairs differ (pairs at different steps?)"
                )
        opt.state[tensor] = packed_state
    return opt


def unpack_optimizer(
    opt: torch.optim.Optimizer,
    packed: PackedModule,
    optimizers: Sequence[torch.optim.Optimizer],
    modules: Sequence[torch.nn.Module],
) -> None:
    """Write the packed optimiser's states into the K optimisers (fresh tensors, each pair's own)."""
    for k, (o, m) in enumerate(zip(optimizers, modules, strict=True)):
        params = dict(m.named_parameters())
        for name, tensor in packed.named_parameters():
            state = opt.state.get(tensor)
            if not state:
                continue
            o.state[params[name]] = {
                key: (
                    packed.pair_view(name, v)[k].clone(memory_format=torch.contiguous_format)
                    if torch.is_tensor(v) and v.shape == tensor.shape and v.ndim > 0
                    else (v.clone() if torch.is_tensor(v) else v)
                )
                for key, v in state.items()
            }
