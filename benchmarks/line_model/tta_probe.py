"""Does one line model read better from several variants of each line? Averaged posteriors, greedy.

Each validation line of ``benchmarks/copiste_lines/split.json`` is resized to the model's height
and read as it is and changed in ways that keep its width, so that the time steps of every
variant line up: squeezed or stretched by 10 % in height, slanted by +-0.15, its strokes thickened
or thinned (a 2 x 2 erosion or dilation), moved 3 pixels up or down. Every variant alone, then
groups of them, are decoded greedily from the mean of their posteriors (as probabilities and as
log-probabilities). Corpus CER and WER, and the CER without the writers named by ``--apart``, go
to stdout and ``--out`` (JSON). Results: ``RESULTS.md``, run 019.

    python benchmarks/line_model/tta_probe.py /tmp/r018/split_end --out /tmp/tta.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO.parents[1] / "benchmarks" / "copiste_lines"))
sys.path.insert(0, str(REPO))

PAPER = 255


def warp(image: np.ndarray, matrix: list[list[float]]) -> np.ndarray:
    """``image`` (H, W) under a 2 x 3 affine matrix, same size, paper where nothing maps."""
    h, w = image.shape
    return cv2.warpAffine(image, np.float32(matrix), (w, h), borderValue=PAPER, flags=cv2.INTER_LINEAR)


def variants() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """The width-keeping changes, by name; each takes and gives a uint8 (H, W) line."""

    def height_scale(f: float) -> Callable[[np.ndarray], np.ndarray]:
        return lambda im: warp(im, [[1, 0, 0], [0, f, im.shape[0] / 2 * (1 - f)]])

    def slant(s: float) -> Callable[[np.ndarray], np.ndarray]:
        return lambda im: warp(im, [[1, s, -s * im.shape[0] / 2], [0, 1, 0]])

    def shift(d: float) -> Callable[[np.ndarray], np.ndarray]:
        return lambda im: warp(im, [[1, 0, 0], [0, 1, d]])

    kernel = np.ones((2, 2), np.uint8)
    return {
        "as_is": lambda im: im,
        "height_90": height_scale(0.9),
        "height_110": height_scale(1.1),
        "slant_plus": slant(0.15),
        "slant_minus": slant(-0.15),
        "thicker": lambda im: cv2.erode(im, kernel),  # dark ink spreads
        "thinner": lambda im: cv2.dilate(im, kernel),
        "up": shift(-3),
        "down": shift(3),
    }


GROUPS = (
    ("as_is", "height_90", "height_110"),
    ("as_is", "slant_plus", "slant_minus"),
    ("as_is", "thicker", "thinner"),
    ("as_is", "up", "down"),
)


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", help="a folder with an exported model.onnx")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--apart", default="wikitexte_0235", help="writer ids (commas) scored on their own")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[dict]:
    from ensemble_probe import score_combination
    from package_side import DATA, SPLIT_JSON, _val_and_train_lines
    from tqdm import tqdm

    from mltu_ext.data.images import resize_to_height, to_gray
    from mltu_ext.data.samples import sample_pixels
    from mltu_ext.inference.recognizer import OnnxRecognizer

    recognizer = OnnxRecognizer(args.model, providers=["CPUExecutionProvider"])
    val, _ = _val_and_train_lines(argparse.Namespace(data=DATA, split=SPLIT_JSON))
    truths = [s.text for s in val]
    apart = set(args.apart.split(",")) if args.apart else set()
    changes = variants()
    probs: dict[str, list[np.ndarray]] = {name: [] for name in changes}
    for sample in tqdm(val, desc="lines", unit="line"):
        # at the model's height already, so prepare_batch only pads each change as any line
        line = resize_to_height(to_gray(np.asarray(sample_pixels(sample))), recognizer.height)
        line = line.astype(np.uint8)
        for name, change in changes.items():
            probs[name].append(recognizer.probabilities([change(line)])[0])  # T,C

    others = [i for i, s in enumerate(val) if s.writer not in apart]
    alphabet = (recognizer.vocabulary, recognizer.blank_index)
    rows = []
    for combo in [(name,) for name in changes] + list(GROUPS) + [tuple(changes)]:
        for mode in ("prob", "log") if len(combo) > 1 else ("single",):
            rows.append(score_combination(probs, combo, mode, truths, alphabet, others, label="variants"))
    summary = {"lines": len(val), "apart": sorted(apart), "model": str(args.model), "rows": rows}
    args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
