"""The kraken 7.1.1 side of the Copiste line-recognition benchmark.

Run with the package's venv (it scores with ``mltu_ext.evaluation.error_rates``); kraken itself
runs from its own venv (``install_kraken.sh``), as ``ketos``/``kraken`` commands and through
``kraken_api.py``. The train/val pages come from ``split.json`` (``split.py``).

    python kraken_side.py prepare --out DIR
        Working folder: ALTO copies beside symlinks to their page images (kraken resolves the
        ALTO fileName relative to the XML, and the Copiste images live in ../images/), the
        train/val manifests for ketos, and the val lines cut out by polygon bounding box as
        PNG + .gt.txt (the line images of the speed test). The other commands call it too.
    python kraken_side.py train --minutes M --out DIR
        ``ketos train -f alto`` on the train pages, validating on the val pages, default
        architecture, CPU. ketos has no wall-time limit, so it is sent SIGINT after M minutes
        (Lightning then saves checkpoint_abort.ckpt and exits); the checkpoint with the best
        validation accuracy is converted to DIR/best.safetensors. Each validation run's CER is
        read off ketos's log with the elapsed seconds: DIR/train_summary.json.
    python kraken_side.py test --model DIR/best.safetensors --out DIR
        ``ketos test`` on the val pages (its character and word accuracy), and kraken's own
        predictions on the val lines scored with the package's corpus-level CER/WER:
        DIR/test_summary.json.
    python kraken_side.py speed --model DIR/best.safetensors --out DIR [--lines FOLDER]
        Line recognition speed on pre-cut line images: the Python API (model loaded once, one
        line at a time), ``kraken -I '*.png' ... ocr --no-segmentation`` (whole command, and less
        its start-up and model load), and the API on whole val pages with batched lines:
        DIR/speed_summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from split import DATA, SPLIT_JSON, load_split, writer_of  # noqa: E402

from mltu_ext.evaluation.error_rates import char_errors, word_errors  # noqa: E402

KRAKEN_VENV = Path("/work/kraken-venv")
# Wide enough that kraken's rich log handler never wraps the "validation run" line.
ENV_COLUMNS = "400"

# kraken logs tensors as plain numbers or as "tensor(0.1234)", depending on the value's type.
VALIDATION = re.compile(
    r"validation run: total chars (?:tensor\()?(?P<chars>[\d.]+)\)?"
    r"\s+errors (?:tensor\()?(?P<errors>[\d.]+)\)?"
    r"\s+accuracy (?:tensor\()?(?P<accuracy>[-\d.e]+)"
)
SET_SIZES = re.compile(r"Training set (?P<train>\d+) lines, validation set (?P<val>\d+) lines")
CHECKPOINT = re.compile(r"checkpoint_(?P<epoch>\d+)-(?P<metric>[\d.]+)\.ckpt$")


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", type=Path, required=True, help="the benchmark's kraken output folder")
    common.add_argument("--data", type=Path, default=DATA, help="the Copiste folder")
    common.add_argument("--split", type=Path, default=SPLIT_JSON, help="split.json of split.py")
    common.add_argument("--kraken-venv", type=Path, default=KRAKEN_VENV)
    common.add_argument(
        "--threads", type=int, default=2, help="kraken's --threads (torch/BLAS pool; kraken's default is 1)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", parents=[common], help="working folder, manifests, val line crops")

    train = sub.add_parser("train", parents=[common], help="ketos train for a wall time")
    train.add_argument("--minutes", type=float, required=True, help="wall time from ketos's start to SIGINT")
    train.add_argument("--workers", type=int, default=1, help="ketos --workers: data-loading processes")
    train.add_argument("--seed", type=int, default=0, help="ketos --seed")
    train.add_argument(
        "--freq", type=float, default=1.0, help="ketos -F: validate every FREQ epochs (kraken's default 1.0)"
    )
    train.add_argument(
        "--ketos-arg", action="append", default=[], help="extra argument for `ketos train` (repeatable)"
    )
    train.add_argument(
        "--quiet-load",
        type=float,
        default=1.0,
        help="before ketos starts, wait until the 1-minute load average is below this, so that the "
        "work before it (the package's side) has left the cores (0: do not wait)",
    )
    train.add_argument(
        "--quiet-wait-minutes", type=float, default=45.0, help="stop waiting for a quiet machine after this"
    )

    test = sub.add_parser("test", parents=[common], help="ketos test + CER/WER of kraken's predictions")
    test.add_argument("--model", type=Path, required=True)
    test.add_argument("--batch-size", type=int, default=16, help="lines per forward pass for the predictions")

    speed = sub.add_parser("speed", parents=[common], help="lines/s of kraken on line images")
    speed.add_argument("--model", type=Path, required=True)
    speed.add_argument("--lines", type=Path, help="folder of line PNGs (default OUT/val_lines)")
    speed.add_argument("--limit", type=int, help="use only the first N line images (smoke runs)")
    speed.add_argument("--batch-size", type=int, default=16, help="lines per batch in the page mode")
    return parser.parse_args(argv)


# ---------------------------------------------------------------- preparation


@dataclass(frozen=True)
class Work:
    pages: Path
    train_manifest: Path
    val_manifest: Path
    val_xml: list[Path]
    lines: Path


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _points(text: str) -> list[tuple[float, float]]:
    values = [float(v) for v in re.split(r"[\s,]+", text.strip()) if v]
    return list(zip(values[0::2], values[1::2], strict=True))


def _val_lines(alto: Path) -> list[tuple[str, str, list[tuple[float, float]]]]:
    """(line id, text, polygon) of each line with text, as split.py counts them."""
    lines = []
    for line in ET.parse(alto).getroot().iter():
        if _local(line.tag) != "TextLine":
            continue
        text = " ".join(
            " ".join(s.get("CONTENT", "") for s in line.iter() if _local(s.tag) == "String").split()
        )
        polygon = next((p.get("POINTS", "") for p in line.iter() if _local(p.tag) == "Polygon"), "")
        if text and polygon.strip():
            lines.append((line.get("ID", ""), text, _points(polygon)))
    return lines


def prepare(args: argparse.Namespace) -> Work:
    from PIL import Image

    split = load_split(args.split)
    pages_dir = args.out / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    for page in split["train_pages"] + split["val_pages"]:
        source = args.data / "alto" / f"{page}.xml"
        target = pages_dir / source.name
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
        # kraken opens <XML folder>/<fileName>, so the link carries the name the ALTO gives.
        file_name = next(e.text for e in ET.parse(source).getroot().iter() if _local(e.tag) == "fileName")
        link = pages_dir / Path(file_name.strip()).name
        image = (args.data / "images" / f"{page}.jpg").resolve()
        if not link.is_symlink() or link.resolve() != image:
            link.unlink(missing_ok=True)
            link.symlink_to(image)

    def manifest(name: str, pages: list[str]) -> Path:
        path = args.out / f"{name}.txt"
        path.write_text("".join(f"{(pages_dir / p).resolve()}.xml\n" for p in pages), encoding="utf-8")
        return path

    train_manifest = manifest("train", split["train_pages"])
    val_manifest = manifest("val", split["val_pages"])

    lines_dir = args.out / "val_lines"
    index = lines_dir / "lines.tsv"
    if not index.is_file():
        tmp = args.out / "val_lines.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        rows = ["id\tpage\twriter\twidth\theight\ttext"]
        for page in split["val_pages"]:
            with Image.open(args.data / "images" / f"{page}.jpg") as im:
                gray = im.convert("L")
            for line_id, text, polygon in _val_lines(args.data / "alto" / f"{page}.xml"):
                xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
                box = (
                    max(0, int(min(xs))),
                    max(0, int(min(ys))),
                    min(gray.width, int(max(xs)) + 1),
                    min(gray.height, int(max(ys)) + 1),
                )
                crop = gray.crop(box)
                name = f"{page}__{line_id}"
                crop.save(tmp / f"{name}.png")
                (tmp / f"{name}.gt.txt").write_text(text + "\n", encoding="utf-8")
                rows.append(f"{name}\t{page}\t{writer_of(page)}\t{crop.width}\t{crop.height}\t{text}")
        (tmp / "lines.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        # Renamed at the end so that a half-written folder is never taken for a finished one.
        shutil.rmtree(lines_dir, ignore_errors=True)
        tmp.rename(lines_dir)
    val_xml = [(pages_dir / f"{p}.xml").resolve() for p in split["val_pages"]]
    return Work(pages_dir, train_manifest, val_manifest, val_xml, lines_dir)


# ---------------------------------------------------------------- helpers


def kraken_env() -> dict[str, str]:
    env = dict(os.environ, COLUMNS=ENV_COLUMNS, PYTHONUNBUFFERED="1")
    # No GPU here; keeps Lightning from probing CUDA devices of the CUDA build of torch.
    env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def score(records: list[dict]) -> dict:
    """Corpus-level CER and WER of prediction/reference records (the package's functions)."""
    predictions = [r["prediction"] for r in records]
    references = [r["reference"] for r in records]
    char_edits, chars = char_errors(predictions, references)
    word_edits, words = word_errors(predictions, references)
    return {
        "lines": len(records),
        "chars": chars,
        "char_edits": char_edits,
        "cer": char_edits / chars if chars else None,
        "words": words,
        "word_edits": word_edits,
        "wer": word_edits / words if words else None,
    }


def pages_args(args: argparse.Namespace, work: Work) -> list[str]:
    """kraken_api.py arguments that recognise the val pages with their ALTO lines."""
    batch = ["--batch-size", str(args.batch_size)]
    return [
        "pages",
        "--model",
        str(args.model),
        "--threads",
        str(args.threads),
        *batch,
        "--xml",
        *map(str, work.val_xml),
    ]


def run_api(args: argparse.Namespace, api_args: list[str], out: Path) -> dict:
    command = [
        str(args.kraken_venv / "bin" / "python"),
        str(HERE / "kraken_api.py"),
        *api_args,
        "--out",
        str(out),
    ]
    print("$", " ".join(command[:6]), "...", flush=True)
    subprocess.run(command, check=True, env=kraken_env())
    return json.loads(out.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- train


class LogReader(threading.Thread):
    """Copies ketos's output to a log with elapsed seconds, and picks out the validation runs."""

    def __init__(self, stream, log_path: Path, start: float, freq: float) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.log_path = log_path
        self.start_time = start
        self.freq = freq
        self.validations: list[dict] = []
        self.set_sizes: dict[str, int] = {}

    def run(self) -> None:
        with self.log_path.open("w", encoding="utf-8") as log:
            for line in self.stream:
                elapsed = time.monotonic() - self.start_time
                # rich pads its lines to COLUMNS: the padding is dropped.
                log.write(f"[{elapsed:9.1f}s] {line.rstrip()}\n")
                log.flush()
                if match := VALIDATION.search(line):
                    chars, errors = float(match["chars"]), float(match["errors"])
                    n = len(self.validations) + 1
                    self.validations.append(
                        {
                            "validation": n,
                            # ketos -F < 1 validates within an epoch; the epoch is then approximate.
                            "epoch": n * self.freq if self.freq <= 1 else n * int(self.freq),
                            "elapsed_s": round(elapsed, 1),
                            "chars": int(chars),
                            "errors": int(errors),
                            "accuracy": float(match["accuracy"]),
                            "cer": errors / chars if chars else None,
                        }
                    )
                    print(
                        f"  validation {n} at {elapsed:.0f}s: CER {self.validations[-1]['cer']:.4f}",
                        flush=True,
                    )
                elif match := SET_SIZES.search(line):
                    self.set_sizes = {"train_lines": int(match["train"]), "val_lines": int(match["val"])}


def stop(process: subprocess.Popen, grace_s: float = 180.0) -> str:
    """SIGINT (Ctrl+C: Lightning saves checkpoint_abort and exits), then SIGTERM, then SIGKILL."""
    for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGTERM, 30.0), (signal.SIGKILL, 30.0)):
        if process.poll() is not None:
            break
        process.send_signal(sig)
        try:
            process.wait(wait_s)
            return sig.name
        except subprocess.TimeoutExpired:
            continue
    return "none"


