"""Beam-search settings for text lines, chosen by two-fold cross-validation over writers.

The decoder's defaults (6-gram, weight 0.6, no length bonus, beam 8) were picked on DHSD's
single words. This script asks which settings read Copiste lines best without picking them on
the lines it scores: the 23 validation writers of ``benchmarks/copiste_lines/split.json`` are cut
in two halves (every other writer in sorted order); the settings with the lowest CER on one half
are scored on the other, and the other way round. The cross-validated CER adds up both halves'
errors under the settings the *other* half chose, so every line is read with settings picked
without it. The language model is always the training writers' texts.

    python benchmarks/lm_decoding/lines_sweep.py --model MODEL_DIR --out runs/NNN

Writes ``sweep.json`` (every setting's errors on each half) and ``summary.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = {"order": 6, "alpha": 0.6, "beta": 0.0, "beam": 8}  # the decoder's defaults


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, required=True, help="a model folder (ONNX) of the split")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "copiste")
    parser.add_argument("--orders", default="5,6,7,8")
    parser.add_argument("--alphas", default="0.4,0.6,0.8,1.0")
    parser.add_argument("--betas", default="0,0.5,1,1.5")
    parser.add_argument("--beams", default="8")
    parser.add_argument("--workers", type=int, default=2)
    return parser.parse_args(argv)


def settings_grid(args: argparse.Namespace) -> list[dict]:
    """Every combination of the listed orders, weights, bonuses and beams (the defaults included)."""
    orders = [int(v) for v in args.orders.split(",")]
    alphas = [float(v) for v in args.alphas.split(",")]
    betas = [float(v) for v in args.betas.split(",")]
    beams = [int(v) for v in args.beams.split(",")]
    grid = [
        {"order": o, "alpha": a, "beta": b, "beam": w}
        for o, a, b, w in itertools.product(orders, alphas, betas, beams)
    ]
    return grid if DEFAULT in grid else [DEFAULT, *grid]


# read by the worker processes: (posteriors, truths, half of each line), vocabulary, blank, training texts
_SHARED: dict = {}


def _init(shared: dict) -> None:
    _SHARED.update(shared)


def edit_errors(setting: dict) -> tuple[dict, list[int]]:
    """Character errors on each half of the lines under one setting (run in a worker)."""
    from mltu_ext.ctc.beam_lm import beam_decode, lm_from_labels
    from mltu_ext.evaluation.error_rates import edit_distance

    lm = lm_from_labels(_SHARED["train_texts"], order=setting["order"])
    errors = [0, 0]
    for probs, truth, half in zip(_SHARED["probs"], _SHARED["truths"], _SHARED["halves"], strict=True):
        text = beam_decode(
            probs, _SHARED["vocabulary"], _SHARED["blank"], lm=lm,
            beam=setting["beam"], alpha=setting["alpha"], beta=setting["beta"],
        )  # fmt: skip
        errors[half] += edit_distance(text, truth)
    return setting, errors


def run(args: argparse.Namespace) -> dict:
    """Read the validation lines once, decode them under every setting, cross-validate the choice."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.copiste_lines.package_side import WRITER_PATTERN, _split
    from mltu_ext.cli.calibrate import read_posteriors
    from mltu_ext.data import load_dataset
    from mltu_ext.inference.recognizer import OnnxRecognizer

    split = _split(ROOT / "benchmarks" / "copiste_lines" / "split.json")
    samples = load_dataset(args.data, writer_pattern=WRITER_PATTERN).samples
    val_writers = sorted(split["val_writers"])
    half_of = {w: i % 2 for i, w in enumerate(val_writers)}
    val = [s for s in samples if s.writer in half_of]
    train_texts = [s.text for s in samples if s.writer not in half_of]
    recognizer = OnnxRecognizer(args.model, providers=["CPUExecutionProvider"])
    probs, greedy = read_posteriors(recognizer, val)
    truths = [s.text for s in val]
    halves = [half_of[s.writer] for s in val]
    chars = [sum(len(t) for t, h in zip(truths, halves, strict=True) if h == k) for k in (0, 1)]
    shared = {
        "probs": probs, "truths": truths, "halves": halves, "train_texts": train_texts,
        "vocabulary": recognizer.vocabulary, "blank": recognizer.blank_index,
    }  # fmt: skip
    grid = settings_grid(args)
    from tqdm import tqdm

    rows = []
    with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(shared,)) as pool:
        for setting, errors in tqdm(pool.map(edit_errors, grid), total=len(grid), desc="settings"):
            rows.append(
                {**setting, "errors": errors, "cer": [e / c for e, c in zip(errors, chars, strict=True)]}
            )
    from mltu_ext.evaluation.error_rates import edit_distance

    greedy_errors = [0, 0]
    for text, truth, half in zip(greedy, truths, halves, strict=True):
        greedy_errors[half] += edit_distance(text, truth)
    chosen = [min(rows, key=lambda r, k=k: r["errors"][k]) for k in (0, 1)]  # chosen on half k
    # half 0 read with the setting chosen on half 1, and half 1 with the one chosen on half 0
    cross_errors = chosen[1]["errors"][0] + chosen[0]["errors"][1]
    default = next(r for r in rows if all(r[k] == v for k, v in DEFAULT.items()))
    total = sum(chars)
    summary = {
        "model": str(args.model),
        "lines": len(val),
        "chars": chars,
        "writers": [sum(1 for w in val_writers if half_of[w] == k) for k in (0, 1)],
        "greedy_cer": sum(greedy_errors) / total,
        "default_setting_cer": sum(default["errors"]) / total,
        "chosen_on_half": [{k: r[k] for k in DEFAULT} for r in chosen],
        "cross_validated_cer": cross_errors / total,
        "settings": len(rows),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sweep.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main() -> None:
    print(json.dumps(run(get_args()), indent=2))


if __name__ == "__main__":
    main()
