"""Do the line and word models read bitonal (black-and-white) images as well as grayscale ones?

Many archives scan in black and white, and older HTR workflows (kraken's ``binarize``) hand over
binarized lines. Each image of a set is read as it is (grayscale) and binarized three ways:
Otsu's threshold at the image's own resolution, Otsu's threshold after resizing to the model's
height (small line images binarized), and Floyd-Steinberg dithering at its own resolution
(Pillow's 1-bit conversion, what a scanner's black-and-white mode may give). Each binarized set is
read with the package's softening of two-level images (``resize_to_height``) and without it
(``OnnxRecognizer(soften_two_level=False)``). Greedy corpus CER and WER go to stdout and
``--out`` (JSON). Results: ``RESULTS.md``.

Sets: the 585 lines of the 23 validation writers of ``benchmarks/copiste_lines/split.json`` (cut
by polygon from the pages) for ``--line-models``, the 473 words of DHSD writers 28-30 for
``--word-models``.

    python benchmarks/bitonal/bitonal_check.py --out benchmarks/bitonal/runs/001/bitonal.json \
        --line-models shipped=Models/handwritten_lines split=/tmp/run018_end \
        --word-models shipped=Models/dhsd_words
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "copiste_lines"))


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument(
        "--line-models", nargs="*", default=["shipped=Models/handwritten_lines"],
        help="NAME=MODEL_DIR read on the Copiste validation lines",
    )  # fmt: skip
    parser.add_argument(
        "--word-models", nargs="*", default=["shipped=Models/dhsd_words"],
        help="NAME=MODEL_DIR read on DHSD writers 28-30",
    )  # fmt: skip
    parser.add_argument("--dhsd", type=Path, default=ROOT.parent / "shared" / "data" / "dhsd")
    return parser.parse_args(argv)


def otsu(image: np.ndarray) -> np.ndarray:
    """Otsu's global threshold: ink 0, paper 255."""
    return cv2.threshold(image, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


def dithered(image: np.ndarray) -> np.ndarray:
    """Pillow's 1-bit conversion (Floyd-Steinberg), back to 0 / 255."""
    from PIL import Image

    return np.asarray(Image.fromarray(image).convert("1"), np.uint8) * 255


def binarizations(height: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """The ways a gray (H, W) image is made bitonal, by name."""
    from mltu_ext.data.images import resize_to_height

    return {
        "otsu": otsu,
        "otsu_at_model_height": lambda im: otsu(resize_to_height(im, height)),
        "dithered": dithered,
    }


def line_set() -> tuple[list[np.ndarray], list[str]]:
    from package_side import DATA, SPLIT_JSON, _val_and_train_lines

    from mltu_ext.data.images import to_gray
    from mltu_ext.data.samples import sample_pixels

    val, _ = _val_and_train_lines(argparse.Namespace(data=DATA, split=SPLIT_JSON))
    return [to_gray(np.asarray(sample_pixels(s))) for s in val], [s.text for s in val]


def word_set(dhsd: Path) -> tuple[list[np.ndarray], list[str]]:
    from benchmarks.cpu_training_dhsd.recipes.common import load_split
    from mltu_ext.data.images import read_gray

    _, val = load_split(dhsd)
    return [read_gray(s.path) for s in val], [s.text for s in val]


def score(recognizer, images: list[np.ndarray], truths: list[str]) -> dict:
    from mltu_ext.evaluation.error_rates import cer, wer

    texts = recognizer.predict(images, batch_size=16)
    return {"cer": cer(texts, truths), "wer": wer(texts, truths)}


def check_model(name: str, model: Path, images: list[np.ndarray], truths: list[str], kind: str) -> list[dict]:
    """Every reading of one model: gray, then each binarization with and without softening."""
    from mltu_ext.inference.recognizer import OnnxRecognizer

    recognizers = {
        soften: OnnxRecognizer(
            model, providers=["CPUExecutionProvider"], check_ink=False, soften_two_level=soften
        )
        for soften in (False, True)
    }
    gray = score(recognizers[True], images, truths)
    rows = [{"model": name, "set": kind, "input": "gray", "softened": None, **gray}]
    for way, binarize in binarizations(recognizers[True].height).items():
        bitonal = [binarize(im) for im in images]
        for soften, recognizer in recognizers.items():
            rows.append({"model": name, "set": kind, "input": way, "softened": soften,
                         **score(recognizer, bitonal, truths)})  # fmt: skip
    for row in rows:
        print(f"{name:10s} {kind:6s} {row['input']:22s} softened={row['softened']!s:5s} "
              f"CER {row['cer']:.4f} WER {row['wer']:.4f}", flush=True)  # fmt: skip
    return rows


def run(args: argparse.Namespace) -> list[dict]:
    rows: list[dict] = []
    for kind, specs, load in (
        ("lines", args.line_models, line_set),
        ("words", args.word_models, lambda: word_set(args.dhsd)),
    ):
        if not specs:
            continue
        images, truths = load()
        for spec in specs:
            name, _, folder = spec.partition("=")
            rows += check_model(name, Path(folder), images, truths, kind)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {"command": " ".join(sys.argv), "rows": rows}
    args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
