"""The `sample` and `report` subcommands: pictures, arrays and image folders from a trained fleet.

ganfleet sample runs/fm --n 100 --out runs/grid.png              # labels from the class prior, rows named by class
ganfleet sample runs/fm --labels 3,3,7 --out runs/samples.npz    # arrays x (uint8 N,H,W[,C]) and y
ganfleet sample runs/fm --per-class 1000 --out runs/export/      # one PNG folder per class (ImageFolder layout)
ganfleet sample runs/fm --interpolate 10 --out runs/walks.png    # a latent walk per class
ganfleet sample runs/fm --n 64 --truncation 1.0 --out runs/t.png # the truncation trick
ganfleet report runs/fm                                          # report.md with samples, losses, curves
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganfleet import smoke
from ganfleet.cli.flags import MAX_SAMPLES, SEED, count, positive_number
from ganfleet.data.dataset import to_uint8
from ganfleet.data.npz import write_npz
from ganfleet.devices import resolve_device
from ganfleet.errors import GanfleetError
from ganfleet.fleet import Fleet
from ganfleet.grids import class_rows, display_scale, make_grid, save_png, save_scatter
from ganfleet.latent import draw_noise, latent_walk
from ganfleet.rundir import claim_output_file, claim_output_folder
from ganfleet.seeds import derive_seed

WALKS_UNCONDITIONAL = 8  # rows of walks for a fleet that is not asked by label


def parse_labels(text: str, fleet_classes: list[str]) -> list[int]:
    labels = []
    for part in text.split(","):
        part = part.strip()
        if part.lstrip("-").isdigit():
            labels.append(int(part))
        elif part in fleet_classes:
            labels.append(fleet_classes.index(part))
        else:
            raise GanfleetError(
                f"--labels: {part!r} is neither a class index nor a class name ({', '.join(fleet_classes)})"
            )
    return labels


def class_folder_names(class_names: list[str]) -> list[str]:
    """'3-Dress' (of 10 classes; '03-Dress' of 11 to 100): the index first, so sorted names (ImageFolder's order) are
    the class order.
    """
    width = len(str(len(class_names) - 1))
    return [
        f"{k:0{width}d}-{re.sub(r'[^A-Za-z0-9._-]+', '-', name).strip('-') or 'class'}"
        for k, name in enumerate(class_names)
    ]


EXPORT_MANIFEST = "samples.json"  # what an image-folder export holds beside its class folders
EXPORT_FORMAT = "ganfleet-export-1"  # its "format": a user's own samples.json is never taken for ganfleet's


def is_export_folder(path: Path) -> bool:
    """Whether `path` holds an image-folder export ganfleet wrote (its samples.json says so and counts folders)."""
    try:
        manifest = json.loads((path / EXPORT_MANIFEST).read_text())
    except (OSError, ValueError, RecursionError):
        return False
    if not isinstance(manifest, dict):
        return False
    return manifest.get("format") == EXPORT_FORMAT and isinstance(manifest.get("counts"), dict)


def remove_export(path: Path) -> None:
    """Delete the images an earlier export listed in `path` (PNG files only, inside `path`), and its manifest."""
    counts = json.loads((path / EXPORT_MANIFEST).read_text())["counts"]
    for folder, listed in counts.items():
        if not isinstance(folder, str) or "/" in folder or folder in ("", ".", "..") or not isinstance(listed, int):
            continue
        if (path / folder).is_symlink():  # never delete through a link out of the export
            continue
        for index in range(listed):
            image = path / folder / f"{index:05d}.png"
            if image.is_file() and not image.is_symlink():
                image.unlink()
        if (path / folder).is_dir() and not any((path / folder).iterdir()):
            (path / folder).rmdir()
    (path / EXPORT_MANIFEST).unlink()


def write_image_folder(out: Path, x: torch.Tensor, labels: list[int], fleet: Fleet, provenance: dict) -> None:
    """One subfolder of PNGs per class (`00000.png`, ...) and samples.json saying where they came from."""
    if x.ndim != 4:
        raise GanfleetError(
            f"--out {out}/: an image folder needs images; this fleet makes {x.shape[1]}-D points (use .npz)"
        )
    images = to_uint8(x).permute(0, 2, 3, 1).numpy()
    folders = class_folder_names(fleet.class_names)
    counts: dict[int, int] = {}
    for image, label in zip(images, labels):
        folder = out / folders[label]
        folder.mkdir(parents=True, exist_ok=True)
        index = counts.get(label, 0)
        pil_image(image).save(folder / f"{index:05d}.png")
        counts[label] = index + 1
    manifest = {
        "format": EXPORT_FORMAT,
        **provenance,
        "class_names": fleet.class_names,
        "folders": folders,
        "counts": {folders[k]: v for k, v in sorted(counts.items())},
    }
    (out / EXPORT_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def pil_image(image: np.ndarray) -> Image.Image:
    """A uint8 (H, W, C) array as a PIL image: mode L for one channel, RGB for three."""
    return Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)


def save_npz(out: Path, x: torch.Tensor, y: np.ndarray, class_names: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if x.ndim == 4:
        write_npz(out, to_uint8(x), y, class_names)
    else:
        np.savez_compressed(out, x=x.numpy(), y=y, class_names=np.array(class_names))


def save_picture(out: Path, x: torch.Tensor, labels: list[int] | None, fleet: Fleet, ncol: int) -> None:
    """A grid with each class starting a row named by the class (unlabelled for an unconditional fleet); toy points: a
    scatter.
    """
    if x.ndim != 4:
        save_scatter(x, torch.as_tensor(labels) if labels is not None else None, out)
        return
    names = None
    if labels is not None:
        x, names = class_rows(x, labels, fleet.class_names, ncol)
    save_png(make_grid(x, ncol), out, scale=display_scale(x.shape[-1]), row_names=names)


def choose_labels(args: argparse.Namespace, fleet: Fleet) -> tuple[int, list[int] | None]:
    """How many samples and their labels (grouped by class), from --labels, --per-class or --n with the prior."""
    conditional = fleet.member_is_conditional(args.member)
    if args.labels is not None and not args.labels.strip(" ,"):
        raise GanfleetError("--labels: empty; give class indices or names, e.g. --labels 3,3,7")
    if (args.labels or args.per_class) and not conditional:
        raise GanfleetError(
            "sample: this fleet's generator is unconditional; --labels and --per-class need one asked by label"
        )
    if args.labels:
        labels = parse_labels(args.labels, fleet.class_names)
        return len(labels), labels
    if args.per_class:
        per_class = args.per_class
        return per_class * fleet.n_classes, [k for k in range(fleet.n_classes) for _ in range(per_class)]
    if not conditional:
        return args.n, None
    return args.n, fleet.draw_labels(args.n, seed=args.seed, prior=args.prior).sort().values.tolist()


def walks(args: argparse.Namespace, fleet: Fleet) -> tuple[torch.Tensor, list[int] | None]:
    """--interpolate STEPS: one walk of STEPS samples per class (or WALKS_UNCONDITIONAL walks), between two seeded
    noises.
    """
    conditional = fleet.member_is_conditional(args.member)
    rows = fleet.n_classes if conditional else WALKS_UNCONDITIONAL
    ends = [
        draw_noise(rows, fleet.spec.latent_dim, derive_seed(args.seed, "walk", end), args.truncation)
        for end in ("a", "b")
    ]
    z = latent_walk(ends[0], ends[1], args.interpolate)
    labels = [k for k in range(rows) for _ in range(args.interpolate)] if conditional else None
    return fleet.generate(z, labels, args.member), labels


def cmd_sample(args: argparse.Namespace) -> int:
    if args.per_class and not (args.labels or args.interpolate):  # the options' one cap under GANFLEET_SMOKE
        args.per_class = smoke.cap(args.per_class, smoke.limit(smoke.SAMPLES // 20), "--per-class")
    out = Path(args.out)
    folder = args.out.endswith("/") or out.suffix == "" or out.is_dir()
    fleet = Fleet.load(args.run, device=resolve_device(args.device, "--device"), ema=not args.no_ema)
    if folder:
        names = [*class_folder_names(fleet.class_names), EXPORT_MANIFEST]
        if claim_output_folder(out, names, is_export_folder, args.force):
            remove_export(out)  # ganfleet's earlier export here: its files go, none of another's
    elif out.suffix in (".npz", ".png"):
        claim_output_file(out, args.force)
    try:
        if args.interpolate:
            x, labels = walks(args, fleet)
            ncol = args.interpolate
        else:
            n, labels = choose_labels(args, fleet)
            x = fleet.sample(
                n, labels=labels, seed=args.seed, member=args.member, prior=args.prior, truncation=args.truncation
            )
            ncol = args.columns or (args.per_class if args.per_class else max(1, round(n**0.5)))
    except (ValueError, KeyError) as exc:
        raise GanfleetError(f"sample: {exc}") from None
    if folder:
        if labels is None:
            raise GanfleetError(
                f"--out {args.out}: an image folder has one subfolder per class; this fleet is unconditional (use "
                ".npz or .png)"
            )
        write_image_folder(
            out,
            x,
            labels,
            fleet,
            {
                "run": str(args.run),
                "seed": args.seed,
                "truncation": args.truncation,
                "member": args.member,
                "steps": fleet.steps,
            },
        )
    elif out.suffix == ".npz":
        save_npz(out, x, np.asarray(labels if labels is not None else [-1] * len(x), dtype=np.int64), fleet.class_names)
    elif out.suffix == ".png":
        save_picture(out, x, labels, fleet, ncol)
    else:
        raise GanfleetError(
            f"--out {out}: expected a .png (grid), a .npz (arrays x, y) or a folder DIR/ (one subfolder of PNGs per "
            "class)"
        )
    print(f"wrote {len(x)} samples -> {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ganfleet.report import write_run_report

    report = write_run_report(args.run, args.out, seed=args.seed, force=args.force)
    print(f"wrote {report} (and its PNGs beside it)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add sample and report to the ganfleet parser."""
    p = sub.add_parser(
        "sample",
        help="draw samples from a trained fleet: a grid, arrays or an image folder",
        description="Draw samples; labels come from the class prior unless given. --out picks the format: "
        "NAME.png a grid (each class starting a row named by the class), NAME.npz arrays x "
        "(uint8 N,H,W[,C]) and y, DIR/ one subfolder of PNGs per class ('0-T-shirt-top', ...: "
        "sorted names are the class order, as torchvision's ImageFolder reads them).",
    )
    p.add_argument("run", help="run directory (written by train)")
    p.add_argument(
        "--n",
        type=count(1, MAX_SAMPLES),
        default=64,
        help="number of samples (ignored with --labels, --per-class, --interpolate)",
    )
    p.add_argument("--labels", help="comma-separated class indices or names, one per sample")
    p.add_argument(
        "--per-class",
        type=count(1, MAX_SAMPLES),
        metavar="N",
        help="N samples of every class (e.g. a training set to export)",
    )
    p.add_argument(
        "--interpolate",
        type=count(2, 1000),
        metavar="STEPS",
        help="latent walks instead: per class, STEPS samples along the great circle between two noise vectors",
    )
    p.add_argument(
        "--truncation",
        type=positive_number,
        metavar="T",
        help="truncation trick: redraw noise values outside [-T, T] (smaller T: more typical, less varied samples)",
    )
    p.add_argument(
        "--out",
        required=True,
        help="NAME.png (grid), NAME.npz (arrays x, y) or DIR/ (image folder, one subfolder per class)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --out file, or export into a folder of other files (never over one of them)",
    )
    p.add_argument("--seed", type=SEED, default=0, help="seed for noise and labels")
    p.add_argument(
        "--prior", choices=("empirical", "uniform"), default="empirical", help="class prior labels are drawn from"
    )
    p.add_argument("--member", help="use this member's generator for every sample (e.g. global)")
    p.add_argument(
        "--columns", type=count(1), help="grid columns (default: square grid; --per-class N: N; --interpolate: STEPS)"
    )
    p.add_argument("--device", default="cpu", help="device to run the generators on")
    p.add_argument(
        "--no-ema",
        action="store_true",
        help="the generators' raw weights instead of their moving averages (the default where the run kept them)",
    )
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser(
        "report",
        help="a Markdown report of a run: samples, losses per pair, FID curve and per-class FID",
        description="Writes report.md with samples.png (labelled rows), losses.png (each pair's D and G loss), "
        "curve.png (after --eval-every) and fid_per_class.png (after ganfleet evaluate), "
        "and the training time and images over every session.",
    )
    p.add_argument("run", help="run directory (written by train)")
    p.add_argument("--out", help="folder for report.md and its PNGs (default: the run directory)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the samples shown")
    p.add_argument(
        "--force", action="store_true", help="write into an --out folder that holds other files (never over one)"
    )
    p.set_defaults(func=cmd_report)
