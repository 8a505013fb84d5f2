"""Do line models read better together? Averaged CTC posteriors of several models, greedy.

Each model reads every validation line of ``benchmarks/copiste_lines/split.json`` alone (batch 1,
so no padding differs between models); then every combination of the models is decoded greedily
from the mean of their posteriors, as probabilities and as log-probabilities (a geometric mean).
The models must share the vocabulary, input height and time scale. Corpus CER and WER, and the
CER without and of the writers named by ``--apart``, go to stdout and ``--out`` (JSON). Results:
``RESULTS.md``, run 018.

    python benchmarks/line_model/ensemble_probe.py --out /tmp/ensemble.json \
        r016=/tmp/r016/split r017=/tmp/r017/split
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks" / "copiste_lines"))


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", nargs="+", help="NAME=MODEL_DIR (a folder with an exported model.onnx)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--apart", default="wikitexte_0235", help="writer ids (commas) scored on their own")
    parser.add_argument("--max-size", type=int, default=5, help="largest combination tried")
    return parser.parse_args(argv)


def mean_posteriors(stack: np.ndarray, mode: str) -> np.ndarray:
    """(M, T, C) posteriors of M models -> (T, C): the arithmetic mean, or the normalised geometric one."""
    if mode == "prob":
        return stack.mean(axis=0)
    geometric = np.exp(np.log(stack + 1e-9).mean(axis=0))
    return geometric / geometric.sum(axis=-1, keepdims=True)


def score_combination(
    probs: dict[str, list[np.ndarray]],
    combo: tuple[str, ...],
    mode: str,
    truths: list[str],
    alphabet: tuple[str, int],
    outside: list[int],
    inside: list[int] | None = None,
    label: str = "models",
) -> dict:
    """Greedy corpus CER and WER of the mean posteriors of ``combo`` (keys of ``probs``, each a
    (T, C) array a line) over every line, over the lines ``outside`` and those ``inside``; printed too.
    ``alphabet`` is the vocabulary and the blank's index."""
    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.evaluation.error_rates import cer, wer

    stacks = (np.stack([probs[n][i] for n in combo]) for i in range(len(truths)))  # each (M, T, C)
    texts = [greedy_decode(mean_posteriors(stack, mode)[None], *alphabet)[0] for stack in stacks]

    def part(rows: list[int] | None) -> float | None:
        return cer([texts[i] for i in rows], [truths[i] for i in rows]) if rows else None

    row = {label: list(combo), "mean": mode, "cer": cer(texts, truths), "wer": wer(texts, truths),
           "cer_others": part(outside)}  # fmt: skip
    if inside is not None:
        row["cer_apart"] = part(inside)
    shown = f"{'+'.join(combo):40s} {mode:6s} CER {row['cer']:.4f} WER {row['wer']:.4f}"
    shown += f" others {row['cer_others']:.4f}"
    print(shown + (f" apart {row['cer_apart'] or 0:.4f}" if inside is not None else ""), flush=True)
    return row


def run(args: argparse.Namespace) -> list[dict]:
    from package_side import DATA, SPLIT_JSON, _val_and_train_lines

    from mltu_ext.data.samples import sample_pixels
    from mltu_ext.inference.recognizer import OnnxRecognizer

    models = dict(item.split("=", 1) for item in args.models)
    val, _ = _val_and_train_lines(argparse.Namespace(data=DATA, split=SPLIT_JSON))
    images = [sample_pixels(s) for s in val]
    truths = [s.text for s in val]
    apart = set(args.apart.split(",")) if args.apart else set()
    inside = [i for i, s in enumerate(val) if s.writer in apart]
    outside = [i for i, s in enumerate(val) if s.writer not in apart]
    probs, shapes = {}, set()
    for name, path in models.items():
        recognizer = OnnxRecognizer(path, providers=["CPUExecutionProvider"])
        shapes.add((recognizer.vocabulary, recognizer.blank_index, recognizer.height, recognizer.time_scale))
        probs[name] = [recognizer.probabilities([image])[0] for image in images]  # each (T, C)
    if len(shapes) != 1:
        raise SystemExit("the models differ in vocabulary, blank, height or time scale: no mean is defined")
    vocabulary, blank, _, _ = shapes.pop()

    rows = []
    for size in range(1, min(args.max_size, len(models)) + 1):
        for combo in itertools.combinations(models, size):
            for mode in ("prob", "log") if size > 1 else ("single",):
                rows.append(
                    score_combination(probs, combo, mode, truths, (vocabulary, blank), outside, inside)
                )
    summary = {"lines": len(val), "apart": sorted(apart), "models": models, "rows": rows}
    args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
