"""Writer adaptation: the line model fine-tuned on the first lines of each new hand, then read on the rest.

A project that meets new hands transcribes a few lines of each, fine-tunes the line model on
them (``train.py --init-from Models/handwritten_lines``: the folder's ``weights.npz``) and lets
it read the rest. This measures that on Copiste, on this CPU: the 23 validation writers of
``benchmarks/copiste_lines/split.json``, whom the split model of ``line_model`` run 015 never
saw. Each one's first ``--lines-per-writer`` lines (in page and reading order) train, one line
in six of them held out to pick the best epoch; all their other lines are read, greedy, by the
model before and after.

    python benchmarks/writer_adaptation/adapt.py --minutes 15 --out benchmarks/writer_adaptation/runs/001

Writes ``summary.json`` (CER and WER before and after, overall and per writer, and the
training's command and validations) and ``predictions.json`` (every line read).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "copiste"
SPLIT_JSON = ROOT / "benchmarks" / "copiste_lines" / "split.json"
START = (
    ROOT
    / "benchmarks"
    / "line_model"
    / "runs"
    / "015-h100-15min-from-014-strong-augment"
    / "split_weights.npz"
)
WRITER_PATTERN = r"^(.*?)(?:_\d)?$"
HELD_OUT_EVERY = 6  # one line in six of the adaptation lines picks the best epoch


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="the run's folder")
    parser.add_argument("--minutes", type=float, default=15.0, help="wall time of the fine-tuning")
    parser.add_argument(
        "--start", type=Path, default=START, help="packed weights of a model that never saw these writers"
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the Copiste folder")
    parser.add_argument("--lines-per-writer", type=int, default=8, help="each writer's lines to adapt on")
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--rescore", action="store_true", help="only work the scores out again from --out's predictions.json"
    )
    parser.add_argument("extra", nargs="*", help="more train.py options (after --)")
    return parser.parse_args(argv)


def lines_by_writer(data: Path) -> dict[str, list]:
    """Validation writer -> their line samples, pages in name order, lines in each page's order."""
    from mltu_ext.data import load_dataset

    val_writers = set(json.loads(SPLIT_JSON.read_text(encoding="utf-8"))["val_writers"])
    writers: dict[str, list] = defaultdict(list)
    samples = load_dataset(data, writer_pattern=WRITER_PATTERN).samples
    # the reader yields each page's lines in their order; sorting by page keeps that order (stable)
    for sample in sorted(samples, key=lambda s: str(s.source).split("#", 1)[0]):
        if sample.writer in val_writers:
            writers[sample.writer].append(sample)
    return dict(sorted(writers.items()))


def write_adaptation_set(samples: list, out: Path) -> Path:
    """Crops at height 64 and a labels.csv whose split column holds every sixth line out."""
    from mltu_ext.data.export_lines import export_samples

    labels = export_samples(samples, out, height=64)
    with labels.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for i, row in enumerate(rows):
        row["split"] = "val" if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else "train"
    with labels.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0].keys()], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return labels


def starting_folders(packed: Path, out: Path) -> tuple[Path, Path]:
    """A folder shaped as a shipped one (config.json, weights.npz) to fine-tune; the same network exported."""
    from mltu_ext.config import TrainConfig
    from mltu_ext.export.model_folder import export_best
    from mltu_ext.model.packed_weights import PACKED_WEIGHTS, load_packed, read_packed

    start, before = out / "start", out / "before"
    start.mkdir(parents=True, exist_ok=True)
    before.mkdir(parents=True, exist_ok=True)
    shutil.copy(packed, start / PACKED_WEIGHTS)
    config = TrainConfig.from_dict(read_packed(packed)[0])
    model = load_packed(packed, config)
    for folder in (start, before):
        config.save(folder / "config.json")
    model.save(before / "best.keras")
    export_best(config, before)
    return start, before


