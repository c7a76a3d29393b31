"""SGAN's toy experiments (SGAN section 4.1, appendix A): mode coverage, quality and likelihood over iterations.

    python benchmarks/toy_modes.py            # ring8, grid25, swissroll; 6 min on 2 idle CPU cores
    python benchmarks/toy_modes.py --quick    # the same at a smoke-test size, about 1 min
    python benchmarks/toy_modes.py --mixtures ring8 --loss wgan-gp --locals 10 --iterations 2000

For each mixture, ordinary `ganfleet` runs (`ganfleet.train.train`, sampled
through `ganfleet.Fleet`) train on the same data, with the SGAN paper's MLPs
(4 layers of 512, LeakyReLU 0.01, noise 100, Adam beta 0.5/0.999), grown in
stages of `--eval-every` iterations (each stage resumes the run, which is exact):

- `standard`: one pair, one step per iteration;
- `standard xN`: one pair, N steps per iteration (as many updates as all the locals together);
- `locals`: the N local pairs of N-S-GAN (`--strategy sgan --locals N`), each
  on all data; reported as the mean over locals and as their ensemble (N/n samples each);
- `global (I_D=i)`: SGAN's global generator G_0, trained from the locals with
  messengers trained i steps per iteration; one SGAN run per value of
  `--messenger-steps` (its locals are the same pairs in every run: the global
  pair never changes them); `global (I_D=i, +D_0)` with `--g0-against
  messengers-and-d0`: G_0 trained against its messengers and D_0.

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

from ganfleet import Fleet
from ganfleet.config import DataConfig, RunConfig, apply_values
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.metrics.toy import cross_validated_bandwidth, kde_log_likelihood, mode_metrics
from ganfleet.train import train

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


def run_configs(args: argparse.Namespace, mixture: str, iteration: int) -> dict[str, RunConfig]:
    """The runs of one mixture at `iteration`: the standard pair, the pair updated N times as often,
    one SGAN run per I_D."""
    common = {
        "data.name": "toy",
        "data.mixture": mixture,
        "model.width": args.width,
        "loss.name": args.loss,
        "optim.lr_g": args.lr,
        "optim.lr_d": args.lr,
        "train.batch_size": args.batch_size,
        "train.seed": args.seed,
        "train.device": "cpu",
        "cadence.log_every": args.eval_every,
        "cadence.grid_every": 0,
        "cadence.checkpoint_every": 0,
    }
    root = Path(args.out) / mixture
    runs = {
        "standard": {"train.strategy": "gan", "budget.steps": iteration},
        f"standard x{args.locals}": {"train.strategy": "gan", "budget.steps": args.locals * iteration},
    }
    for i_d, against in global_runs(args):
        runs[global_name(i_d, against)] = {
            "train.strategy": "sgan",
            "sgan.locals": args.locals,
            "sgan.messenger_steps": i_d,
            "sgan.g0_against": against,
            "budget.steps": iteration,
        }
    return {
        name: apply_values(RunConfig(), {**common, **values, "out": str(root / name.replace(" ", "_"))})
        for name, values in runs.items()
    }


def score(samples: torch.Tensor, data: ClassPartitionedDataset, test: torch.Tensor) -> dict[str, float]:
    out = {"log_likelihood": kde_log_likelihood(test, samples, cross_validated_bandwidth(samples))}
    if data.mode_centers is not None:
        modes = mode_metrics(samples, data.mode_centers, data.mode_std, data.prior)
        out["modes"], out["high_quality"] = modes["modes_covered"], modes["high_quality_share"]
    return out


def mean_scores(scores: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(s[k] for s in scores) / len(scores) for k in scores[0]}


def global_runs(args: argparse.Namespace) -> list[tuple[int, str]]:
    """(I_D, sgan.g0_against) of each SGAN run."""
    return [(i_d, against) for against in args.g0_against for i_d in args.messenger_steps]


def global_name(messenger_steps: int, against: str) -> str:
    return f"global (I_D={messenger_steps}{', +D_0' if against == 'messengers-and-d0' else ''})"


def samples_of(configs: dict[str, RunConfig], n_locals: int, n: int, seed: int) -> dict[str, torch.Tensor]:
    """Every generator's samples of the same noise (the same seed), read from the runs' fleets."""
    samples = {}
    for name, config in configs.items():
        fleet = Fleet.load(config.out)
        samples[name] = fleet.sample(n, seed=seed)  # the gan pair, or SGAN's G_0 (the fleet's default member)
    sgan = Fleet.load(next(c for name, c in configs.items() if name.startswith("global")).out)
    samples["locals"] = torch.stack([sgan.sample(n, seed=seed, member=f"local-{k:02d}") for k in range(n_locals)])
    return samples


def train_mixture(
    args: argparse.Namespace, mixture: str
) -> tuple[dict[str, Curve], dict[str, torch.Tensor], ClassPartitionedDataset, float]:
    """Train every run of `mixture` in stages of `eval_every` iterations (each stage resumes the last, exactly).

    Returns the curves, the final samples, the data and the training seconds.
    """
    first = run_configs(args, mixture, args.eval_every)
    data = load_dataset(next(iter(first.values())).data)
    test = load_dataset(
        DataConfig(name="toy", mixture=mixture, split="test", toy_per_class=max(1, 2000 // data.n_classes))
    ).samples
    n = args.locals
    names = ["standard", f"standard x{n}", "locals (mean)", "locals (ensemble)"] + [
        global_name(i, against) for i, against in global_runs(args)
    ]
    curves = {name: Curve() for name in names}
    final: dict[str, torch.Tensor] = {}
    seconds = 0.0
    stages = sorted({*range(args.eval_every, args.iterations + 1, args.eval_every), args.iterations})
    for iteration in stages:
        configs = run_configs(args, mixture, iteration)
        start = time.perf_counter()
        for config in configs.values():
            train(config, resume=Path(config.out, "manifest.json").is_file(), progress=False, dataset=data)
        seconds += time.perf_counter() - start
        samples = samples_of(configs, n, args.samples, derive_eval_seed(args.seed))
        local_samples = list(samples["locals"])
        samples["locals (ensemble)"] = torch.cat(
            [x[i::n] for i, x in enumerate(local_samples)]
        )  # n/N samples from each local
        for name in names:
            if name != "locals (mean)":
                curves[name].add(iteration, score(samples[name], data, test))
        curves["locals (mean)"].add(iteration, mean_scores([score(x, data, test) for x in local_samples]))
        final = samples
        print(f"  {mixture} {iteration}/{args.iterations}  {seconds:.0f} s", flush=True)
    return curves, final, data, seconds


def derive_eval_seed(seed: int) -> int:
    """The sampling seed of every evaluation (fixed noise across iterations and generators)."""
    return 1_000_003 * (seed + 1)


def format_table(mixture: str, curves: dict[str, Curve], data: ClassPartitionedDataset, checkpoints: list[int]) -> str:
    k = data.n_classes if data.mode_centers is not None else None
    head = ["system"] + [
        f"{metric} @{it}" for it in checkpoints for metric in (("modes", "HQ", "LL") if k else ("LL",))
    ]
    lines = [
        f"### {mixture}" + (f" ({k} modes)" if k else ""),
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for name, curve in curves.items():
        cells = [name]
        for it in checkpoints:
            i = curve.iterations.index(it)
            if k:
                cells += [f"{curve.values['modes'][i]:.1f}/{k}", f"{curve.values['high_quality'][i]:.2f}"]
            cells.append(f"{curve.values['log_likelihood'][i]:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_samples(
    path: Path, mixture: str, final: dict[str, torch.Tensor], data: ClassPartitionedDataset, n: int
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("standard", final["standard"], None),
        (f"standard x{n}", final[f"standard x{n}"], None),
        (f"{n} locals", final["locals"].flatten(0, 1), torch.arange(n).repeat_interleave(final["locals"].shape[1])),
    ]
    panels += [(f"SGAN G_0, {name[8:-1]}", x, None) for name, x in final.items() if name.startswith("global")]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4.2), dpi=90)
    real = data.samples[torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:2000]]
    lim = float(real.abs().max()) * 1.4
    for ax, (title, x, colour) in zip(axes, panels):
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.8")
        ax.scatter(
            x[:, 0],
            x[:, 1],
            s=3,
            c=colour.numpy() if colour is not None else "tab:green",
            cmap="tab10" if colour is not None else None,
        )
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
    p.add_argument(
        "--loss", default="ns", help="the GAN variant: ns (vanilla GAN, paper figure 2), wgan-gp (figure 3), dragan"
    )
    p.add_argument(
        "--messenger-steps", default="1,5", help="I_D values, one SGAN run each (their locals are the same pairs)"
    )
    p.add_argument(
        "--g0-against",
        nargs="+",
        default=["messengers"],
        choices=["messengers", "messengers-and-d0"],
        help="what G_0 trains against (sgan.g0_against): one SGAN run per value and I_D",
    )
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
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out}: not empty; the runs are trained there in stages (choose a new --out)")
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
    print(
        f"\n{args.locals}-S-{args.loss}, lr {args.lr}, batch {args.batch_size}, hidden {round(512 * args.width)}; "
        "modes covered (20 % of a fair share within 3 std), HQ: share within 3 std of a centre, "
        "LL: test-set log-likelihood under a KDE of the samples (nats/point)\n"
    )
    print("\n\n".join(tables))
    print(f"\nplots and JSON in {out}")


if __name__ == "__main__":
    main()
