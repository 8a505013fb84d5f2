"""Word-confidence calibration of a line model on Copiste's validation writers (split.json).

    python benchmarks/confidence_lines/calibrate_lines.py --model MODEL --out DIR

The 23 validation writers are cut in two by writer (every other one in sorted order): the
temperature is fitted on the first half's lines and measured on the other half's, where the
expected calibration error (ECE, 10 bins) of word confidence and the share of wrong words, all
of them and the 90 % most confident, are reported at temperature 1 and at the fitted one.
A word is right when a word alignment of its line pairs it with the same reference word.
Then every writer held out in turn ("held_out_by_writer"): each of the 23 writers' words scored at
the temperature fitted on the other 22 (mltu_ext.ctc.calibration.held_out_by_group), all words
measured together. Writes DIR/calibration.json.

With ``--lm`` the lines are read as ``inferenceModel.py`` reads them with a model's own language
model: a beam search with a character n-gram of the training writers' texts (and of the word
lists given with ``--lm-words``), at the settings of ``python -m mltu_ext.cli.language_model``;
the word confidences are then those of the texts that search found.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks" / "copiste_lines"))

from split import DATA, load_split  # noqa: E402

WRITER_PATTERN = r"^(.*?)(?:_[123])?$"


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the script's options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--lm", action="store_true", help="decode with the training texts' language model")
    parser.add_argument("--lm-words", type=Path, action="append", default=[], help="word lists for --lm")
    parser.add_argument(
        "--lm-temperature",
        type=float,
        default=1.0,
        help="with --lm: the temperature the word-confidence weights are fitted at (that of the model "
        "they are meant for)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    """Calibrate on one half of the validation writers, measure on the other; write calibration.json."""
    from mltu_ext.cli.calibrate import read_posteriors
    from mltu_ext.ctc.calibration import (
        error_after_keeping,
        expected_calibration_error,
        fit_temperature,
        held_out_by_group,
        word_confidences,
    )
    from mltu_ext.data import load_dataset
    from mltu_ext.inference.recognizer import OnnxRecognizer

    writers = sorted(load_split()["val_writers"])
    halves = (set(writers[0::2]), set(writers[1::2]))
    samples = load_dataset(DATA, writer_pattern=WRITER_PATTERN).samples
    recognizer = OnnxRecognizer(args.model, providers=["CPUExecutionProvider"])
    decode = lm_decoder(args, [s.text for s in samples if s.writer not in set(writers)]) if args.lm else None
    parts = []
    for half in halves:
        chosen = [s for s in samples if s.writer in half]
        probs, texts = read_posteriors(recognizer, chosen)
        if decode is not None:
            texts = [decode(p[None], recognizer.vocabulary, recognizer.blank_index)[0] for p in probs]
        parts.append((probs, texts, [s.text for s in chosen]))
    temperature, fit_ece = fit_temperature(*parts[0], recognizer.vocabulary)
    result = {"model": str(args.model), "decoding": "language model" if args.lm else "greedy",
              "fit_writers": len(halves[0]), "test_writers": len(halves[1]),
              "fit_lines": len(parts[0][0]), "test_lines": len(parts[1][0]), "temperature": temperature,
              "fit_ece": fit_ece}  # fmt: skip
    for name, t in (("uncalibrated", 1.0), ("calibrated", temperature)):
        confidences, right = word_confidences(*parts[1], recognizer.vocabulary, t)
        result[name] = {
            "words": len(right),
            "ece": expected_calibration_error(confidences, right),
            "wrong_words": error_after_keeping(confidences, right, 1.0),
            "wrong_words_in_most_confident_90": error_after_keeping(confidences, right, 0.9),
        }
    probs, texts, truths = (parts[0][k] + parts[1][k] for k in range(3))
    writers_of_lines = [s.writer for half in halves for s in samples if s.writer in half]
    held = held_out_by_group(probs, texts, truths, writers_of_lines, recognizer.vocabulary)
    result["held_out_by_writer"] = {
        "writers": len(held.temperatures),
        "words": len(held.right),
        "temperatures": held.temperatures,
        "ece": held.ece,
        "wrong_words": error_after_keeping(held.confidences, held.right, 1.0),
        "wrong_words_in_most_confident_90": error_after_keeping(held.confidences, held.right, 0.9),
    }
    if args.lm:
        result["language_model_word_confidence"] = lm_word_confidence(
            parts, writers_of_lines, recognizer.vocabulary, decode.lm, args.lm_temperature
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "calibration.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    return result


def main(argv: list[str] | None = None) -> dict:
    """Run the calibration the options ask for; its results."""
    return run(get_args(argv))


def lm_word_confidence(parts, writers_of_lines, vocabulary: str, lm, temperature: float) -> dict:
    """The logistic word confidence of language-model readings (mltu_ext.ctc.lm_confidence):
    fitted on one half and measured on the other, fitted without each writer and measured on it,
    and fitted on all lines (the weights to keep)."""
    from mltu_ext.ctc.calibration import error_after_keeping, expected_calibration_error
    from mltu_ext.ctc.lm_confidence import fit_weights, fit_word_map, mapped, word_table

    def summary(table, probabilities: list) -> dict:
        return {
            "words": len(table),
            "ece_ctc_confidence": expected_calibration_error(table.confidences, table.right),
            "ece": expected_calibration_error(probabilities, table.right),
            "wrong_words": error_after_keeping(probabilities, table.right, 1.0),
            "wrong_words_in_most_confident_90": error_after_keeping(probabilities, table.right, 0.9),
        }

    fit_table, held = (word_table(*part, vocabulary, lm, temperature) for part in parts)
    fitted = fit_weights(fit_table)
    out: dict = {
        "temperature": temperature,
        "halves": {"weights": fitted, **summary(held, mapped(held, fitted))},
    }
    # every writer held out, and the weights fitted on all lines (the ones to keep)
    probs, texts, truths = (parts[0][k] + parts[1][k] for k in range(3))
    every = fit_word_map(probs, texts, truths, vocabulary, lm, temperature, writers_of_lines)
    out["held_out_by_writer"] = summary(every.table, every.held_out)
    out["all_lines_weights"] = every.weights
    return out


def lm_decoder(args: argparse.Namespace, training_texts: list[str]):
    """The beam search that a model folder's language model of these texts (and --lm-words) gives."""
    from mltu_ext.ctc.beam_lm import read_lm_lines
    from mltu_ext.ctc.lm_file import build_decoder

    texts = [t for t in training_texts if t]
    for path in args.lm_words:
        texts += read_lm_lines(path)
    return build_decoder(texts)


if __name__ == "__main__":
    main()
