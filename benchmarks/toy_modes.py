"""SGAN's toy experiments (SGAN section 4.1, appendix A): mode coverage, quality and likelihood over iterations.

    python benchmarks/toy_modes.py            # ring8, grid25, swissroll; 6 min on 2 idle CPU cores
    python benchmarks/toy_modes.py --quick    # the same at a smoke-test size, about 1 min
    python benchmarks/toy_modes.py --mixtures ring8 --loss wgan-gp --locals 10 --iterations 2000

For each mixture, four generators train side by side on the same data, with
the SGAN paper's MLPs (4 layers of 512, LeakyReLU 0.01, noise 100, Adam
beta 0.5/0.999):

- `standard`: one pair, one step per iteration;
- `standard xN`: one pair, N steps per iteration (as many updates as all the locals together);
- `locals`: the N local pairs of N-S-GAN (`--strategy sgan --locals N`), each
  on all data; reported as the mean over locals and as their ensemble (N/n samples each);
- `global (I_D=i)`: SGAN's global generator G_0, trained from the locals with
  messengers trained i steps per iteration; one global pair per value of
  `--messenger-steps`, all from the same locals (they never change them).

Every `--eval-every` iterations each generator draws `--samples` points from
fixed noise; `ganfleet.metrics.toy` gives modes covered (of K; 20 % of a fair
share within 3 std), the high-quality share (within 3 std of a centre) and the
KDE log-likelihood of the mixture's test split (bandwidth cross-validated on the
samples, as the paper). The Swiss roll has no modes: likelihood only.

Prints one Markdown table per mixture, writes `toy_modes.json`, scatter plots
`<mixture>-samples.png` (samples over the real points, mode centres as crosses)
and `<mixture>-curves.png` (metrics over iterations) to `--out`.
To fit a CPU budget the defaults differ from the paper's: 128 hidden units
(`--width 1` for 512), Adam lr 1e-3 (the paper's is 1e-5), 1,000 iterations, and
the vanilla GAN (ns) loss of its section 4.1 / figure 2 (figure 3 uses WGAN-GP:
`--loss wgan-gp`, about 3x slower). I_D is 1 for ns in Algorithm 1 (the loss's
n_critic); 5 is shown beside it because it changes the outcome.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn

from ganfleet.config import DataConfig, RunConfig, apply_values
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.metrics.toy import cross_validated_bandwidth, kde_log_likelihood, mode_metrics
from ganfleet.strategies.sgan import SganStrategy
from ganfleet.pairs import make_pair
from ganfleet.pairs import step_rule
from ganfleet.pairs import Member, StepRule, adversarial_step
from ganfleet.seeds import derive_seed

CPU = torch.device("cpu")
METRICS = ("modes", "high_quality", "log_likelihood")


@dataclass
class Curve:
    """Metric values of one generator (or group) at each evaluated iteration."""

    iterations: list[int] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})

    def add(self, iteration: int, metrics: dict[str, float]) -> None:
        self.iterations.append(iteration)
        for key in METRICS:
            self.values[key].append(metrics.get(key, float("nan")))


def run_config(args: argparse.Namespace, mixture: str) -> RunConfig:
    return apply_values(RunConfig(), {
        "data.name": "toy", "data.mixture": mixture, "model.width": args.width,
        "train.strategy": "sgan", "sgan.locals": args.locals, "loss.name": args.loss,
        "optim.lr_g": args.lr, "optim.lr_d": args.lr, "train.batch_size": args.batch_size,
        "budget.steps": args.iterations, "train.seed": args.seed, "train.device": "cpu",
    })


@torch.no_grad()
def draw(generator: nn.Module, z: torch.Tensor) -> torch.Tensor:
    generator.eval()
    try:
        return generator(z)
    finally:
        generator.train()


def score(samples: torch.Tensor, data: ClassPartitionedDataset, test: torch.Tensor) -> dict[str, float]:
    out = {"log_likelihood": kde_log_likelihood(test, samples, cross_validated_bandwidth(samples))}
    if data.mode_centers is not None:
        modes = mode_metrics(samples, data.mode_centers, data.mode_std, data.prior)
        out["modes"], out["high_quality"] = modes["modes_covered"], modes["high_quality_share"]
    return out


def mean_scores(scores: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(s[k] for s in scores) / len(scores) for k in scores[0]}


def global_name(messenger_steps: int) -> str:
    return f"global (I_D={messenger_steps})"


def train_mixture(args: argparse.Namespace, mixture: str) -> tuple[dict[str, Curve], dict[str, torch.Tensor], ClassPartitionedDataset, float]:
    """Train the four systems on `mixture`; returns their curves, final samples, the data and seconds."""
    config = run_config(args, mixture)
    data = load_dataset(config.data)
    test = load_dataset(DataConfig(name="toy", mixture=mixture, split="test", toy_per_class=max(1, 2000 // data.n_classes))).samples
    rule: StepRule = step_rule(config)
    everything = tuple(range(data.n_classes))
    n = args.locals
    standard = make_pair(config, data, Member("standard", None, False, everything), CPU)
    frequent = make_pair(config, data, Member(f"standard-x{n}", None, False, everything), CPU)
    # One set of local pairs, one global pair per I_D: the global pairs never
    # change the locals, so they can share them (same initialisation and seeds).
    strategies = {i_d: SganStrategy(n_locals=n, messenger_steps=i_d) for i_d in args.messenger_steps}
    members = [strategy.members(data) for strategy in strategies.values()][0]  # each strategy counts its members
    local_pairs = [make_pair(config, data, m, CPU) for m in members[1:]]
    globals_ = {i_d: make_pair(config, data, members[0], CPU) for i_d in strategies}
    for i_d, strategy in strategies.items():
        strategy.prepare([globals_[i_d]] + local_pairs, rule)

    z = torch.randn(args.samples, config.model.latent_dim, generator=torch.Generator().manual_seed(derive_seed(args.seed, "eval")))
    names = ["standard", f"standard x{n}", "locals (mean)", "locals (ensemble)"] + [global_name(i) for i in strategies]
    curves = {name: Curve() for name in names}
    final: dict[str, torch.Tensor] = {}
    start = time.perf_counter()
    for iteration in range(1, args.iterations + 1):
        adversarial_step(standard, rule)
        for _ in range(n):
            adversarial_step(frequent, rule)
        for pair in local_pairs:
            adversarial_step(pair, rule)
        for strategy in strategies.values():
            strategy.global_step(rule)
        if iteration % args.eval_every and iteration != args.iterations:
            continue
        local_samples = [draw(p.generator, z) for p in local_pairs]
        ensemble = torch.cat([s[i::n] for i, s in enumerate(local_samples)])  # n/N samples from each local
        samples = {"standard": draw(standard.generator, z), f"standard x{n}": draw(frequent.generator, z),
                   "locals (ensemble)": ensemble}
        samples.update({global_name(i): draw(g.generator, z) for i, g in globals_.items()})
        for name, x in samples.items():
            curves[name].add(iteration, score(x, data, test))
        curves["locals (mean)"].add(iteration, mean_scores([score(x, data, test) for x in local_samples]))
        final = {**samples, "locals": torch.stack(local_samples)}
        print(f"  {mixture} {iteration}/{args.iterations}  {time.perf_counter() - start:.0f} s", flush=True)
    return curves, final, data, time.perf_counter() - start


def format_table(mixture: str, curves: dict[str, Curve], data: ClassPartitionedDataset, checkpoints: list[int]) -> str:
    k = data.n_classes if data.mode_centers is not None else None
    head = ["system"] + [f"{metric} @{it}" for it in checkpoints for metric in (("modes", "HQ", "LL") if k else ("LL",))]
    lines = [f"### {mixture}" + (f" ({k} modes)" if k else ""), "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, curve in curves.items():
        cells = [name]
        for it in checkpoints:
            i = curve.iterations.index(it)
            if k:
                cells += [f"{curve.values['modes'][i]:.1f}/{k}", f"{curve.values['high_quality'][i]:.2f}"]
            cells.append(f"{curve.values['log_likelihood'][i]:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_samples(path: Path, mixture: str, final: dict[str, torch.Tensor], data: ClassPartitionedDataset, n: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("standard", final["standard"], None), (f"standard x{n}", final[f"standard x{n}"], None),
              (f"{n} locals", final["locals"].flatten(0, 1), torch.arange(n).repeat_interleave(final["locals"].shape[1]))]
    panels += [(f"SGAN G_0, {name[8:-1]}", x, None) for name, x in final.items() if name.startswith("global")]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4.2), dpi=90)
    real = data.samples[torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:2000]]
    lim = float(real.abs().max()) * 1.4
    for ax, (title, x, colour) in zip(axes, panels):
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.8")
        ax.scatter(x[:, 0], x[:, 1], s=3, c=colour.numpy() if colour is not None else "tab:green", cmap="tab10" if colour is not None else None)
        if data.mode_centers is not None:
            ax.scatter(data.mode_centers[:, 0], data.mode_centers[:, 1], marker="x", c="k", s=30)
        ax.set(title=f"{mixture}: {title}", xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_curves(path: Path, mixture: str, curves: dict[str, Curve], has_modes: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = METRICS if has_modes else ("log_likelihood",)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.8), dpi=90, squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for name, curve in curves.items():
            ax.plot(curve.iterations, curve.values[metric], label=name, lw=2 if name.startswith("global") else 1)
        ax.set(title=f"{mixture}: {metric.replace('_', ' ')}", xlabel="iteration")
        if metric == "log_likelihood":
            ax.set_yscale("symlog")  # early values are thousands of nats below the late ones
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mixtures", default="ring8,grid25,swissroll", help="comma-separated toy mixtures")
    p.add_argument("--locals", type=int, default=5, help="N, local pairs of N-S-GAN (the paper uses 5 and 10)")
    p.add_argument("--loss", default="ns", help="the GAN variant: ns (vanilla GAN, paper figure 2), wgan-gp (figure 3), dragan")
    p.add_argument("--messenger-steps", default="1,5", help="I_D values, one global pair each (trained from the same locals)")
    p.add_argument("--iterations", type=int, default=1000)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (the paper's is 1e-5)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--width", type=float, default=0.25, help="hidden units / 512 (the paper's: 1)")
    p.add_argument("--samples", type=int, default=1000, help="samples per generator per evaluation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--out", default="runs/toy_modes", help="folder for the JSON and PNG files")
    p.add_argument("--quick", action="store_true", help="smoke size: 60 iterations, 2 locals, 400 samples")
    args = p.parse_args(argv)
    args.messenger_steps = [int(v) for v in args.messenger_steps.split(",")]
    if args.quick:
        args.iterations, args.eval_every, args.locals, args.samples = 60, 20, 2, 400
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoints = sorted({args.iterations // 4, args.iterations // 2, args.iterations} - {0})
    report: dict = {"settings": vars(args), "mixtures": {}}
    tables = []
    for mixture in args.mixtures.split(","):
        curves, final, data, seconds = train_mixture(args, mixture)
        evaluated = curves["standard"].iterations
        shown = [min(evaluated, key=lambda it: abs(it - c)) for c in checkpoints]
        tables.append(format_table(mixture, curves, data, sorted(set(shown))))
        report["mixtures"][mixture] = {"seconds": seconds, "curves": {k: vars(c) for k, c in curves.items()}}
        plot_samples(out / f"{mixture}-samples.png", mixture, final, data, args.locals)
        plot_curves(out / f"{mixture}-curves.png", mixture, curves, data.mode_centers is not None)
    (out / "toy_modes.json").write_text(json.dumps(report, indent=1))
    print(f"\n{args.locals}-S-{args.loss}, lr {args.lr}, batch {args.batch_size}, hidden {round(512 * args.width)}; "
          "modes covered (20 % of a fair share within 3 std), HQ: share within 3 std of a centre, "
          "LL: test-set log-likelihood under a KDE of the samples (nats/point)\n")
    print("\n\n".join(tables))
    print(f"\nplots and JSON in {out}")


if __name__ == "__main__":
    main()
