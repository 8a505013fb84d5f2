"""Does the confidence tell writing from empty paper? Blank, noise and ruled images against real words.

PYTHONPATH=. .venv/bin/python benchmarks/confidence/confidence_check.py \
    --model Models/dhsd_words --dhsd ../shared/data/dhsd --val-writers 28,29,30

Reads the real words of the validation writers and seeded images without any
writing (plain paper of random brightness, Gaussian noise, ruled paper with
margins) with ``OnnxRecognizer.read`` and reports, at the default threshold
(``mltu_ext.ctc.confidence.DEFAULT_MIN_CONFIDENCE``) and a few others, the
share of empty images read as "" or below the threshold and the share of
real words below it. Writes RESULTS-style JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from mltu_ext.ctc.confidence import DEFAULT_MIN_CONFIDENCE
from mltu_ext.inference import OnnxRecognizer


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="Models/dhsd_words")
    parser.add_argument("--dhsd", default="../shared/data/dhsd", help="folder with labels.csv and images/")
    parser.add_argument("--val-writers", default="28,29,30")
    parser.add_argument("--per-kind", type=int, default=500, help="images of each empty kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/confidence/runs/new/results.json")
    return parser.parse_args(argv)


def empty_images(kind: str, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` images without writing, word-sized (48-80 x 120-320): blank, noise or ruled paper."""
    images = []
    for _ in range(count):
        height, width = int(rng.integers(48, 81)), int(rng.integers(120, 321))
        paper = int(rng.integers(190, 256))
        image = np.full((height, width), paper, np.uint8)
        if kind == "noise":
            image = np.clip(rng.normal(paper, rng.uniform(5, 40), (height, width)), 0, 255).astype(np.uint8)
        elif kind == "ruled":
            spacing = int(rng.integers(12, 31))
            for y in range(int(rng.integers(4, 20)), height, spacing):
                shade, thick = int(rng.integers(60, 181)), int(rng.integers(1, 3))
                cv2.line(image, (0, y), (width, y), shade, thick)
            if rng.random() < 0.5:  # a margin line
                x = int(rng.integers(5, 41))
                cv2.line(image, (x, 0), (x, height), int(rng.integers(80, 201)), 1)
        images.append(image)
    return images


def run(args: argparse.Namespace) -> dict:
    rec = OnnxRecognizer(args.model, providers=["CPUExecutionProvider"])
    root = Path(args.dhsd)
    writers = set(args.val_writers.split(","))
    with open(root / "labels.csv", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["writer_id"] in writers]
    real = rec.read([cv2.imread(str(root / r["file_name"]), cv2.IMREAD_GRAYSCALE) for r in rows])
    rng = np.random.default_rng(args.seed)
    empty = {kind: rec.read(empty_images(kind, args.per_kind, rng)) for kind in ("blank", "noise", "ruled")}
    real_conf = np.array([r.confidence for r in real])
    thresholds = sorted({DEFAULT_MIN_CONFIDENCE, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2})
    rows_out = []
    for threshold in thresholds:
        stopped = {
            k: float(np.mean([(not r.text) or r.confidence < threshold for r in v])) for k, v in empty.items()
        }
        rows_out.append(
            {
                "threshold": threshold,
                "real_words_below": float(np.mean(real_conf < threshold)),
                "empty_stopped": stopped,
                "empty_stopped_all": float(np.mean([s for s in stopped.values()])),
            }
        )
    ink_cleared = {k: float(np.mean([not r.text for r in v])) for k, v in empty.items()}
    return {
        "command": " ".join(sys.argv),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "model": args.model,
        "real_words": len(real),
        "val_writers": sorted(writers),
        "real_words_read_empty": float(np.mean([not r.text for r in real])),
        "empty_per_kind": args.per_kind,
        "empty_read_as_nothing": ink_cleared,
        "default_threshold": DEFAULT_MIN_CONFIDENCE,
        "thresholds": rows_out,
    }


def main(argv: list[str] | None = None) -> int:
    args = get_args(argv)
    result = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