def fine_tune(args: argparse.Namespace, labels: Path, start: Path) -> dict:
    """train.py from ``start`` on the adaptation lines; its command, exit code, wall time and validations."""
    after = args.out / "after"
    command = [
        sys.executable, "train.py", "--recipe", "lines", "--dataset", str(labels), "--init-from", str(start),
        "--pretrain-samples", "0", "--set", "mix_rendered=0", "--learning-rate", str(args.learning_rate),
        "--batch-size", str(args.batch_size), "--max-minutes", str(args.minutes), "--model-dir", str(after),
        "--quiet", *args.extra,
    ]  # fmt: skip
    began = time.monotonic()
    with (args.out / "train.log").open("w", encoding="utf-8") as log:
        result = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    validations = []
    if (after / "log.csv").is_file():
        with (after / "log.csv").open(encoding="utf-8") as handle:
            validations = [
                {"epoch": int(r["epoch"]) + 1, "val_CER": float(r["val_CER"])} for r in csv.DictReader(handle)
            ]
    return {
        "command": " ".join(command[1:]),
        "exit_code": result.returncode,
        "wall_s": round(time.monotonic() - began, 1),
        "validations": validations,
    }


def read_pages(model_dir: Path, samples: list) -> list[str]:
    """Greedy readings of ``samples`` (cut from their pages as in training) by ``model_dir``'s ONNX file."""
    from mltu_ext.data.samples import sample_pixels
    from mltu_ext.inference.recognizer import OnnxRecognizer

    recognizer = OnnxRecognizer(model_dir, providers=["CPUExecutionProvider"])
    return recognizer.predict([sample_pixels(s) for s in samples], batch_size=16)


def scores(rows: list[dict], field: str) -> dict:
    """Corpus CER and WER of ``field`` against the truths of ``rows``."""
    from mltu_ext.evaluation.error_rates import cer, wer

    truths, texts = [r["truth"] for r in rows], [r[field] for r in rows]
    return {"cer": round(cer(texts, truths), 4), "wer": round(wer(texts, truths), 4)}


def summarise(rows: list[dict]) -> dict:
    """Scores before and after: overall, per writer, and without the writer read worst before."""
    writers = sorted({r["writer"] for r in rows})
    per_writer = {}
    for writer in writers:
        group = [r for r in rows if r["writer"] == writer]
        per_writer[writer] = {
            "lines": len(group),
            "before": scores(group, "before"),
            "after": scores(group, "after"),
        }
    worst = max(writers, key=lambda w: per_writer[w]["before"]["cer"])
    others = [r for r in rows if r["writer"] != worst]
    return {
        "before": scores(rows, "before"),
        "after": scores(rows, "after"),
        "worst_writer_before": worst,
        "without_it": {"before": scores(others, "before"), "after": scores(others, "after")},
        "per_writer": per_writer,
    }


def rescore(out: Path) -> dict:
    """``summary.json`` of a finished run with its scores worked out again from ``predictions.json``."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = json.loads((out / "predictions.json").read_text(encoding="utf-8"))
    summary.update(summarise(rows))
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def run(args: argparse.Namespace) -> dict:
    """Build the two sets, fine-tune, read the other lines before and after."""
    writers = lines_by_writer(args.data)
    k = args.lines_per_writer
    adapt = [s for lines in writers.values() for s in lines[:k]]
    test = [s for lines in writers.values() for s in lines[k:]]
    args.out.mkdir(parents=True, exist_ok=True)
    labels = write_adaptation_set(adapt, args.out / "adapt_lines")
    start, before = starting_folders(args.start, args.out)
    training = fine_tune(args, labels, start)
    if training["exit_code"] != 0:
        raise SystemExit(f"train.py failed (exit {training['exit_code']}): see {args.out / 'train.log'}")
    rows = [
        {"writer": s.writer, "source": s.source, "truth": s.text, "before": b, "after": a}
        for s, b, a in zip(test, read_pages(before, test), read_pages(args.out / "after", test), strict=True)
    ]
    summary = {
        "writers": len(writers),
        "lines_per_writer": k,
        "adaptation_lines": len(adapt),
        "held_out_of_them": len(adapt) // HELD_OUT_EVERY,
        "test_lines": len(rows),
        "start": str(args.start.relative_to(ROOT)) if args.start.is_relative_to(ROOT) else str(args.start),
        **summarise(rows),
        "training": training,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (args.out / "predictions.json").write_text(
        json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return summary


def main(argv: list[str] | None = None) -> None:
    args = get_args(argv)
    summary = rescore(args.out) if args.rescore else run(args)
    print(
        json.dumps(
            {k: summary[k] for k in ("before", "after", "worst_writer_before", "without_it")}, indent=2
        )
    )


if __name__ == "__main__":
    main()
