"""How labels enter the networks, shared by the conv nets and the MLPs.

Generator: the one-hot label is concatenated to the noise (the paper's DC-CGAN,
Table 3: 100 + 10 = 110 inputs). Discriminator: projection (Miyato & Koyama,
2018): logit = linear(h) + <embed(y), h> on the final features h, so the
conditional discriminator keeps the unconditional one's layers.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def with_one_hot(z: torch.Tensor, labels: torch.Tensor | None, n_classes: int) -> torch.Tensor:
    """Noise with the one-hot label appended (unchanged for an unconditional generator)."""
    if not n_classes:
        return z
    if labels is None:
        raise ValueError("this generator is conditional: pass labels")
    return torch.cat([z, F.one_hot(labels, n_classes).to(z.dtype)], dim=1)


class ProjectionCritic(nn.Module):
    """A conv discriminator's end: its trunk `blocks` (set by the subclass),
    then `set_head`'s linear `head` and projection `embed`.

    Subclasses build `blocks` and call `set_head`; the packed counterpart
    (`dcgan.PackedConvDiscriminator`) reads these three names.
    """

    blocks: nn.Module

    def set_head(self, n_features: int, n_classes: int) -> None:
        self.n_features = n_features
        self.head = nn.Linear(n_features, 1)
        self.n_classes = n_classes
        self.embed = nn.Embedding(n_classes, n_features) if n_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return projection_logit(self.blocks(x).flatten(1), self.head, self.embed, labels)


def projection_logit(
    h: torch.Tensor, head: nn.Linear, embed: nn.Embedding | None, labels: torch.Tensor | None
) -> torch.Tensor:
    """linear(h) (+ <embed(y), h> for a conditional discriminator), one logit per row."""
    out = head(h).squeeze(1)
    if embed is None:
        return out
    if labels is None:
        raise ValueError("this discriminator is conditional: pass labels")
    return out + (embed(labels) * h).sum(dim=1)


# A conditional warm start (`shared.conditional`): a class pair starts as the conditional pair with its label
# fixed, folded into the weights of an unconditional pair of the same architecture.

Weights = dict[str, torch.Tensor]


def fold_generator_label(state: Weights, target: Weights, label: int) -> Weights:
    """The unconditional generator `target` (a state dict, for its keys and shapes) as the conditional generator
    `state` with `label` fixed: the one layer that takes noise and one-hot keeps its noise columns, and the
    label's column joins its bias. Exact: z -> the same image."""
    out: Weights = {}
    for key, like in target.items():
        value = state[key]
        if value.shape != like.shape:  # the first layer's weight, (out, latent + K)
            latent = like.shape[1]
            bias = key.removesuffix("weight") + "bias"
            out[bias] = state[bias] + value[:, latent + label]
            value = value[:, :latent]
        out.setdefault(key, value.clone())
    return out


def effective_weight(state: Weights, layer: str) -> torch.Tensor:
    """Layer `layer`'s weight as its forward in eval mode uses it: divided by its spectral norm's estimate
    (u^T W v, torch's stored vectors) when the state holds one."""
    if f"{layer}.weight" in state:
        return state[f"{layer}.weight"]
    norm = f"{layer}.parametrizations.weight"
    weight, u, v = state[f"{norm}.original"], state[f"{norm}.0._u"], state[f"{norm}.0._v"]
    return weight / torch.dot(u, weight.reshape(weight.shape[0], -1) @ v)


def fold_discriminator_label(state: Weights, label: int) -> Weights:
    """The projection discriminator `state` with `label` fixed, as an unconditional one: the label's embedding
    joins the head, logit = <w + e_y, h> + b. Exact without spectral norm; with it, the head keeps that direction
    and its norm rescales it to length 1 at the first step (its vectors are set to it)."""
    out = {key: value.clone() for key, value in state.items() if not key.startswith("embed.")}
    head = effective_weight(state, "head") + effective_weight(state, "embed")[label]
    if "head.weight" in state:
        out["head.weight"] = head
    else:
        norm = "head.parametrizations.weight"
        out[f"{norm}.original"] = head
        out[f"{norm}.0._u"] = torch.ones(1, dtype=head.dtype)
        out[f"{norm}.0._v"] = head[0] / head[0].norm()
    return out


def fold_adam_state(state: dict, target: list[torch.Tensor]) -> dict:
    """A conditional network's Adam state for its fold into the unconditional parameters `target` (in order):
    the first layer's moments keep their noise columns; the projection embedding's (a last parameter the target
    lacks) are dropped."""
    moments = {}
    for index, parameter in enumerate(target):
        if index not in state["state"]:
            continue
        moments[index] = {name: fitted(value, parameter).clone() for name, value in state["state"][index].items()}
        shapes = {tuple(m.shape) for m in moments[index].values() if m.ndim}
        if shapes - {tuple(parameter.shape)}:  # Adam would take a moment of another parameter without a word
            raise ValueError(
                f"Adam state {index}: moments of shape {sorted(shapes)} for a parameter of shape "
                f"{tuple(parameter.shape)}"
            )
    groups = [{**group, "params": list(range(len(target)))} for group in state["param_groups"]]
    return {"state": moments, "param_groups": groups}


def fitted(moment: torch.Tensor, parameter: torch.Tensor) -> torch.Tensor:
    """An Adam moment cut to its parameter's shape (a first layer's noise columns); a scalar step as it is."""
    return moment[:, : parameter.shape[1]] if moment.ndim == 2 and moment.shape != parameter.shape else moment
