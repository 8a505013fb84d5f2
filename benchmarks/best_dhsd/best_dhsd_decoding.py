"""The best DHSD recipe's readings of writers 28-30: one model or several, greedy or with a language model.

Reads the ``val_probs.npz`` files that ``benchmarks/best_dhsd/best_dhsd.py
--phase select`` writes (one per seed; output probabilities of writers 28-30 for the
best and the last checkpoint) and scores, on the published labels and on the
labels corrected in ``mltu_ext/data/known_corrections/dhsd.csv`` (images checked
by eye that show another word of the writer's list than their label):

- each model alone, greedy;
- each model with beam search and a character 6-gram of the labels of
  writers 1-27 (weight 0.6, the default of ``inferenceModel.py --lm-text``);
- the ensemble (frame-wise mean of the models' probabilities), greedy and
  with the same language model, plus a few other weights as a sensitivity row.

    PYTHONPATH=. .venv/bin/python benchmarks/best_dhsd/best_dhsd_decoding.py runs/r*/select/val_probs.npz

Without ``--out`` the results go to ``benchmarks/best_dhsd/runs/new/``: rename the folder
to the next ``runs/NNN-short-name/`` and update ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dhsd"
CORRECTIONS = ROOT / "mltu_ext" / "data" / "known_corrections" / "dhsd.csv"
NEW_RUN = Path(__file__).resolve().parent / "runs" / "new"  # until the run gets its number and name


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("probs", nargs="+", help="val_probs.npz files of select runs (same vocabulary)")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="DHSD folder (labels.csv)")
    parser.add_argument("--corrections", default=str(CORRECTIONS), help="checked label corrections (CSV)")
    parser.add_argument("--checkpoint", choices=["best", "last"], default="best")
    parser.add_argument("--lm-order", type=int, default=6)
    parser.add_argument("--lm-weight", type=float, default=0.6, help="the weight every LM row uses")
    parser.add_argument("--sensitivity", default="0.3,1.0", help="other weights tried on the ensemble")
    parser.add_argument("--beam", type=int, default=8)
    parser.add_argument("--out", default=str(NEW_RUN / "best_dhsd_decoding_results.md"))
    return parser.parse_args(argv)


def scores(texts: list[str], labels: list[str]) -> dict[str, float]:
    from mltu_ext.evaluation.error_rates import cer, exact_match, wer

    return {"cer": cer(texts, labels), "wer": wer(texts, labels), "exact": exact_match(texts, labels)}


def run(args: argparse.Namespace) -> list[dict]:
    import numpy as np

    from benchmarks.cpu_training_dhsd.recipes.common import load_split
    from mltu_ext.ctc.beam_lm import beam_decode_batch, lm_from_labels
    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.data.corrections import apply_corrections, load_corrections

    train, val = load_split(args.data)
    # the corrections cover all writers: apply them to the whole set, keep writers 28-30
    corrected = apply_corrections(train + val, load_corrections(args.corrections), args.data)[len(train) :]
    published = [s.text for s in val]
    fixed = [s.text for s in corrected]
    files = [np.load(path) for path in args.probs]
    vocab = str(files[0]["vocabulary"])
    for path, data in zip(args.probs, files, strict=True):
        # the run scored either the published or the corrected labels: both are the same images
        if str(data["vocabulary"]) != vocab or list(data["texts"]) not in (published, fixed):
            raise ValueError(f"{path}: another vocabulary or other validation samples than {args.probs[0]}")
    probs = [data[args.checkpoint].astype(np.float32) for data in files]  # each N,T,C
    lm = lm_from_labels([s.text for s in train], args.lm_order)
    blank = len(vocab)
    rows: list[dict] = []

    def add(name: str, texts: list[str]) -> None:
        rows.append(
            {"reading": name, "published": scores(texts, published), "corrected": scores(texts, fixed)}
        )
        print(json.dumps(rows[-1]), flush=True)

    def with_lm(p, weight: float) -> list[str]:
        return beam_decode_batch(p, vocab, blank, lm=lm, beam=args.beam, alpha=weight)

    for path, p in zip(args.probs, probs, strict=True):
        add(f"one model ({Path(path).parent.parent.name}), greedy", greedy_decode(p, vocab))
        add(f"one model ({Path(path).parent.parent.name}), LM {args.lm_weight:g}", with_lm(p, args.lm_weight))
    mean = np.mean(probs, axis=0)  # N,T,C: frame-wise mean of the models' probabilities
    add(f"ensemble of {len(probs)}, greedy", greedy_decode(mean, vocab))
    add(f"ensemble of {len(probs)}, LM {args.lm_weight:g}", with_lm(mean, args.lm_weight))
    for weight in (float(w) for w in args.sensitivity.split(",") if w):
        add(f"ensemble of {len(probs)}, LM {weight:g} (sensitivity)", with_lm(mean, weight))
    write_report(
        args,
        rows,
        len(train),
        len(val),
        len(val) - sum(a == b for a, b in zip(published, fixed, strict=True)),
    )
    return rows


def write_report(args: argparse.Namespace, rows: list[dict], n_train: int, n_val: int, n_fixed: int) -> None:
    script = "benchmarks/best_dhsd/best_dhsd_decoding.py"
    command = f"PYTHONPATH=. .venv/bin/python {script} " + shlex.join(sys.argv[1:])
    lines = [
        "# Best DHSD recipe on writers 28-30: single models, ensemble, language model",
        "",
        f"Command: `{command}`",
        "",
        f"{n_val} word images of writers 28-30, never trained on; checkpoint `{args.checkpoint}`. "
        f"Language model: character {args.lm_order}-gram (Witten-Bell) of the {n_train} labels of "
        f"writers 1-27, beam {args.beam}. Corpus CER / WER and exact match against the published labels "
        f"and against the labels with the {n_fixed} checked corrections of `{Path(args.corrections).name}`.",
        "",
        "| reading | CER | WER | exact | CER (corrected) | WER (corrected) | exact (corrected) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        p, c = row["published"], row["corrected"]
        lines.append(
            f"| {row['reading']} | {p['cer']:.2%} | {p['wer']:.2%} | {p['exact']:.2%} "
            f"| {c['cer']:.2%} | {c['wer']:.2%} | {c['exact']:.2%} |"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
