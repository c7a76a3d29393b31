"""Weak and strong scaling of class-parallel training over ranks (torchrun, gloo), as the paper's Figure 4.

    python benchmarks/scaling.py [--ranks 1,2] [--classes-per-rank 2] [--strong-classes 4] [--steps 60]
                                 [--width 0.25] [--threads-per-rank auto] [--repeat 1] [--out benchmarks/out/scaling]

Weak scaling: every rank gets `classes-per-rank` classes, so the work grows
with the ranks; ideal is a flat wall-clock, efficiency E(n) = T(1) / T(n).
Strong scaling: `strong-classes` classes in all, spread over n ranks; ideal is
T(1) / n, efficiency E(n) = T(1) / (n T(n)). Every run is a real
`torchrun --standalone --nproc-per-node n -m ganfleet train` on synthetic
32x32 images (640 per class, the paper's architecture at `width`, batch 64,
`steps` per pair, checkpoints only at the end). T ("train s") is the slowest
rank's wall-clock from telemetry.json less its setup (data, networks), so
interpreter and torchrun start-up and data loading are left out; the table also
gives the whole `train` call ("wall s") and launch-to-exit time. Each rank runs `threads-per-rank` intra-op threads:
1 by default, so a rank is one core as a process was one GPU in the paper
and adding ranks adds hardware; auto gives cores // n, so every run uses the
whole machine and the comparison is processes against threads. A run with
more threads than cores is marked oversubscribed.

The control ("independent s"): the same work as n plain single processes
started at once, each on its share of the classes, with no process group; on
a machine shared with other jobs, or with too little memory bandwidth for n
trainers, that is the best n ranks can do. "train / independent" near 1 means
the distributed machinery costs nothing on top of what the machine allows. With --repeat R the fastest of
R runs is kept. Writes scaling.md, scaling.json and scaling.png to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ganfleet.distributed.assign import assign_classes

REPO = Path(__file__).resolve().parents[1]
PER_CLASS, SIDE = 640, 32


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def synthetic_npz(path: Path, classes: int) -> Path:
    """`classes` classes of random 32x32 grey images (the model's cost does not depend on the pixels)."""
    rng = np.random.default_rng(0)
    np.savez(
        path,
        x=rng.integers(0, 256, (classes * PER_CLASS, SIDE, SIDE), dtype=np.uint8),
        y=np.repeat(np.arange(classes), PER_CLASS),
    )
    return path


def train_command(data: Path, out: Path, args: argparse.Namespace, *extra: str) -> list[str]:
    return [
        "-m",
        "ganfleet",
        "train",
        "--data",
        "npz",
        "--data-dir",
        str(data),
        "--arch",
        "paper",
        "--width",
        str(args.width),
        "--steps",
        str(args.steps),
        "--log-every",
        str(max(1, args.steps // 4)),
        "--grid-every",
        "0",
        "--checkpoint-every",
        "0",
        "--device",
        "cpu",
        "--quiet",
        "--out",
        str(out),
        *extra,
    ]


def environment(threads: int) -> dict[str, str]:
    return {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
    }


def train_seconds(out: Path) -> float:
    """The slowest rank's wall-clock less its setup, from a finished run's telemetry.json."""
    summary = json.loads((out / "telemetry.json").read_text())
    return max(r["wall_s"] - r["seconds"]["setup"] for r in summary["ranks"])


def run_once(ranks: int, classes: int, args: argparse.Namespace, work: Path) -> dict:
    """One torchrun job; returns its telemetry summary plus train and launch-to-exit seconds."""
    data = synthetic_npz(work / f"data-{classes}.npz", classes)
    out = work / f"run-{ranks}x{classes}"
    shutil.rmtree(out, ignore_errors=True)
    threads = threads_per_rank(ranks, args)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={ranks}",
        *train_command(data, out, args),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=environment(threads), cwd=REPO)
    launch_s = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"run with {ranks} rank(s), {classes} classes failed:\n{done.stderr[-3000:]}")
    summary = json.loads((out / "telemetry.json").read_text())
    train_s = train_seconds(out)
    shutil.rmtree(out, ignore_errors=True)
    return {**summary, "train_s": train_s, "launch_s": launch_s, "threads_per_rank": threads, "classes": classes}


def run_independent(ranks: int, classes: int, args: argparse.Namespace, work: Path) -> float:
    """The control: `ranks` plain single processes at once, each on its LPT share of the classes, no process group.

    What the machine gives n concurrent trainers; ganfleet's ranks can at best match it.
    """
    data = synthetic_npz(work / f"data-{classes}.npz", classes)
    shares = assign_classes([1.0] * classes, ranks)
    outs = [work / f"alone-{ranks}x{classes}-{r}" for r in range(ranks)]
    for out in outs:
        shutil.rmtree(out, ignore_errors=True)
    env = environment(threads_per_rank(ranks, args))
    # A session each, as torchrun gives its workers: with the kernel's autogroup scheduling a session is
    # what gets a fair share of a shared CPU, so this keeps the comparison fair.
    jobs = [
        subprocess.Popen(
            [sys.executable, *train_command(data, out, args, "--classes", ",".join(map(str, share)))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
        for out, share in zip(outs, shares)
    ]
    for job in jobs:
        _, err = job.communicate()
        if job.returncode != 0:
            raise SystemExit(f"independent run failed:\n{err[-3000:]}")
    seconds = max(train_seconds(out) for out in outs)
    for out in outs:
        shutil.rmtree(out, ignore_errors=True)
    return seconds


def threads_per_rank(ranks: int, args: argparse.Namespace) -> int:
    return max(1, cores() // ranks) if args.threads_per_rank == "auto" else int(args.threads_per_rank)


def measure(mode: str, ranks: list[int], args: argparse.Namespace, work: Path) -> list[dict]:
    rows = []
    for n in ranks:
        classes = args.classes_per_rank * n if mode == "weak" else args.strong_classes
        best = min((run_once(n, classes, args, work) for _ in range(args.repeat)), key=lambda r: r["train_s"])
        alone = min(run_independent(n, classes, args, work) for _ in range(args.repeat))
        rows.append(
            {
                "mode": mode,
                "ranks": n,
                **{
                    k: best[k]
                    for k in (
                        "classes",
                        "train_s",
                        "wall_s",
                        "launch_s",
                        "img_per_s",
                        "mean_idle_share",
                        "threads_per_rank",
                    )
                },
                "independent_s": alone,
                "oversubscribed": n * best["threads_per_rank"] > cores(),
            }
        )
        print(f"  {mode} {n} rank(s), {classes} classes: {best['train_s']:.1f} s", file=sys.stderr, flush=True)
    base = rows[0]["train_s"] * (rows[0]["ranks"] if mode == "strong" else 1)
    for row in rows:
        row["efficiency"] = base / row["train_s"] if mode == "weak" else base / (row["ranks"] * row["train_s"])
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| scaling | ranks | classes | threads/rank | train s | wall s | launch-to-exit s | img/s | mean idle % | "
        "efficiency | independent s | train / independent |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        note = " (oversubscribed)" if r["oversubscribed"] else ""
        lines.append(
            f"| {r['mode']} | {r['ranks']}{note} | {r['classes']} | {r['threads_per_rank']} | {r['train_s']:.1f} | "
            f"{r['wall_s']:.1f} | {r['launch_s']:.1f} | {r['img_per_s']:.0f} | {100 * r['mean_idle_share']:.1f} | "
            f"{r['efficiency']:.2f} | {r['independent_s']:.1f} | {r['train_s'] / r['independent_s']:.2f} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_eff) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=120)
    for (mode, marker), colour in zip((("weak", "o"), ("strong", "s")), ("tab:blue", "tab:orange")):
        part = [r for r in rows if r["mode"] == mode]
        n = [r["ranks"] for r in part]
        ax_time.plot(n, [r["train_s"] for r in part], marker=marker, color=colour, label=f"{mode} scaling")
        ax_time.plot(
            n, [r["independent_s"] for r in part], ls=":", color=colour, label=f"{mode}: independent processes"
        )
        ax_eff.plot(n, [r["efficiency"] for r in part], marker=marker, color=colour, label=f"{mode} scaling")
    for ax in (ax_time, ax_eff):
        ax.set_xlabel("ranks (processes)")
        ax.set_xticks(sorted({r["ranks"] for r in rows}))
        ax.legend(fontsize=7)
    ax_time.set_ylabel("training wall-clock (s)")
    ax_time.set_ylim(bottom=0)
    ax_eff.set_ylabel("efficiency")
    ax_eff.axhline(1.0, color="0.6", lw=0.8, ls="--")
    ax_eff.set_ylim(0, 1.2)
    fig.suptitle("class-parallel training on CPU (gloo)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--ranks", default="1,2", help="comma-separated rank counts, the first is the baseline (default 1,2)"
    )
    parser.add_argument("--classes-per-rank", type=int, default=2, help="weak scaling: classes per rank")
    parser.add_argument(
        "--strong-classes", type=int, default=4, help="strong scaling: classes in all (>= the most ranks)"
    )
    parser.add_argument("--steps", type=int, default=60, help="generator steps per pair")
    parser.add_argument("--width", type=float, default=0.25, help="model width (1.0 = the paper)")
    parser.add_argument(
        "--threads-per-rank",
        default="1",
        help="intra-op threads per rank (default 1: a rank is one core, as a process was one GPU in the paper), "
        "or auto = cores // ranks (every run uses the whole machine)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per point; the fastest is kept")
    parser.add_argument("--out", default="benchmarks/out/scaling", help="folder for scaling.md, .json, .png")
    args = parser.parse_args()
    ranks = [int(n) for n in args.ranks.split(",")]
    out = Path(args.out)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    rows = measure("weak", ranks, args, work) + measure("strong", ranks, args, work)
    shutil.rmtree(work, ignore_errors=True)
    header = (
        f"# scaling: {cores()} cores, torch.distributed gloo, paper arch width {args.width}, batch 64, 32x32x1, "
        f"{args.steps} steps per pair, weak {args.classes_per_rank} classes per rank, "
        f"strong {args.strong_classes} classes\n"
    )
    text = header + "\n" + table(rows) + "\n"
    print(text)
    (out / "scaling.md").write_text(text)
    (out / "scaling.json").write_text(json.dumps({"args": vars(args), "cores": cores(), "rows": rows}, indent=2) + "\n")
    plot(rows, out / "scaling.png")
    print(f"wrote {out / 'scaling.md'}, {out / 'scaling.json'}, {out / 'scaling.png'}")


if __name__ == "__main__":
    main()
