"""The malformed inputs of the fault suite: each builds its files under a fresh folder and gives the command line
and what its one error line must name (the file or the key).

    FLAG_CASES     train flags and --set / --config values
    FILE_CASES     builders: run folders, data files, image folders, manifests, sample and evaluate bounds
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from tests.faults.conftest import FaultEnv, tiny_train_args

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
)

# (id, train flags after the tiny run's, what the error line names)
FLAG_CASES: list[tuple[str, list[str], str]] = [
    ("epochs-nan", ["--epochs", "nan"], "budget.epochs"),
    ("epochs-inf", ["--epochs", "inf"], "budget.epochs"),
    ("epochs-huge", ["--epochs", "1e39"], "budget.epochs"),
    ("lr-g-nan", ["--lr-g", "nan"], "optim.lr_g"),
    ("lr-d-inf", ["--lr-d", "inf"], "optim.lr_d"),
    ("lr-d-beyond-float32", ["--lr-d", "1e300"], "optim.lr_d"),
    ("steps-zero", ["--steps", "0"], "budget.steps"),
    ("steps-negative", ["--steps", "-3"], "budget.steps"),
    ("steps-not-a-number", ["--steps", "abc"], "--steps"),
    ("batch-size-zero", ["--batch-size", "0"], "train.batch_size"),
    ("seed-beyond-int64", ["--seed", str(2**70)], "train.seed"),
    ("width-zero", ["--width", "0"], "model.width"),
    ("image-size-not-power-of-two", ["--image-size", "48"], "data.image_size"),
    ("image-size-huge", ["--image-size", str(2**20)], "data.image_size"),  # asked for 24 TB
    ("width-huge", ["--width", "1000"], "model.width"),  # asked for 590 GB
    ("latent-huge", ["--set", "model.latent_dim=1000000000"], "model.latent_dim"),
    ("batch-size-huge", ["--batch-size", str(10**12)], "train.batch_size"),
    ("toy-points-huge", ["--set", "data.toy_per_class=100000000000"], "data.toy_per_class"),
    ("device-bogus", ["--device", "bogus"], "train.device"),
    ("device-cuda-index-bogus", ["--device", "cuda:x"], "train.device"),
    ("strategy-unknown", ["--strategy", "bogus"], "train.strategy"),
    ("loss-unknown", ["--loss", "bogus"], "loss.name"),
    ("pack-bogus", ["--pack", "many"], "train.pack"),
    ("d-width-factor-zero", ["--d-width-factor", "0"], "model.d_width_factor"),
    ("d-width-factor-huge", ["--d-width-factor", "1000"], "model.d_width_factor"),
    ("shared-kimg-negative", ["--shared-kimg", "-1"], "shared.kimg"),
    ("shared-kimg-too-long", ["--shared-kimg", "100000", "--steps", "2"], "shared.kimg"),
    ("shared-kimg-without-class-pairs", ["--shared-kimg", "1", "--strategy", "cgan"], "shared.kimg"),
    ("shared-optimizer-bogus", ["--shared-optimizer", "keep"], "shared.optimizer"),
    ("freeze-d-negative", ["--freeze-d", "-1", "--shared-kimg", "0.01"], "shared.freeze_d"),
    ("freeze-d-without-warm-start", ["--freeze-d", "2"], "shared.freeze_d"),
    ("freeze-d-every-layer", ["--freeze-d", "5", "--shared-kimg", "0.01"], "shared.freeze_d"),
    ("conditional-warm-start-without-one", ["--conditional-warm-start"], "shared.conditional"),
    (
        "conditional-warm-start-spectral-norm-both",
        ["--conditional-warm-start", "--shared-kimg", "0.01", "--spectral-norm", "both"],
        "shared.conditional",
    ),
    ("freeze-d-word", ["--freeze-d", "two", "--shared-kimg", "0.01"], "freeze"),
    ("budget-classes-on-a-fresh-run", ["--set", "budget.classes=[1]"], "budget.classes"),
    ("classes-repeated", ["--classes", "0,0"], "data.classes"),
    ("out-empty", ["--out", ""], "out"),
    ("nproc-zero", ["--nproc", "0"], "--nproc"),
    ("nproc-negative", ["--nproc", "-2"], "--nproc"),
    ("nproc-beyond-cores", ["--nproc", "4096"], "--nproc"),
    ("max-restarts-negative", ["--max-restarts", "-1"], "--max-restarts"),
    ("set-invalid-yaml", ["--set", "data.classes=[0,1"], "--set data.classes"),
    ("set-yaml-nan", ["--set", "optim.lr_g=.nan"], "optim.lr_g"),
    ("set-unknown-key", ["--set", "budget.hours=3"], "budget.hours"),
    ("set-unknown-section", ["--set", "nosuch.key=3"], "nosuch"),
    ("set-a-section", ["--set", "budget=3"], "budget"),
    ("set-without-equals", ["--set", "budget.steps"], "--set"),
    ("set-billion-laughs", ["--set", "data.classes=" + BILLION_LAUGHS], "--set data.classes"),
    ("set-recursive-alias", ["--set", "data.classes=&a [*a]"], "--set data.classes"),
    ("set-wrong-type", ["--set", "budget.steps=[1, 2]"], "budget.steps"),
    ("set-mapping-for-int", ["--set", "budget.steps={a: 1}"], "budget.steps"),
]


def yaml_file(text: str | bytes, name: str = "c.yaml") -> Callable[[Path, FaultEnv], tuple[list[str], str]]:
    """A --config file case with this content."""

    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        path = tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return [*tiny_train_args(env.npz, tmp / "out"), "--config", str(path)], str(path)

    return build


def foreign_folder(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    out = tmp / "mine"
    (out / "grids").mkdir(parents=True)
    for name, text in {
        "config.json": "{}",
        "progress.json": "{}",
        "telemetry.json": "{}",
        "metrics.jsonl": "{}\n",
        ".draft.tmp-42": "draft",
        "grids/final.png": "png",
    }.items():
        (out / name).write_text(text)
    return tiny_train_args(env.npz, out), str(out)


def foreign_folder_forced(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    argv, where = foreign_folder(tmp, env)
    return [*argv, "--force"], where


def foreign_manifest(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    out = tmp / "other"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"name": "not ganfleet's"}))
    return tiny_train_args(env.npz, out), str(out)


def out_is_a_file(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    (tmp / "notes.txt").write_text("mine")
    return tiny_train_args(env.npz, tmp / "notes.txt"), str(tmp / "notes.txt")


def out_under_a_file(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    (tmp / "notes.txt").write_text("mine")
    return tiny_train_args(env.npz, tmp / "notes.txt" / "run"), str(tmp / "notes.txt" / "run")


def existing_run_without_resume(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    run = env.run_copy(tmp)
    return tiny_train_args(env.npz, run, "--steps", "4"), str(run)


def config_fifo(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    """A named pipe where config.json was: reading it would block for ever."""
    import os

    run = env.run_copy(tmp)
    (run / "config.json").unlink()
    os.mkfifo(run / "config.json")
    return ["report", str(run)], "config.json: not a regular file"


def pair_folder_linked_outside(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    """A pair folder that is a link to a folder outside the run: training would write there."""
    from tests.faults.conftest import MEMBERS

    run = env.run_copy(tmp)
    outside = tmp / "outside"
    (run / "pairs" / MEMBERS[1]).rename(outside)
    (run / "pairs" / MEMBERS[1]).symlink_to(outside)
    return tiny_train_args(env.npz, run, "--steps", "12", "--resume"), "a link out of the run folder"


def every_checkpoint_corrupt(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    """Every checkpoint of one pair truncated: resuming must not train that pair again from scratch."""
    from tests.faults.conftest import MEMBERS

    run = env.run_copy(tmp)
    for path in (run / "pairs" / MEMBERS[2]).glob("step-*.safetensors"):
        path.write_bytes(path.read_bytes()[:100])
    return tiny_train_args(env.npz, run, "--steps", "12", "--resume"), "checkpoint(s) is valid (the oldest: "


def resume_nothing(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    return tiny_train_args(env.npz, tmp / "none", "--resume"), str(tmp / "none")


def resume_changed_settings(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    run = env.run_copy(tmp)
    return tiny_train_args(env.npz, run, "--steps", "6", "--lr-g", "5e-4", "--resume"), "optim.lr_g"


def resume_while_another_writes(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    import os
    import socket

    run = env.run_copy(tmp)
    (run / ".ganfleet.lock").write_text(
        json.dumps(
            {
                "format": "ganfleet-lock-1",
                "pid": os.getppid(),
                "host": socket.gethostname(),
                "started": "2024-01-01T00:00:00",
            }
        )
    )
    return tiny_train_args(env.npz, run, "--steps", "6", "--resume"), f"pid {os.getppid()}"


def resume_other_width(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    from tests.faults.conftest import MEMBERS

    run = env.run_copy(tmp)
    wide = tmp / "wide"
    from ganfleet.cli import main

    assert main(tiny_train_args(env.npz, wide, "--steps", "9", "--width", "0.25")) == 0
    pair = run / "pairs" / MEMBERS[1]  # the newest checkpoint there now: the same pair and step, another width
    shutil.copy(wide / "pairs" / MEMBERS[1] / "step-00000009.safetensors", pair / "step-00000009.safetensors")
    shutil.rmtree(wide)
    return tiny_train_args(env.npz, run, "--steps", "12", "--resume"), str(pair)


def npz_case(**arrays: np.ndarray) -> Callable[[Path, FaultEnv], tuple[list[str], str]]:
    """train on an .npz holding these arrays."""

    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        path = tmp / "data.npz"
        np.savez(path, **arrays)
        return tiny_train_args(path, tmp / "out"), str(path)

    return build


def npz_bytes(content: bytes) -> Callable[[Path, FaultEnv], tuple[list[str], str]]:
    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        path = tmp / "data.npz"
        path.write_bytes(content)
        return tiny_train_args(path, tmp / "out"), str(path)

    return build


def npz_missing(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    return tiny_train_args(tmp / "nowhere.npz", tmp / "out"), str(tmp / "nowhere.npz")


def image_bytes(fmt: str, size: int = 32, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (size, size), 128).save(buffer, fmt)
    return buffer.getvalue()


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 32 32\nnewpath 0 0 moveto 32 32 lineto stroke\nshowpage\n%%EOF\n"


def image_folder(bad_name: str, content: bytes) -> Callable[[Path, FaultEnv], tuple[list[str], str]]:
    """train on a folder of two classes of good PNGs, one class also holding `bad_name` with `content`."""

    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        root = tmp / "images"
        for label in ("a", "b"):
            (root / label).mkdir(parents=True)
            for i in range(3):
                (root / label / f"{i}.png").write_bytes(image_bytes("PNG"))
        (root / "b" / bad_name).write_bytes(content)
        argv = [a if a != "npz" else "imagefolder" for a in tiny_train_args(root, tmp / "out")]
        return argv, str(root / "b" / bad_name)

    return build


def no_class_folders(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    (tmp / "images").mkdir()
    (tmp / "images" / "loose.png").write_bytes(image_bytes("PNG"))
    return [a if a != "npz" else "imagefolder" for a in tiny_train_args(tmp / "images", tmp / "out")], str(
        tmp / "images"
    )


def idx_truncated(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    import gzip

    images = tmp / "train-images-idx3-ubyte.gz"
    with gzip.open(images, "wb") as f:
        f.write((0x803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (10, 28, 28)) + bytes(100))
    with gzip.open(tmp / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write((0x801).to_bytes(4, "big") + (10).to_bytes(4, "big") + bytes(10))
    argv = [a if a != "npz" else "mnist" for a in tiny_train_args(tmp, tmp / "out")]
    return argv, str(images)


def manifest_case(
    change: Callable[[dict], object], expect: str = "manifest.json", command: tuple[str, ...] = ("sample",)
) -> Callable[[Path, FaultEnv], tuple[list[str], str]]:
    """`ganfleet sample` (or `command`) on a copy of the tiny run whose manifest `change` edited."""

    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        run = env.run_copy(tmp)
        manifest = json.loads((run / "manifest.json").read_text())
        replaced = change(manifest)
        text = replaced if isinstance(replaced, (str, bytes)) else json.dumps(manifest)
        (run / "manifest.json").write_bytes(text if isinstance(text, bytes) else text.encode())
        tail = ["--out", str(tmp / "s.png")] if command[0] == "sample" else ["--no-floor", "--n", "20"]
        return [*command, str(run), *tail], expect

    return build


def sample_case(*flags: str, expect: str) -> Callable[[Path, FaultEnv], tuple[list[str], str]]:
    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        run = env.run_copy(tmp)
        out = [] if "--out" in flags else ["--out", str(tmp / "s.png")]
        return ["sample", str(run), *out, *flags], expect

    return build


def evaluate_case(*flags: str, expect: str) -> Callable[[Path, FaultEnv], tuple[list[str], str]]:
    def build(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
        run = env.run_copy(tmp)
        return ["evaluate", str(run), "--out", str(tmp / "eval"), "--no-train-classifier", *flags], expect

    return build


def set_member(index: int, **values: object) -> Callable[[dict], None]:
    def change(manifest: dict) -> None:
        manifest["members"][index].update(values)

    return change


def _parent(manifest: dict, key: str) -> tuple[dict | list, str | int]:
    """The container of a dotted key (`members.0.conditional`) and the last part of it."""
    *parents, last = key.split(".")
    node: dict | list = manifest
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]  # type: ignore[index]
    return node, int(last) if last.isdigit() else last


def drop(key: str) -> Callable[[dict], None]:
    """Remove a (dotted) key of the manifest."""

    def change(manifest: dict) -> None:
        node, last = _parent(manifest, key)
        del node[last]  # type: ignore[arg-type]

    return change


def put(key: str, value: object) -> Callable[[dict], None]:
    """Set a (dotted) key of the manifest."""

    def change(manifest: dict) -> None:
        node, last = _parent(manifest, key)
        node[last] = value  # type: ignore[index]

    return change


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def manifest_bad_for_resume(tmp: Path, env: FaultEnv) -> tuple[list[str], str]:
    run = env.run_copy(tmp)
    manifest = json.loads((run / "manifest.json").read_text())
    del manifest["members"]
    (run / "manifest.json").write_text(json.dumps(manifest))
    return tiny_train_args(env.npz, run, "--steps", "6", "--resume"), "'members'"


ZERO = np.zeros((4, 32, 32), np.uint8)
LABELS = np.array([0, 0, 1, 1])

FILE_CASES: dict[str, Callable[[Path, FaultEnv], tuple[list[str], str]]] = {
    # run folders
    "out-foreign-folder": foreign_folder,
    "out-foreign-folder-forced-onto-its-files": foreign_folder_forced,
    "out-foreign-manifest": foreign_manifest,
    "out-is-a-file": out_is_a_file,
    "out-under-a-file": out_under_a_file,
    "out-existing-run-without-resume": existing_run_without_resume,
    "resume-nothing": resume_nothing,
    "config-is-a-fifo": config_fifo,
    "pair-folder-linked-outside": pair_folder_linked_outside,
    "every-checkpoint-of-a-pair-corrupt": every_checkpoint_corrupt,
    "resume-changed-settings": resume_changed_settings,
    "resume-while-another-process-writes": resume_while_another_writes,
    "resume-checkpoint-of-another-width": resume_other_width,
    # --config files
    "config-missing": lambda tmp, env: (
        [*tiny_train_args(env.npz, tmp / "out"), "--config", str(tmp / "no.yaml")],
        str(tmp / "no.yaml"),
    ),
    "config-invalid-yaml": yaml_file("budget: {steps: 3\n"),
    "config-not-utf8": yaml_file(b"budget:\n  steps: 3 # \xff\xfe caf\xe9\n"),
    "config-billion-laughs": yaml_file(BILLION_LAUGHS),
    "config-recursive-alias": yaml_file("data: &a\n  x: *a\n"),
    "config-too-large": yaml_file("# " + "x" * (2 << 20) + "\n"),
    "config-deeply-nested": yaml_file("[" * 5000 + "]" * 5000),
    "config-a-list": yaml_file("[1, 2, 3]\n"),
    "config-unknown-key": yaml_file("budget:\n  hours: 3\n"),
    "config-moved-key": yaml_file("train:\n  loss: hinge\n"),
    "config-yaml-inf": yaml_file("optim:\n  lr_d: .inf\n"),
    # data files
    "npz-missing": npz_missing,
    "npz-zero-bytes": npz_bytes(b""),
    "npz-not-a-zip": npz_bytes(b"PK\x03\x04 not a zip at all"),
    "npz-a-bare-npy": npz_bytes(npy_bytes(ZERO)),
    "npz-without-y": npz_case(x=ZERO),
    "npz-label-2-to-the-40": npz_case(x=ZERO, y=np.array([0, 1, 2**40, 1])),
    "npz-negative-label": npz_case(x=ZERO, y=np.array([0, -1, 1, 1])),
    "npz-float-images": npz_case(x=ZERO.astype(np.float32), y=LABELS),
    "npz-no-samples": npz_case(x=ZERO[:0], y=LABELS[:0]),
    "npz-not-square": npz_case(x=np.zeros((4, 32, 16), np.uint8), y=LABELS),
    "npz-more-labels-than-images": npz_case(x=ZERO, y=np.array([0, 1, 0, 1, 0])),
    "npz-float-labels": npz_case(x=ZERO, y=LABELS.astype(np.float64)),
    "npz-empty-class": npz_case(x=ZERO, y=np.array([0, 0, 2, 2])),
    "idx-truncated": idx_truncated,
    # image folders
    "png-missing-iend": image_folder("bad.png", image_bytes("PNG")[:-12]),
    "png-truncated-data": image_folder("bad.png", image_bytes("PNG", mode="RGB")[:60]),
    "bmp-named-png": image_folder("bad.png", image_bytes("BMP")),
    "tiff-named-png": image_folder("bad.png", image_bytes("TIFF")),
    "eps-named-png": image_folder("bad.png", EPS),
    "jpeg-named-png": image_folder("bad.png", image_bytes("JPEG")),
    "png-named-jpg": image_folder("bad.jpg", image_bytes("PNG")),
    "text-named-jpg": image_folder("bad.jpg", b"not an image"),
    "other-size-image": image_folder("big.png", image_bytes("PNG", size=40)),
    "no-class-folders": no_class_folders,
    # manifests (read by sample, evaluate, --resume)
    "manifest-member-escapes-the-run": manifest_case(set_member(0, name="../../../tmp/x"), "'../../../tmp/x'"),
    "manifest-member-dot-dot": manifest_case(set_member(0, name=".."), "'..'"),
    "manifest-member-name-not-a-string": manifest_case(set_member(1, name=7), "member name 7"),
    "manifest-without-model": manifest_case(drop("model"), "'model'"),
    "manifest-without-members": manifest_case(drop("members"), "'members'"),
    "manifest-members-empty": manifest_case(put("members", []), "members"),
    "manifest-member-without-conditional": manifest_case(drop("members.0.conditional"), "'conditional'"),
    "manifest-negative-prior": manifest_case(put("data.prior", [0.5, -0.2, 0.7]), "data.prior"),
    "manifest-prior-of-other-length": manifest_case(put("data.prior", [1.0]), "data.prior"),
    "manifest-huge-latent": manifest_case(put("model.latent_dim", 10**12), "latent_dim"),
    "manifest-unknown-arch": manifest_case(put("model.arch", "bogus"), "model.arch"),
    "manifest-member-class-out-of-range": manifest_case(set_member(2, classes=[9]), "class 9"),
    "manifest-repeated-member": manifest_case(set_member(1, name="class-0000"), "repeat"),
    "manifest-not-json": manifest_case(lambda m: "{not json", "manifest.json"),
    "manifest-not-utf8": manifest_case(lambda m: b'{"format": "\xff"}', "manifest.json"),
    "manifest-a-list": manifest_case(lambda m: "[1, 2]", "manifest.json"),
    "manifest-other-format": manifest_case(put("format", "something-else"), "format"),
    "manifest-bad-for-evaluate": manifest_case(set_member(0, name="../x"), "'../x'", ("evaluate",)),
    "manifest-bad-for-resume": manifest_bad_for_resume,
    # sample bounds
    "sample-n-zero": sample_case("--n", "0", expect="--n"),
    "sample-n-negative": sample_case("--n", "-1", expect="--n"),
    "sample-n-too-many": sample_case("--n", str(10**12), expect="--n"),
    "sample-columns-negative": sample_case("--columns", "-3", expect="--columns"),
    "sample-out-of-unknown-kind": sample_case("--out", "s.txt", expect="--out s.txt"),
    "sample-label-out-of-range": sample_case("--labels", "0,99", expect="labels"),
    "sample-label-unknown-name": sample_case("--labels", "0,zebra", expect="'zebra'"),
    "sample-device-bogus": sample_case("--device", "bogus", expect="--device"),
    "sample-member-unknown": sample_case("--member", "nosuch", expect="'nosuch'"),
    "sample-run-missing": lambda tmp, env: (
        ["sample", str(tmp / "nowhere"), "--out", str(tmp / "s.png")],
        str(tmp / "nowhere"),
    ),
    # evaluate bounds
    "evaluate-n-negative": evaluate_case("--n", "-5", expect="--n"),
    "evaluate-n-zero": evaluate_case("--n", "0", expect="--n"),
    "evaluate-batch-size-zero": evaluate_case("--batch-size", "0", expect="--batch-size"),
    "evaluate-cas-n-negative": evaluate_case("--cas-n", "-1", expect="--cas-n"),
    "evaluate-metric-unknown": evaluate_case("--metrics", "fid,bogus", expect="'bogus'"),
    "evaluate-device-bogus": evaluate_case("--device", "bogus", expect="--device"),
    "evaluate-inception-without-weights": evaluate_case("--features", "inception", expect="inception"),
    "evaluate-run-and-real-baseline": evaluate_case("--real-baseline", expect="--real-baseline"),
    "classifier-epochs-nan": lambda tmp, env: (
        ["classifier", "train", "--data", "digits", "--epochs", "nan", "--out", str(tmp / "c")],
        "--epochs",
    ),
    "classifier-steps-zero": lambda tmp, env: (
        ["classifier", "train", "--data", "digits", "--steps", "0", "--out", str(tmp / "c")],
        "--steps",
    ),
}