def wait_for_quiet(
    max_load: float, limit_s: float, load=os.getloadavg, sleep=time.sleep, clock=time.monotonic
) -> float:
    """Sleep until the 1-minute load average is below ``max_load`` or ``limit_s`` passed; the seconds waited.

    kraken's budget is wall time, so anything still running on the cores would cost it training.
    """
    start = clock()
    while max_load > 0 and load()[0] >= max_load and clock() - start < limit_s:
        sleep(15)
    waited = clock() - start
    print(f"waited {waited:.0f} s for a quiet machine (1-minute load {load()[0]:.2f})", flush=True)
    return waited


def train(args: argparse.Namespace) -> dict:
    work = prepare(args)
    checkpoints = args.out / "checkpoints"
    if checkpoints.exists() and any(checkpoints.glob("*.ckpt")):
        raise SystemExit(f"{checkpoints} already holds checkpoints: use a fresh --out")
    checkpoints.mkdir(parents=True, exist_ok=True)
    ketos = str(args.kraken_venv / "bin" / "ketos")
    command = [
        ketos, "-v", "-d", "cpu", "--workers", str(args.workers), "--threads", str(args.threads),
        "--seed", str(args.seed),
        "train", "-f", "alto", "-o", str(checkpoints), "-F", str(args.freq),
        "-t", str(work.train_manifest), "-e", str(work.val_manifest),
        *args.ketos_arg,
    ]  # fmt: skip
    waited_s = wait_for_quiet(args.quiet_load, args.quiet_wait_minutes * 60)
    print("$", " ".join(command), flush=True)
    budget_s = args.minutes * 60
    start = time.monotonic()
    # Its own session: the data-loading workers stay in one process group, which we end at the close.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=kraken_env(),
        start_new_session=True,
    )
    reader = LogReader(process.stdout, args.out / "train.log", start, args.freq)
    reader.start()
    try:
        process.wait(timeout=budget_s)
        # ketos exits 0 after early stopping (-q early, --lag 10 validations without progress).
        stopped = "ketos: early stopping" if process.returncode == 0 else "ketos: error"
        signal_sent = None
    except subprocess.TimeoutExpired:
        stopped = "wall-time limit"
        signal_sent = stop(process)
    wall_s = time.monotonic() - start
    reader.join(timeout=30)
    try:
        # Leftover data-loading workers of the process group that we started.
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

    best_ckpt = None
    saved = [
        (float(m["metric"]), int(m["epoch"]), p)
        for p in checkpoints.glob("*.ckpt")
        if (m := CHECKPOINT.search(p.name))
    ]
    if saved:
        # Highest accuracy; of equal ones the earliest (when the best was first reached).
        best_ckpt = max(saved, key=lambda t: (t[0], -t[1]))[2]
    model = args.out / "best.safetensors"
    if best_ckpt is not None:
        subprocess.run([ketos, "convert", "-o", str(model), str(best_ckpt)], check=True, env=kraken_env())

    validations = reader.validations
    best = min((v for v in validations if v["cer"] is not None), key=lambda v: v["cer"], default=None)
    summary = {
        "command": command,
        "budget_minutes": args.minutes,
        "waited_for_quiet_s": round(waited_s),
        "wall_s": round(wall_s, 1),
        "stopped_by": stopped,
        "signal": signal_sent,
        "returncode": process.returncode,
        **reader.set_sizes,
        "validations": validations,
        # min() keeps the first of equal CERs: the time it first reached its best.
        "best": best,
        "best_checkpoint": str(best_ckpt) if best_ckpt else None,
        "model": str(model) if best_ckpt else None,
        "log": str(args.out / "train.log"),
    }
    write_json(args.out / "train_summary.json", summary)
    print(json.dumps({k: summary[k] for k in ("wall_s", "stopped_by", "best", "model")}, indent=1))
    return summary


