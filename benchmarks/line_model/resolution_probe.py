"""Is the line model short of pixels? Lines read at lower effective resolutions, greedy.

Each validation line of ``benchmarks/copiste_lines/split.json`` is resized to the model's height
(64), then shrunk to fewer rows (56, 48, 40, 32: ``INTER_AREA``) and enlarged back to 64 rows
(``INTER_LINEAR``), so that the model gets the same size with less detail. If the CER barely moves
as the detail goes, a taller input is not what the model lacks. Also reported: the CER of the
lines grouped by the height of their crop on the page (quarters of the lines), and within each
writer, the lower and the upper half of that writer's crop heights (tall crops are the most
shrunk). Corpus CER and WER, and the CER without the writers named by ``--apart``, go to stdout
and ``--out`` (JSON). Results: ``RESULTS.md``, "Probe after run 019".

    python benchmarks/line_model/resolution_probe.py /tmp/r018/split_end --out /tmp/resolution.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks" / "copiste_lines"))

EFFECTIVE_ROWS = (64, 56, 48, 40, 32)


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", help="a folder with an exported model.onnx")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--apart", default="wikitexte_0235", help="writer ids (commas) scored on their own")
    return parser.parse_args(argv)


def with_rows(line: np.ndarray, rows: int) -> np.ndarray:
    """``line`` (H, W) with the detail of ``rows`` rows, at its own size."""
    h, w = line.shape
    if rows >= h:
        return line
    small = cv2.resize(line, (max(1, round(w * rows / h)), rows), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def corpus_cer(errors: np.ndarray, lengths: np.ndarray, rows: np.ndarray) -> float:
    return float(errors[rows].sum() / max(lengths[rows].sum(), 1))


def height_groups(heights: np.ndarray, writers: list[str]) -> dict[str, np.ndarray]:
    """Boolean masks over the lines: quarters of crop height, and each writer's lower or upper half."""
    edges = np.quantile(heights, [0, 0.25, 0.5, 0.75, 1])
    groups = {}
    for low, high in itertools.pairwise(edges):
        groups[f"crop {low:.0f}-{high:.0f} px"] = (heights >= low) & (heights <= high)
    by_writer: dict[str, list[int]] = defaultdict(list)
    for index, writer in enumerate(writers):
        by_writer[writer].append(index)
    lower = np.zeros(len(writers), bool)
    for indices in by_writer.values():
        median = np.median(heights[indices])
        lower[[i for i in indices if heights[i] <= median]] = True
    groups["lower half of each writer's crop heights"] = lower
    groups["upper half of each writer's crop heights"] = ~lower
    return groups


def run(args: argparse.Namespace) -> list[dict]:
    from package_side import DATA, SPLIT_JSON, _val_and_train_lines
    from tqdm import tqdm

    from mltu_ext.data.images import resize_to_height, to_gray
    from mltu_ext.data.samples import sample_pixels
    from mltu_ext.evaluation.error_rates import edit_distance, wer
    from mltu_ext.inference.recognizer import OnnxRecognizer

    recognizer = OnnxRecognizer(args.model, providers=["CPUExecutionProvider"])
    val, _ = _val_and_train_lines(argparse.Namespace(data=DATA, split=SPLIT_JSON))
    truths = [s.text for s in val]
    apart = set(args.apart.split(",")) if args.apart else set()
    crops = [to_gray(np.asarray(sample_pixels(s))) for s in val]
    heights = np.array([c.shape[0] for c in crops], float)
    lines = [resize_to_height(c, recognizer.height) for c in tqdm(crops, desc="resize", unit="line")]
    lengths = np.array([len(t) for t in truths], float)
    others = np.array([s.writer not in apart for s in val])
    groups = height_groups(heights, [s.writer for s in val])
    rows = []
    for effective in EFFECTIVE_ROWS:
        texts = recognizer.predict([with_rows(line, effective) for line in lines], batch_size=16)
        errors = np.array([edit_distance(t, p) for t, p in zip(truths, texts, strict=True)], float)
        everyone = np.ones(len(val), bool)
        row = {"rows": effective, "cer": corpus_cer(errors, lengths, everyone), "wer": wer(texts, truths),
               "cer_others": corpus_cer(errors, lengths, others),
               "groups_others": {name: corpus_cer(errors, lengths, mask & others)
                                 for name, mask in groups.items()}}  # fmt: skip
        print(f"{effective:3d} rows: CER {row['cer']:.4f} WER {row['wer']:.4f} "
              f"others {row['cer_others']:.4f}")  # fmt: skip
        for name, value in row["groups_others"].items():
            print(f"      {name:45s} {value:.4f}", flush=True)
        rows.append(row)
    summary = {"lines": len(val), "apart": sorted(apart), "model": str(args.model), "rows": rows}
    args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
