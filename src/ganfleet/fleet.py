"""The trained artifact: a run directory loaded as a set of generators that sample by label."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn as nn

from ganfleet.devices import resolve_device
from ganfleet.errors import CheckpointError
from ganfleet.latent import draw_noise
from ganfleet.models import ModelSpec, build_generator
from ganfleet.rundir import RunDir, load_generator_weights
from ganfleet.sampling import default_member, generate
from ganfleet.seeds import derive_seed
from ganfleet.strategies import Member

Prior = Literal["empirical", "uniform"]


class CheckpointedGenerators(Mapping[str, nn.Module]):
    """A run's generators by member name, each built and loaded from its pair's checkpoint on first access."""

    def __init__(self, run: RunDir, manifest: dict, device: torch.device, ema: bool) -> None:
        self.run, self.device, self.ema = run, device, ema
        self.spec = ModelSpec.from_dict(manifest["model"])
        self.n_classes = len(manifest["data"]["class_names"])
        self.conditional = {m["name"]: bool(m["conditional"]) for m in manifest["members"]}
        self.loaded: dict[str, tuple[nn.Module, int, bool]] = {}
        self.steps = _Field(self, 1)
        self.averaged = _Field(self, 2)

    def __getitem__(self, name: str) -> nn.Module:
        return self.entry(name)[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self.conditional)

    def __len__(self) -> int:
        return len(self.conditional)

    def __contains__(self, name: object) -> bool:  # without reading the checkpoint (Mapping's would)
        return name in self.conditional

    def entry(self, name: str) -> tuple[nn.Module, int, bool]:
        """(generator, step, whether it is the EMA) of member `name`, read from its checkpoint the first time."""
        if name not in self.loaded:
            if name not in self.conditional:
                raise KeyError(name)
            with torch.random.fork_rng(devices=[]):  # building draws initial weights: leave the caller's RNG alone
                g = build_generator(self.spec.conditional(self.n_classes) if self.conditional[name] else self.spec)
            weights, step, averaged = load_generator_weights(self.run.pair_dir(name), self.ema)
            try:
                g.load_state_dict(weights)
            except RuntimeError as exc:
                raise CheckpointError(
                    f"{self.run.pair_dir(name)}: generator weights do not match the manifest's model ({exc})"
                ) from None
            self.loaded[name] = (g.to(self.device).eval(), step, averaged)
        return self.loaded[name]


class _Field(Mapping[str, Any]):
    """One column (step, or whether EMA) of `CheckpointedGenerators`' entries, as a mapping by member name."""

    def __init__(self, source: CheckpointedGenerators, column: int) -> None:
        self.source, self.column = source, column

    def __getitem__(self, name: str) -> Any:
        return self.source.entry(name)[self.column]

    def __iter__(self) -> Iterator[str]:
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)