# ---------------------------------------------------------------- test

REPORT = {
    "chars": re.compile(r"^\s*(\d+)\s+Characters\s*$", re.M),
    "errors": re.compile(r"^\s*(\d+)\s+Errors\s*$", re.M),
    "char_accuracy": re.compile(r"^\s*([\d.]+)%\s+Character Accuracy\s*$", re.M),
    "word_accuracy": re.compile(r"^\s*([\d.]+)%\s+Word Accuracy\s*$", re.M),
}


def test(args: argparse.Namespace) -> dict:
    work = prepare(args)
    command = [
        str(args.kraken_venv / "bin" / "ketos"), "-d", "cpu", "--threads", str(args.threads),
        "test", "-f", "alto", "-m", str(args.model), "-e", str(work.val_manifest),
    ]  # fmt: skip
    print("$", " ".join(command), flush=True)
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=kraken_env(), check=False)
    ketos_s = time.monotonic() - start
    (args.out / "ketos_test.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        raise SystemExit(f"ketos test failed ({result.returncode}): see {args.out / 'ketos_test.log'}")
    found = {k: pattern.search(result.stdout) for k, pattern in REPORT.items()}
    if not all(found.values()):
        raise SystemExit(f"ketos test report not understood: see {args.out / 'ketos_test.log'}")
    report = {k: float(m[1]) for k, m in found.items()}
    ketos_report = {
        "chars": int(report["chars"]),
        "errors": int(report["errors"]),
        "char_accuracy_pct": report["char_accuracy"],
        "word_accuracy_pct": report["word_accuracy"],
        "cer": 1 - report["char_accuracy"] / 100,
        "wer": 1 - report["word_accuracy"] / 100,
        "seconds": round(ketos_s, 1),
    }

    preds = run_api(args, pages_args(args, work), args.out / "val_predictions.json")
    summary = {
        "model": str(args.model),
        "ketos_test": ketos_report,
        "ketos_command": command,
        # kraken's recognition of the val lines (ALTO polygons, as in training) scored by the package.
        "package_scoring": score(preds["records"]),
        "predictions": str(args.out / "val_predictions.json"),
    }
    write_json(args.out / "test_summary.json", summary)
    print(json.dumps({k: summary[k] for k in ("ketos_test", "package_scoring")}, indent=1))
    return summary


# ---------------------------------------------------------------- speed


def speed(args: argparse.Namespace) -> dict:
    work = prepare(args)
    lines = args.lines or work.lines
    images = sorted(lines.glob("*.png"))
    if args.limit:
        images = images[: args.limit]
    if not images:
        raise SystemExit(f"no line images in {lines}")
    # A folder of links to the chosen images: `kraken -I ... -o SUFFIX` writes beside its inputs.
    cli_dir = args.out / "speed_cli"
    shutil.rmtree(cli_dir, ignore_errors=True)
    (cli_dir / "one").mkdir(parents=True)
    for image in images:
        (cli_dir / image.name).symlink_to(image.resolve())
        gt = image.with_suffix(".gt.txt")
        if gt.is_file():
            (cli_dir / gt.name).symlink_to(gt.resolve())
    (cli_dir / "one" / images[0].name).symlink_to(images[0].resolve())

    api = run_api(
        args,
        ["crops", "--model", str(args.model), "--threads", str(args.threads), "--lines", str(cli_dir)],
        args.out / "speed_api_crops.json",
    )

    def cli(folder: Path) -> float:
        command = [
            str(args.kraken_venv / "bin" / "kraken"), "--threads", str(args.threads), "-d", "cpu",
            "-I", str(folder / "*.png"), "-o", ".kraken.txt",
            "ocr", "-m", str(args.model), "--no-segmentation",
        ]  # fmt: skip
        print("$", " ".join(command), flush=True)
        start = time.monotonic()
        subprocess.run(command, check=True, env=kraken_env(), capture_output=True)
        return time.monotonic() - start

    one_s = cli(cli_dir / "one")
    all_s = cli(cli_dir)
    cli_records = []
    for image in images:
        out = cli_dir / f"{image.stem}.kraken.txt"
        gt = image.with_suffix(".gt.txt")
        if gt.is_file():
            cli_records.append(
                {
                    "reference": " ".join(gt.read_text(encoding="utf-8").split()),
                    "prediction": " ".join(out.read_text(encoding="utf-8").split()) if out.is_file() else "",
                }
            )
    n = len(images)
    pages = run_api(args, pages_args(args, work), args.out / "speed_api_pages.json")
    summary = {
        "model": str(args.model),
        "threads": args.threads,
        "line_images": n,
        "lines_folder": str(lines),
        "api_crops_batch1": {
            k: api[k]
            for k in ("lines", "model_load_s", "predict_s", "lines_per_s", "median_line_ms", "line_workers")
        }
        | {"accuracy_on_crops": score([r for r in api["records"] if r["reference"] is not None])},
        "cli_no_segmentation": {
            "lines": n,
            "wall_s_all": round(all_s, 2),
            "wall_s_one_line": round(one_s, 2),
            "lines_per_s_whole_command": n / all_s,
            # The one-line run is start-up + model load + one line; taking it off leaves n - 1 lines.
            "lines_per_s_less_startup": (n - 1) / (all_s - one_s) if all_s > one_s else None,
            "accuracy_on_crops": score(cli_records) if cli_records else None,
        },
        "api_pages_batched": {
            k: pages[k]
            for k in ("lines", "batch_size", "model_load_s", "predict_s", "lines_per_s", "line_workers")
        }
        | {"note": "whole val pages with their ALTO lines: includes kraken's polygon extraction per line"},
    }
    write_json(args.out / "speed_summary.json", summary)
    print(json.dumps(summary, indent=1))
    return summary


# ---------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict:
    args.out.mkdir(parents=True, exist_ok=True)
    if args.command == "prepare":
        work = prepare(args)
        n = len(list(work.lines.glob("*.png")))
        print(f"pages in {work.pages}; manifests {work.train_manifest}, {work.val_manifest}; {n} val lines")
        return {"lines": n}
    return {"train": train, "test": test, "speed": speed}[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    run(get_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
