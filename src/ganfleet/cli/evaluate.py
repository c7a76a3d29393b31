"""The `classifier train` and `evaluate` subcommands.

ganfleet classifier train --data fashion-mnist --out classifiers/fm
ganfleet evaluate runs/fm --n 10000
ganfleet evaluate runs/fm --features inception --inception-weights pt_inception-2015-12-05-6726825d.pth
ganfleet evaluate --real-baseline --data fashion-mnist
ganfleet evaluate --samples export/ --data fashion-mnist          # any generator's npz or image folder
ganfleet evaluate --input1 a.npz --input2 b/ --data fashion-mnist  # two sets against each other
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganfleet.cli.flags import (
    DOMAIN_FLAGS,
    MAX_SAMPLES,
    SEED,
    add_flags,
    config_from_args,
    count,
    positive_number,
)
from ganfleet.config import DataConfig
from ganfleet.errors import EvaluationError


def _data_config(args: argparse.Namespace) -> DataConfig:
    return config_from_args(args, DOMAIN_FLAGS).data


def cmd_classifier_train(args: argparse.Namespace) -> int:
    from ganfleet.classifier import ClassifierTraining, load_classifier, shipped_for, smoke_caps, train_and_save
    from ganfleet.classifier.store import MANIFEST, cache_dir, domain_config
    from ganfleet.data import load_dataset

    data = _data_config(args)
    if data.name == "toy":
        raise EvaluationError("--data toy: toy points need no classifier (evaluate uses the mode centres)")
    settings = ClassifierTraining(epochs=args.epochs, fixed_steps=args.steps, width=args.width, seed=args.seed)
    if not settings.canonical and not args.out:
        raise EvaluationError(
            "classifier train: these settings are not the canonical recipe, so the classifier is only "
            "used when named (evaluate --classifier DIR); give --out DIR"
        )
    fingerprint = load_dataset(domain_config(data)).fingerprint()
    shipped = shipped_for(fingerprint)
    if shipped is not None and not args.out:
        print(
            f"{shipped}: the canonical classifier of this data ships with ganfleet; nothing to train "
            "(give --out DIR to train one of your own)"
        )
        return 0
    out = Path(args.out) if args.out else cache_dir(fingerprint)
    if (out / MANIFEST).is_file() and not args.force:
        stored = load_classifier(out, fingerprint, data)
        print(
            f"{out}: already holds a classifier of this data (recipe {stored.recipe_id}, test accuracy "
            f"{100 * stored.test_accuracy:.2f} %); --force retrains"
        )
        return 0
    stored = train_and_save(data, out, settings, progress=not args.quiet, caps=smoke_caps())
    m = stored.manifest
    kind = "canonical recipe" if settings.canonical else "recipe"
    print(
        f"classifier for {m['data']['source']}: train accuracy {100 * m['train_accuracy']:.2f} %, "
        f"test accuracy {100 * m['test_accuracy']:.2f} % ({m['steps']} steps, {m['seconds']:.0f} s, {kind} "
        f"{settings.recipe_id}, weights {stored.weights_sha256[:16]}) -> {out}"
    )
    return 0


def evaluate_external(args: argparse.Namespace, options) -> Path:
    """--samples PATH, or --input1 A --input2 B: any generator's samples against the test split, or each other."""
    from ganfleet.evaluation import compare_samples, evaluate_samples

    if args.run or args.real_baseline:
        raise EvaluationError(
            "--samples and --input1/--input2 evaluate files or folders: give no run directory or --real-baseline"
        )
    if getattr(args, "data.name") is None:
        raise EvaluationError(
            "give --data NAME: the real data whose test split (and canonical classifier) the samples are measured with"
        )
    if args.samples:
        if args.input1 or args.input2:
            raise EvaluationError("give either --samples PATH or --input1 A --input2 B, not both")
        return evaluate_samples(args.samples, _data_config(args), options, args.out)
    if not (args.input1 and args.input2):
        raise EvaluationError("a comparison needs both --input1 and --input2")
    return compare_samples(args.input1, args.input2, _data_config(args), options, args.out)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ganfleet import smoke
    from ganfleet.classifier import smoke_caps
    from ganfleet.devices import resolve_device
    from ganfleet.evaluation import EvalOptions, evaluate_real_baseline, evaluate_run

    resolve_device(args.device, "--device")
    options = EvalOptions(
        n=args.n,
        member=args.member,
        seed=args.seed,
        features=args.features,
        inception_weights=args.inception_weights,
        classifier=args.classifier,
        train_classifier=not args.no_train_classifier,
        metrics=[m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None,
        cas_n=args.cas_n,
        floor=not args.no_floor,
        batch_size=args.batch_size,
        device=args.device,
        progress=not args.quiet,
        ema=not args.no_ema,
        classifier_caps=smoke_caps(),
        force=args.force,
    ).capped(smoke.limit(smoke.SAMPLES))  # GANFLEET_SMOKE's caps, once
    if args.samples or args.input1 or args.input2:
        path = evaluate_external(args, options)
    elif args.real_baseline:
        if args.run:
            raise EvaluationError("--real-baseline evaluates the data alone: give --data, not a run directory")
        path = evaluate_real_baseline(_data_config(args), options, args.out)
    else:
        if not args.run:
            raise EvaluationError("evaluate: give a run directory (or --real-baseline --data NAME)")
        given = [flag for flag, key, _ in DOMAIN_FLAGS if getattr(args, key, None) is not None]
        if given:
            raise EvaluationError(
                f"{given[0]}: a run is measured against the data it was trained on (its config.json); for other "
                f"data, export its samples (ganfleet sample {args.run} --n 10000 --out x.npz) and give --samples"
            )
        path = evaluate_run(args.run, options, args.out)
    print((path.parent / "report.md").read_text())
    files = json.loads(path.read_text())["files"]
    print("wrote " + ", ".join(str(path.parent / f) for f in files.values()))
    return 0


FORCE_HELP = "write the reports into an --out folder that holds other files (never over one of them)"


def register(sub: argparse._SubParsersAction) -> None:
    """Add `classifier` and `evaluate` to the ganfleet parser."""
    register_classifier(sub)
    register_evaluate(sub)


def register_classifier(sub: argparse._SubParsersAction) -> None:
    from ganfleet.classifier.training import ClassifierTraining

    p = sub.add_parser(
        "classifier",
        help="train the domain classifier the metrics use",
        description="The domain classifier gives FID/KID/PR features, IS logits and the class metrics.",
    )
    csub = p.add_subparsers(dest="classifier_command", required=True, metavar="ACTION")
    t = csub.add_parser(
        "train",
        help="train on the whole train split, test on the test split, save",
        description="Train a small CNN on the data's whole train split; saved as safetensors + manifest "
        "(data fingerprint, recipe). With the default settings (the canonical recipe) it goes "
        "into the cache ($GANFLEET_CACHE, default ~/.cache/ganfleet), where evaluate finds it; "
        "other settings need --out and are used only by evaluate --classifier DIR. "
        "Fashion-MNIST's and digits' canonical classifiers ship with ganfleet.",
    )
    t.add_argument(
        "--out", help="folder to save it in (default: the cache entry of this data and the canonical recipe)"
    )
    t.add_argument(
        "--epochs",
        type=positive_number,
        default=ClassifierTraining.epochs,
        help=f"passes over the train split, at least {ClassifierTraining.min_steps} steps (default: %(default)s)",
    )
    t.add_argument("--steps", type=count(1), help="train exactly this many steps instead (overrides --epochs)")
    t.add_argument(
        "--width",
        type=count(1, 1024),
        default=ClassifierTraining.width,
        help="channels of the first conv block (default: %(default)s)",
    )
    t.add_argument(
        "--seed", type=SEED, default=0, help="seed of the initial weights, batch order and shifts (default: 0)"
    )
    t.add_argument("--force", action="store_true", help="retrain even if --out already holds this data's classifier")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    add_flags(t, DOMAIN_FLAGS, "data")
    t.set_defaults(func=cmd_classifier_train)


def register_evaluate(sub: argparse._SubParsersAction) -> None:
    from ganfleet.evaluation.extractors import EXTRACTORS
    from ganfleet.metrics import METRICS

    p = sub.add_parser(
        "evaluate",
        help="metrics of a fleet against the held-out test split",
        description="IS, FID, KID, precision/recall, density/coverage, class metrics, CAS (toy: modes, KDE) "
        "of a run's samples against its data's test split, next to the real-data floor. "
        "Writes metrics.json, report.md, samples.png (and curve.png after --eval-every).",
    )
    p.add_argument("run", nargs="?", help="run directory (written by train)")
    p.add_argument(
        "--samples",
        metavar="PATH",
        help="evaluate any generator's samples instead of a run: an .npz (x uint8 N,H,W[,C]; y optional) or "
        "an image folder of class subfolders (as `sample --per-class` writes). They are fitted to the test split "
        "of --data and measured like a fleet (writes PATH-eval/ unless --out).",
    )
    p.add_argument(
        "--input1",
        metavar="PATH",
        help="compare two sets (as torch-fidelity's --input1/--input2): PATH as generated "
        "(.npz, image folder or run directory), through the extractors of --data",
    )
    p.add_argument("--input2", metavar="PATH", help="the set --input1 is measured against, as real")
    p.add_argument(
        "--n",
        type=count(1, MAX_SAMPLES),
        help="generated samples (default 10000; with --real-baseline: the test split's size)",
    )
    p.add_argument(
        "--member",
        help="sample every image from this member's generator (e.g. global, sgan's conditional "
        "global generator); default: the fleet's own routing (label k to class k's pair)",
    )
    p.add_argument(
        "--seed", type=SEED, default=0, help="seed of the samples, the floor's train images, KID subsets and IS splits"
    )
    p.add_argument(
        "--features",
        choices=tuple(EXTRACTORS),
        default="classifier",
        help="features for FID/KID/PR and logits for IS: the domain classifier, or the FID Inception-v3 (needs its "
        "weights file)",
    )
    p.add_argument(
        "--inception-weights",
        help="pt_inception-2015-12-05-6726825d.pth (default: $GANFLEET_INCEPTION_WEIGHTS); never downloaded",
    )
    p.add_argument(
        "--classifier",
        help="domain classifier folder, of any recipe (default: the canonical classifier of the run's "
        "data: shipped with ganfleet for fashion-mnist and digits, else from the cache)",
    )
    p.add_argument(
        "--no-train-classifier",
        action="store_true",
        help="fail (with the command to run) instead of training a missing canonical classifier",
    )
    p.add_argument("--metrics", help=f"comma-separated subset of {','.join(METRICS)},cas (default: all that apply)")
    p.add_argument(
        "--cas-n",
        type=count(0, MAX_SAMPLES),
        metavar="N",
        help="CAS (classification accuracy score): train the classifier's recipe on N generated images, test on "
        "the real test split (default: as many as the train split has; 0: skip; conditional image fleets only)",
    )
    p.add_argument("--no-floor", action="store_true", help="skip the real-data floor (train images vs test)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument(
        "--real-baseline",
        action="store_true",
        help="evaluate the data itself: train split vs test split (needs --data)",
    )
    p.add_argument("--out", help="report folder (default: <run>/eval, or runs/real-baseline-<data>)")
    p.add_argument("--batch-size", type=count(1), default=500, help="images per feature-extraction batch")
    p.add_argument("--device", default="cpu", help="device for generators and feature extractors")
    p.add_argument(
        "--no-ema",
        action="store_true",
        help="the generators' raw weights instead of their moving averages "
        "(runs trained with ema.kimg > 0 keep both; older runs have only the raw ones)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_flags(p, DOMAIN_FLAGS, "data (with --real-baseline)")
    p.set_defaults(func=cmd_evaluate)
