"""The package's side of the Copiste line benchmark: train, test (greedy and with a character LM), speed.

Runs with the package's venv, on the split of ``split.json`` (the same writers as kraken's side):

    python benchmarks/copiste_lines/package_side.py train --minutes 60 --out runs/NNN/package
    python benchmarks/copiste_lines/package_side.py test --out runs/NNN/package
    python benchmarks/copiste_lines/package_side.py speed --out runs/NNN/package \
        --lines runs/NNN/kraken/val_lines

``train`` runs ``train.py --recipe lines`` for the wall time given (rendering and the warm-up
on rendered lines included) and writes ``train_summary.json``: each validation's CER with the
seconds since the command started. ``test`` reads the validation writers' lines from the ALTO
files (cut by polygon, as in training) and scores the exported ONNX model, greedy and with a
6-gram character model of the training writers' texts (``--jpeg-quality Q``: the lines as the
training copies store them, to see what that storage costs). ``speed`` times ONNX Runtime on the line
images of kraken's speed test, one line a call and 16 a call.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "copiste"
SPLIT_JSON = Path(__file__).resolve().parent / "split.json"
WRITER_PATTERN = r"^(.*?)(?:_[123])?$"


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("train", "test", "speed"):
        sub = commands.add_parser(name)
        sub.add_argument("--out", type=Path, required=True, help="the benchmark's package output folder")
        sub.add_argument("--data", type=Path, default=DATA, help="the Copiste folder")
        sub.add_argument("--split", type=Path, default=SPLIT_JSON)
    train = commands.choices["train"]
    train.add_argument("--minutes", type=float, required=True, help="wall time of the whole training")
    train.add_argument("--recipe", default="lines")
    train.add_argument("extra", nargs="*", help="more train.py options (after --)")
    test = commands.choices["test"]
    test.add_argument("--beam", type=int, default=8)
    test.add_argument(
        "--jpeg-quality",
        type=int,
        help="read each line as a training copy stores it: resized to the model's height and "
        "saved as JPEG of this quality (export-lines --jpeg-quality); results get a _jpegQ suffix",
    )
    speed = commands.choices["speed"]
    speed.add_argument("--lines", type=Path, required=True, help="folder of line PNGs")
    speed.add_argument("--limit", type=int, help="use only the first N line images")
    return parser.parse_args(argv)


def _split(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def train(args: argparse.Namespace) -> dict:
    """train.py for ``--minutes``; the validations with their times since the start."""
    split = _split(args.split)
    model_dir = args.out / "model"
    command = [
        sys.executable, "train.py", "--recipe", args.recipe, "--dataset", str(args.data),
        "--writer-pattern", WRITER_PATTERN, "--val-writers", ",".join(split["val_writers"]),
        "--max-minutes", str(args.minutes), "--model-dir", str(model_dir), "--quiet", *args.extra,
    ]  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    start, started = time.monotonic(), time.time()
    with (args.out / "train.log").open("w", encoding="utf-8") as log:
        result = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    total = time.monotonic() - start
    points = []
    # log.csv's wall_time (seconds since 1970) puts the warm-up's and the real phase's
    # validations on the command's clock, rendering and decoding included
    for log_path in (model_dir / "pretrain" / "log.csv", model_dir / "log.csv"):
        if not log_path.is_file():
            continue
        with log_path.open(encoding="utf-8") as handle:
            phase = "warm-up" if "pretrain" in log_path.parts else "copiste"
            for row in csv.DictReader(handle):
                elapsed = float(row["wall_time"]) - started
                points.append({"phase": phase, "elapsed_s": round(elapsed, 1), "cer": float(row["val_CER"])})
    best = min(points, key=lambda p: (p["cer"], p["elapsed_s"])) if points else None
    summary = {
        "command": " ".join(command),
        "exit_code": result.returncode,
        "wall_s": round(total, 1),
        "validations": points,
        "best": best,
    }
    (args.out / "train_summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _val_and_train_lines(args: argparse.Namespace):
    from mltu_ext.data import load_dataset

    split = _split(args.split)
    samples = load_dataset(args.data, writer_pattern=WRITER_PATTERN).samples
    val_writers = set(split["val_writers"])
    val = [s for s in samples if s.writer in val_writers]
    train_texts = [s.text for s in samples if s.writer not in val_writers]
    return val, train_texts


def test(args: argparse.Namespace) -> dict:
    """CER and WER on the validation writers' lines, greedy and with the training texts' character LM."""
    from mltu_ext.ctc.beam_lm import BeamDecoder, lm_from_labels
    from mltu_ext.data.samples import sample_pixels
    from mltu_ext.evaluation.error_rates import cer, wer
    from mltu_ext.inference.recognizer import OnnxRecognizer

    val, train_texts = _val_and_train_lines(args)
    images = [sample_pixels(s) for s in val]
    truths = [s.text for s in val]
    summary: dict = {"lines": len(val), "chars": sum(len(t) for t in truths)}
    decoders = {"greedy": None, "lm": BeamDecoder(lm_from_labels(train_texts), beam=args.beam)}
    recognizers = {
        name: OnnxRecognizer(args.out / "model", providers=["CPUExecutionProvider"], decoder=decoder)
        for name, decoder in decoders.items()
    }
    suffix = ""
    if args.jpeg_quality is not None:
        height = recognizers["greedy"].height
        images = [_stored_copy(image, height, args.jpeg_quality) for image in images]
        summary["jpeg_quality"] = args.jpeg_quality
        suffix = f"_jpeg{args.jpeg_quality}"
    predictions = {}
    for name, recognizer in recognizers.items():
        start = time.perf_counter()
        texts = recognizer.predict(images, batch_size=16)
        summary[name] = {
            "cer": cer(texts, truths),
            "wer": wer(texts, truths),
            "seconds": round(time.perf_counter() - start, 1),
        }
        predictions[name] = texts
    rows = [
        {"source": s.source, "truth": t, **{k: v[i] for k, v in predictions.items()}}
        for i, (s, t) in enumerate(zip(val, truths, strict=True))
    ]
    (args.out / f"val_predictions{suffix}.json").write_text(
        json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (args.out / f"test_summary{suffix}.json").write_text(
        json.dumps(summary, indent=2) + "\n", encoding="utf-8"
    )
    return summary


def _stored_copy(image, height: int, quality: int):
    """``image`` (uint8 gray or BGR) after resizing to ``height`` and a JPEG round trip of ``quality``."""
    import cv2
    import numpy as np

    from mltu_ext.data.export_lines import encode_image
    from mltu_ext.data.images import resize_to_height, to_gray

    data = encode_image(resize_to_height(to_gray(np.asarray(image)), height), ".jpg", quality)
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)


def speed(args: argparse.Namespace) -> dict:
    """Lines a second of ONNX Runtime on the line images: one a call, and 16 a call."""
    from mltu_ext.data.images import read_gray
    from mltu_ext.inference.recognizer import OnnxRecognizer

    paths = sorted(args.lines.glob("*.png"))[: args.limit]
    recognizer = OnnxRecognizer(args.out / "model", providers=["CPUExecutionProvider"])
    recognizer.predict([read_gray(str(paths[0]))])  # warm-up
    summary: dict = {"lines": len(paths)}
    for batch in (1, 16):
        start = time.perf_counter()
        for i in range(0, len(paths), batch):
            # decoding the PNGs counts, as it does on kraken's side
            recognizer.predict([read_gray(str(p)) for p in paths[i : i + batch]], batch_size=batch)
        seconds = time.perf_counter() - start
        summary[f"batch_{batch}"] = {
            "seconds": round(seconds, 2),
            "lines_per_s": round(len(paths) / seconds, 2),
        }
    widths = [read_gray(str(p)).shape[1] for p in paths]
    summary["median_width_px"] = statistics.median(widths)
    (args.out / "speed_summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def run(args: argparse.Namespace) -> dict:
    """Train, test or time, as the command says; its results."""
    return {"train": train, "test": test, "speed": speed}[args.command](args)


def main(argv: list[str] | None = None) -> None:
    """Run the command and print the end of its results."""
    print(json.dumps(run(get_args(argv)), indent=2)[-3000:])


if __name__ == "__main__":
    main()
