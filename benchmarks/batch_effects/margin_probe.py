"""Does reading lines alone, or with a white margin on the right, change a line model's CER?

Training batches pad lines on the right with white; ``--exact`` reading (``batching="exact"``)
runs only lines of one width together, so most lines are read with no padding at all. This reads
the 585 validation lines of ``benchmarks/copiste_lines/split.json`` (cut by polygon) with one
model: batched as by default (16 a call), exactly, and exactly with a white margin of 16 to 128
columns at the model's height added to every line. Greedy corpus CER and WER go to stdout and
``--out`` (JSON). Results: ``RESULTS.md``.

    python benchmarks/batch_effects/margin_probe.py --model SPLIT_MODEL_DIR \
        --out benchmarks/batch_effects/runs/002-margins/margins.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "copiste_lines"))

MARGINS = (0, 16, 32, 64, 128)  # columns at the model's height


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, required=True, help="a line model folder or ONNX file")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the figures")
    return parser.parse_args(argv)


def with_margin(image: np.ndarray, columns: int, height: int) -> np.ndarray:
    """``image`` (H, W) with white columns on the right: ``columns`` once resized to ``height``."""
    added = round(columns * image.shape[0] / height)
    return np.pad(image, ((0, 0), (0, added)), constant_values=255) if added else image


def run(args: argparse.Namespace) -> dict:
    """Read the validation lines each way; the CER, WER and seconds of each."""
    import package_side

    from mltu_ext.data.samples import sample_pixels
    from mltu_ext.evaluation.error_rates import cer, wer
    from mltu_ext.inference.recognizer import OnnxRecognizer

    val, _ = package_side._val_and_train_lines(package_side.get_args(["test", "--out", str(args.out.parent)]))
    images = [sample_pixels(s) for s in val]
    truths = [s.text for s in val]
    ways = [("batched (default)", "width", 0)] + [(f"exact, margin {m}", "exact", m) for m in MARGINS]
    rows = []
    for name, batching, margin in ways:
        recognizer = OnnxRecognizer(args.model, providers=["CPUExecutionProvider"], batching=batching)
        lines = [with_margin(image, margin, recognizer.height) for image in images]
        start = time.perf_counter()
        texts = recognizer.predict(lines, batch_size=16)
        row = {"reading": name, "cer": cer(texts, truths), "wer": wer(texts, truths)}
        row["seconds"] = round(time.perf_counter() - start, 1)
        print(f"{name:20s} CER {row['cer']:.4f} WER {row['wer']:.4f} {row['seconds']} s", flush=True)
        rows.append(row)
    result = {"command": " ".join(sys.argv), "lines": len(val), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> None:
    """``python benchmarks/batch_effects/margin_probe.py``."""
    run(get_args(argv))


if __name__ == "__main__":
    main()
