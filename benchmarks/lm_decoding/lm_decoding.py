"""Greedy decoding vs beam search with a character n-gram model of the training labels (DHSD).

The model reads writers 28-30; the language model is learnt from the labels
of writers 1-27 only (the training split). Corpus CER / WER for greedy
decoding, a beam search without a language model, and a small grid of n-gram
orders and weights. Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/lm_decoding/lm_decoding.py \\
        --model /tmp/dhsd_bench/package_default/model

Without ``--out`` the results go to ``benchmarks/lm_decoding/runs/new/``: rename the
folder to the next ``runs/NNN-short-name/`` and update ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dhsd"
NEW_RUN = Path(__file__).resolve().parent / "runs" / "new"  # until the run gets its number and name


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="ONNX model (folder or file) trained on writers 1-27")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="DHSD folder (labels.csv)")
    parser.add_argument("--beam", type=int, default=8)
    parser.add_argument("--orders", default="4,6", help="comma list of n-gram orders")
    parser.add_argument("--weights", default="0.3,0.6,1.0", help="comma list of language-model weights")
    parser.add_argument("--out", default=str(NEW_RUN / "lm_decoding_results.md"))
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[dict]:
    import cv2
    import numpy as np

    from benchmarks.cpu_training_dhsd.recipes.common import load_split
    from mltu_ext.ctc.beam_lm import beam_decode_batch, lm_from_labels
    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.evaluation.error_rates import cer, exact_match, wer
    from mltu_ext.inference.recognizer import OnnxRecognizer

    train, val = load_split(args.data)
    recognizer = OnnxRecognizer(args.model, providers=["CPUExecutionProvider"])
    images = [cv2.imread(s.path, cv2.IMREAD_GRAYSCALE) for s in val]
    truth = [s.text for s in val]
    probs = np.concatenate([recognizer.probabilities(images[i : i + 64]) for i in range(0, len(images), 64)])
    vocab, blank = recognizer.vocabulary, recognizer.blank_index
    rows = []

    def score(name: str, decode) -> None:
        start = time.perf_counter()
        texts = decode()
        seconds = time.perf_counter() - start
        rows.append(
            {
                "decoding": name,
                "cer": cer(texts, truth),
                "wer": wer(texts, truth),
                "exact": exact_match(texts, truth),
                "ms_per_image": 1000 * seconds / len(truth),
            }
        )
        print(json.dumps(rows[-1]), flush=True)

    score("greedy", lambda: greedy_decode(probs, vocab, blank))
    score(f"beam {args.beam}, no LM", lambda: beam_decode_batch(probs, vocab, blank, beam=args.beam))
    labels = [s.text for s in train]
    for order in (int(v) for v in args.orders.split(",")):
        lm = lm_from_labels(labels, order)
        for weight in (float(v) for v in args.weights.split(",")):
            score(
                f"beam {args.beam}, {order}-gram LM, weight {weight:g}",
                lambda lm=lm, weight=weight: beam_decode_batch(
                    probs, vocab, blank, lm=lm, beam=args.beam, alpha=weight
                ),
            )
    script = "benchmarks/lm_decoding/lm_decoding.py"
    command = f"PYTHONPATH=. .venv/bin/python {script} " + shlex.join(sys.argv[1:])
    lines = [
        "# DHSD: greedy decoding vs beam search with a character language model",
        "",
        f"Command: `{command}`",
        "",
        f"Model: `{recognizer.path}`; {len(truth)} images of writers 28-30; the language model is "
        f"learnt from the {len(labels)} labels of writers 1-27. Corpus CER / WER, exact match = "
        "share of words read exactly; ms per image = decoding only (the network runs once for all rows).",
        "",
        "| decoding | CER | WER | exact match | ms / image |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['decoding']} | {r['cer']:.4f} | {r['wer']:.4f} | {r['exact']:.4f} | {r['ms_per_image']:.1f} |"
        for r in rows
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    return rows


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