class Fleet:
    """Generators of one run, with the class names and class prior they were trained on.

    `sample(n)` draws labels from the class prior p(y) (the training data's
    class frequencies, or uniform) and calls the generator of each label.
    """

    def __init__(
        self,
        manifest: dict,
        generators: Mapping[str, nn.Module],
        steps: Mapping[str, int],
        device: torch.device,
        averaged: Mapping[str, bool] | None = None,
    ) -> None:
        self.manifest = manifest
        self.generators = generators
        self.device = device
        self._steps = steps
        self._averaged = averaged
        self.members = [
            Member(m["name"], m["label"], m["conditional"], tuple(m["classes"]))
            for m in manifest["members"]
            if m["name"] in generators
        ]
        self.spec = ModelSpec.from_dict(manifest["model"])

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu", ema: bool = True) -> Fleet:
        """The generators of `path`'s manifest, each rebuilt from its newest valid checkpoint (no code is unpickled).

        Lazily: a generator is read when it is first used (`sample` of one
        class reads that class's pair only), so loading a fleet of thousands
        of pairs costs one manifest read. `ema`: each generator's moving
        average where its run kept one (the default; runs from before EMA have
        none), else its raw weights.
        """
        run = RunDir(path)
        manifest = run.read_manifest()
        generators = CheckpointedGenerators(run, manifest, resolve_device(str(device), "device"), ema)
        return cls(manifest, generators, generators.steps, generators.device, generators.averaged)

    @property
    def steps(self) -> dict[str, int]:
        """Each member's training step (reads every generator not read yet)."""
        return dict(self._steps)

    @property
    def averaged(self) -> dict[str, bool]:
        """Whether each member's generator is its EMA (reads every generator not read yet)."""
        return dict(self._averaged) if self._averaged is not None else dict.fromkeys(self.generators, False)

    # ------------------------------------------------------------------ description

    @property
    def strategy(self) -> str:
        return self.manifest["strategy"]

    @property
    def class_names(self) -> list[str]:
        return list(self.manifest["data"]["class_names"])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def prior(self) -> list[float]:
        return list(self.manifest["data"]["prior"])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return self.spec.sample_shape

    @property
    def is_conditional(self) -> bool:
        """Whether the fleet's samples (its default routing) can be asked for by label.

        `member_is_conditional(name)` answers for one member.
        """
        return self.member_is_conditional(None)

    def member_is_conditional(self, member: str | None = None) -> bool:
        """Whether samples of `member` (default routing if None) can be asked for by label."""
        name = member if member is not None else default_member(self.members)
        if name is None:
            return True
        return self._member(name).conditional

    def _member(self, name: str) -> Member:
        for m in self.members:
            if m.name == name:
                return m
        raise CheckpointError(f"fleet has no member {name!r}; members are {', '.join(m.name for m in self.members)}")

    # ------------------------------------------------------------------ sampling

    def draw_labels(self, n: int, seed: int | None = None, prior: Prior = "empirical") -> torch.Tensor:
        """n labels drawn from the class prior (empirical class frequencies, or uniform)."""
        if prior not in ("empirical", "uniform"):
            raise ValueError(f"prior must be 'empirical' or 'uniform', got {prior!r}")
        weights = torch.tensor(self.prior if prior == "empirical" else [1.0] * self.n_classes, dtype=torch.float64)
        g = torch.Generator().manual_seed(seed if seed is not None else torch.seed())
        return torch.multinomial(weights, n, replacement=True, generator=g)

    def sample(
        self,
        n: int,
        labels: torch.Tensor | list[int] | None = None,
        seed: int | None = None,
        member: str | None = None,
        prior: Prior = "empirical",
        batch_size: int = 1024,
        truncation: float | None = None,
    ) -> torch.Tensor:
        """n samples (N, C, H, W) in [-1, 1] (points (N, D) for toy data), on the CPU.

        labels: one per sample, or None to draw them from `prior`. member: a
        generator to use for every sample (e.g. "global"); None routes by label.
        The same seed gives the same samples whatever the batch size; given
        labels, sample i depends only on (seed, i, labels[i]). truncation: the
        truncation trick, noise redrawn until every value is within [-t, t]
        (`ganfleet.latent.draw_noise`).
        """
        seed = seed if seed is not None else torch.seed()
        z = draw_noise(n, self.spec.latent_dim, seed, truncation)
        if labels is None and self.member_is_conditional(member):
            labels = self.draw_labels(n, seed=derive_seed(seed, "labels"), prior=prior)
        return self.generate(z, labels, member, batch_size)

    def _nonfinite_line(
        self, x: torch.Tensor, rows: torch.Tensor, labels: torch.Tensor | None, member: str | None
    ) -> str:
        """Which generator made a non-finite sample (a NaN from finite weights: overflow in a diverged net)."""
        bad = int(rows[~torch.isfinite(x.flatten(1)).all(1)][0])
        label = int(labels[bad]) if labels is not None else None
        who = member or next((m.name for m in self.members if label is not None and m.label == label), None)
        return f"{who or 'the generator'}: made non-finite values (sample {bad}); its weights are unusable"

    def generate(
        self,
        z: torch.Tensor,
        labels: torch.Tensor | list[int] | None = None,
        member: str | None = None,
        batch_size: int = 1024,
    ) -> torch.Tensor:
        """The samples of given noise `z` (N, latent_dim) and labels (one per row; None for an unconditional fleet), on
        the CPU.
        """
        n = len(z)
        conditional = self.member_is_conditional(member)
        if labels is not None:
            if not conditional:
                raise ValueError(
                    "this fleet's generator is unconditional: it cannot sample by label (pass labels=None)"
                )
            labels = torch.as_tensor(labels, dtype=torch.int64).reshape(-1)
            if len(labels) != n:
                raise ValueError(f"got {len(labels)} labels for n={n} samples")
            if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= self.n_classes):
                raise ValueError(f"labels must be in 0..{self.n_classes - 1}")
        elif conditional:
            raise ValueError("this fleet's generators are asked by label: give one label per noise vector")
        # batches of samples sorted by label: a fleet of K generators runs each about n / batch_size times, not K times
        # per batch
        order = torch.argsort(labels, stable=True) if labels is not None else torch.arange(n)
        out: torch.Tensor | None = None
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            yb = labels[rows].to(self.device) if labels is not None else None
            x = generate(self.generators, self.members, z[rows].to(self.device), yb, member).cpu()
            if not torch.isfinite(x).all():
                raise CheckpointError(self._nonfinite_line(x, rows, labels, member))
            if out is None:
                out = torch.empty((n, *x.shape[1:]), dtype=x.dtype)
            out[rows] = x
        return out if out is not None else torch.empty((0, *self.sample_shape))
