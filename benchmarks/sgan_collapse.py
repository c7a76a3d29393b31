"""How far SGAN's global generator G_0 has collapsed, beside its own fleet and the real images.

    python benchmarks/sgan_collapse.py RUN [RUN ...]           # runs of --strategy sgan --split-by-class
    python benchmarks/sgan_collapse.py RUN --n 128 --seed 1

For every class k of each run, with the same noise for both generators:

- spread: the mean RMS distance between two samples of class k (0: one image repeated), of G_0(., k),
  of class pair k (the fleet's routing) and of class k's real test images;
- noise sensitivity: how much a sample moves per unit of noise, the RMS of G(z + eps u) - G(z)
  over eps, for random unit directions u (eps = 1, a tenth of a noise vector's length): 0 means
  the generator ignores its noise input.

Prints, per run, the means over classes and the class where G_0's spread is lowest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ganfleet import Fleet
from ganfleet.classifier.store import domain_config
from ganfleet.config.parse import load_config
from ganfleet.data import load_dataset, to_model_space
from ganfleet.latent import draw_noise

EPS = 1.0


def spread(x: torch.Tensor) -> float:
    """Mean RMS distance over every pair of rows of `x` (N, ...)."""
    flat = x.flatten(1).double()
    distances = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    n = len(flat)
    return float(distances.sum() / (n * (n - 1)))


def sensitivity(
    fleet: Fleet, z: torch.Tensor, samples: torch.Tensor, labels: torch.Tensor, member: str | None, seed: int
) -> float:
    """Mean RMS change of `samples` (of noise `z`) per unit of noise, along random unit directions."""
    u = torch.nn.functional.normalize(torch.randn(z.shape, generator=torch.Generator().manual_seed(seed)), dim=1)
    moved = fleet.generate(z + EPS * u, labels, member) - samples
    return float(moved.flatten(1).double().pow(2).mean(1).sqrt().mean() / EPS)


def measure(run: Path, n: int, seed: int) -> dict[str, list[float]]:
    """Per class: spread of G_0, of the class pair, of the real images; sensitivity of G_0 and of the pair."""
    fleet = Fleet.load(run)
    if "global" not in fleet.generators or not fleet.member_is_conditional("global"):
        raise SystemExit(f"{run}: not an sgan --split-by-class run (no conditional global member)")
    real = load_dataset(domain_config(load_config(run / "config.json").data, "test"))
    out: dict[str, list[float]] = {key: [] for key in ("g0", "pair", "real", "g0_sens", "pair_sens")}
    for k in range(fleet.n_classes):
        z, labels = draw_noise(n, fleet.spec.latent_dim, seed + k), torch.full((n,), k)
        g0, pair = fleet.generate(z, labels, "global"), fleet.generate(z, labels)
        out["g0"].append(spread(g0))
        out["pair"].append(spread(pair))
        out["real"].append(spread(to_model_space(real.class_samples(k)[:n])))
        out["g0_sens"].append(sensitivity(fleet, z, g0, labels, "global", seed + k))
        out["pair_sens"].append(sensitivity(fleet, z, pair, labels, None, seed + k))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="run directories of --strategy sgan --split-by-class")
    p.add_argument("--n", type=int, default=64, help="samples per class (default: 64)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    print(f"spread: mean RMS distance between two samples of a class; sensitivity: RMS move per unit of noise ({EPS=})")
    print("| run | spread G_0 | spread class pair | spread real | lowest G_0 spread | sens. G_0 | sens. class pair |")
    print("|---|---|---|---|---|---|---|")
    for run in args.runs:
        m = measure(run, args.n, args.seed)
        mean = {key: sum(values) / len(values) for key, values in m.items()}
        worst = min(range(len(m["g0"])), key=m["g0"].__getitem__)
        print(
            f"| {run} | {mean['g0']:.3f} | {mean['pair']:.3f} | {mean['real']:.3f} | class {worst}: "
            f"{m['g0'][worst]:.3f} | {mean['g0_sens']:.4f} | {mean['pair_sens']:.4f} |"
        )


if __name__ == "__main__":
    main()
