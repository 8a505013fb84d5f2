"""Calibrate a model's confidences on validation data: fit the temperature of its CTC posteriors.

A CTC network is over-sure of what it reads: of words read with confidence 0.9, fewer than 90 %
are right. This command reads validation images with known text, finds the temperature that
makes word confidence match how often the words are right (lowest expected calibration error),
and with --write stores it in the model (metadata key ``confidence_temperature``), which every
later reading of the model applies to its confidences. The text read does not change.

python -m mltu_ext.cli.calibrate Models/handwritten_lines --dataset pages/ --split all
python -m mltu_ext.cli.calibrate Models/my_model --dataset data/ --val-writers 28,29,30 --split val --write
python -m mltu_ext.cli.calibrate Models/my_model --dataset data/ --val-writers 28,29,30 --lm --write

With --lm it calibrates the readings of the model's own language model (inferenceModel.py --lm)
instead: the words such a beam search changes were given low probabilities by the network yet are
often right, so no temperature fits them; a logistic map of the log CTC confidence, of "changed
by the language model" and of how familiar the word's spelling is to the language model does
(mltu_ext.ctc.lm_confidence), and --write stores its weights in the model's language_model.json.gz.

--plot FILE.png draws a reliability diagram: the share of words right against their confidence,
before and after, and with writers known each writer scored by a fit without it.

Use writers the model was not trained on: on its own training writers a model is surer, and
rightly so.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mltu_ext.cli.common import POSITIVE_INT, check_output_file, run_command
from mltu_ext.cli.dataset_args import add_dataset_arguments
from mltu_ext.errors import ConfigError, DatasetError, ModelLoadError

if TYPE_CHECKING:
    from mltu_ext.inference.recognizer import OnnxRecognizer

# below this many words the expected calibration error of 10 bins is mostly noise
FEW_WORDS = 200


@dataclass(kw_only=True)
class Measured:
    """What both calibrations measure on the chosen samples."""

    samples: int
    words: int
    ece_before: float
    ece_after: float
    wrong_words: float
    wrong_in_most_confident_90: float
    written: bool
    writers: int = 0
    ece_held_out_by_writer: float | None = None  # None with fewer than two known writers


@dataclass(kw_only=True)
class Calibration(Measured):
    """The temperature: what the command measured at temperature 1 and at the fitted one."""

    temperature: float
    held_out_temperatures: tuple[float, float] | None = None  # their lowest and highest


@dataclass(kw_only=True)
class LanguageModelCalibration(Measured):
    """``--lm``: the CTC word confidences of the language model's readings, then mapped."""

    weights: tuple[float, float, float, float]
    changed_words: float  # share of the words that the language model read otherwise than greedy


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.cli.calibrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", help="model folder or .onnx file")
    add_dataset_arguments(parser)
    parser.add_argument(
        "--split",
        choices=("all", "val"),
        default="val",
        help="the samples to calibrate on: the validation part of the split the dataset options "
        "make (default), or all of them (a folder of writers the model never saw)",
    )
    parser.add_argument("--limit", type=POSITIVE_INT, metavar="N", help="only the first N samples")
    parser.add_argument(
        "--write",
        action="store_true",
        help="store the fitted temperature in the model (ONNX file and sidecar)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the measurements to FILE as JSON")
    parser.add_argument(
        "--plot", metavar="FILE.png", help="also draw a reliability diagram (confidence against share right)"
    )
    parser.add_argument(
        "--lm",
        action="store_true",
        help="calibrate the word confidence of readings with the model's own language model "
        "(inferenceModel.py --lm) instead of the temperature: a logistic map fitted on these samples "
        "at the model's temperature (calibrate that first); --write stores it in language_model.json.gz",
    )
    return parser.parse_args(argv)


def read_posteriors(
    recognizer: OnnxRecognizer, samples: list, desc: str = "reading"
) -> tuple[list, list[str]]:
    """Each sample's CTC posteriors (T, C) and its greedy text, with a progress bar.

    One image a call, so that no line's posteriors carry another's padding.
    """
    from tqdm import tqdm

    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.data.samples import sample_pixels

    probs = [recognizer.probabilities([sample_pixels(s)])[0] for s in tqdm(samples, desc=desc, unit="img")]
    texts = [greedy_decode(p[None], recognizer.vocabulary, recognizer.blank_index)[0] for p in probs]
    return probs, texts


def read_chosen_samples(args: argparse.Namespace) -> tuple[list, OnnxRecognizer, list, list[str]]:
    """The samples the options choose (their notes printed), the model, their posteriors and greedy texts."""
    from mltu_ext.cli.evaluation_args import load_samples
    from mltu_ext.inference.recognizer import OnnxRecognizer

    samples, notes = load_samples(args)
    for note in notes:
        print(note)
    recognizer = OnnxRecognizer(args.model, providers=["CPUExecutionProvider"])
    probs, texts = read_posteriors(recognizer, samples)
    return samples, recognizer, probs, texts


def refuse_a_degenerate_fit(temperature: float, right: list[bool], grid: Sequence[float]) -> None:
    """Refuse to store a temperature that these words cannot decide.

    With every word right (or every word wrong) the best temperature is simply the end of the
    range that makes the confidences highest (or lowest); at an end of the range, likewise.
    """
    if all(right) or not any(right):
        share = "right" if all(right) else "wrong"
        raise ConfigError(
            f"every one of the {len(right)} words was read {share}: they cannot decide a temperature "
            "(calibrate on images where the model makes some mistakes); nothing written"
        )
    if temperature in (min(grid), max(grid)):
        raise ConfigError(
            f"the fitted temperature {temperature:g} is at the end of the range tried "
            f"({min(grid):g}-{max(grid):g}): too few or unusual words; nothing written"
        )


def calibrate(args: argparse.Namespace) -> Calibration:
    """Fit the temperature on the chosen samples; with ``--write``, store it in the model."""
    from mltu_ext.ctc.calibration import (
        GRID,
        error_after_keeping,
        expected_calibration_error,
        fit_temperature,
        held_out_by_group,
        word_confidences,
    )
    from mltu_ext.export.metadata import update_metadata

    samples, recognizer, probs, texts = read_chosen_samples(args)
    vocabulary = recognizer.vocabulary
    truths = [s.text for s in samples]
    temperature, ece_after = fit_temperature(probs, texts, truths, vocabulary)
    before, right = word_confidences(probs, texts, truths, vocabulary, 1.0)
    if not right:
        raise DatasetError(
            f"{args.dataset}: the model read no words in {len(samples)} samples; nothing to calibrate"
        )
    if len(right) < FEW_WORDS:
        print(f"warning: only {len(right)} words; a temperature fitted on so few is uncertain")
    after, _ = word_confidences(probs, texts, truths, vocabulary, temperature)
    result = Calibration(
        samples=len(samples),
        words=len(right),
        temperature=temperature,
        ece_before=expected_calibration_error(before, right),
        ece_after=ece_after,
        wrong_words=error_after_keeping(before, right, 1.0),
        wrong_in_most_confident_90=error_after_keeping(after, right, 0.9),
        written=bool(args.write),
    )
    writers = [s.writer for s in samples]
    result.writers = len({w for w in writers if w is not None})
    curves = {
        "temperature 1": (before, right),
        f"temperature {temperature:g}, fitted on these words": (after, right),
    }
    if result.writers >= 2 and None not in writers:
        held = held_out_by_group(probs, texts, truths, writers, vocabulary)
        result.ece_held_out_by_writer = held.ece
        result.held_out_temperatures = (min(held.temperatures.values()), max(held.temperatures.values()))
        curves["each writer at the temperature fitted on the others"] = (held.confidences, held.right)
    if args.write:
        refuse_a_degenerate_fit(temperature, right, GRID)
        update_metadata(recognizer.path, confidence_temperature=temperature)
    if args.plot:  # after --write: a path it cannot write leaves the fit stored
        draw_reliability(args, curves, f"{len(samples)} samples, greedy readings")
    return result


def calibrate_language_model(args: argparse.Namespace) -> LanguageModelCalibration:
    """Fit the word-confidence map of the model's language-model readings; with ``--write``, store it."""
    from tqdm import tqdm

    from mltu_ext.ctc.calibration import error_after_keeping, expected_calibration_error
    from mltu_ext.ctc.lm_confidence import fit_word_map, mapped
    from mltu_ext.ctc.lm_file import language_model_path, model_decoder, set_word_confidence

    decoder = model_decoder(args.model)
    if decoder is None:
        raise ModelLoadError(
            f"{language_model_path(args.model)}: no language model to calibrate "
            "(make one with python -m mltu_ext.cli.language_model)"
        )
    samples, recognizer, probs, _ = read_chosen_samples(args)
    vocabulary = recognizer.vocabulary
    texts = [decoder(p[None], vocabulary, recognizer.blank_index)[0] for p in tqdm(probs, desc="decoding")]
    writers = [s.writer for s in samples]
    fitted = fit_word_map(
        probs, texts, [s.text for s in samples], vocabulary, decoder.lm, recognizer.temperature, writers
    )
    table = fitted.table
    confidences, changed, right = table.confidences, table.changed, table.right
    if not right:
        raise DatasetError(
            f"{args.dataset}: the model read no words in {len(samples)} samples; nothing to calibrate"
        )
    if len(right) < FEW_WORDS:
        print(f"warning: only {len(right)} words; a map fitted on so few is uncertain")
    after = mapped(table, fitted.weights)
    result = LanguageModelCalibration(
        samples=len(samples),
        words=len(right),
        weights=fitted.weights,
        changed_words=sum(changed) / len(changed),
        ece_before=expected_calibration_error(confidences, right),
        ece_after=expected_calibration_error(after, right),
        wrong_words=error_after_keeping(after, right, 1.0),
        wrong_in_most_confident_90=error_after_keeping(after, right, 0.9),
        written=bool(args.write),
        writers=len({w for w in writers if w is not None}),
    )
    curves = {"CTC confidence": (confidences, right), "mapped, fitted on these words": (after, right)}
    if fitted.held_out is not None:
        result.ece_held_out_by_writer = expected_calibration_error(fitted.held_out, right)
        curves["each writer mapped by weights fitted on the others"] = (fitted.held_out, right)
    if args.write:
        set_word_confidence(language_model_path(recognizer.path), fitted.weights)
    if args.plot:  # after --write, as above
        draw_reliability(args, curves, f"{len(samples)} samples, language-model readings")
    return result


def draw_reliability(
    args: argparse.Namespace, curves: dict[str, tuple[Sequence[float], Sequence[bool]]], title: str
) -> None:
    """``--plot``: the reliability diagram of these sets of word confidences."""
    from mltu_ext.evaluation.plots import plot_reliability

    plot_reliability(curves, args.plot, f"{Path(args.model).name}: {title}")
    print(f"reliability diagram: {args.plot}")


def run_language_model(args: argparse.Namespace) -> LanguageModelCalibration:
    """``--lm``: calibrate, then print (and with ``--json`` save) what was measured."""
    result = calibrate_language_model(args)
    print(
        f"{result.words} words in {result.samples} samples read with the language model "
        f"({result.changed_words:.1%} of them otherwise than greedy): expected calibration error "
        f"{result.ece_before:.3f} as the network gives it -> {result.ece_after:.3f} mapped; "
        f"{result.wrong_words:.1%} of the words wrong, {result.wrong_in_most_confident_90:.1%} of the "
        "90 % most confident"
    )
    if result.ece_held_out_by_writer is not None:
        print(
            f"held out by writer ({result.writers} writers, each mapped by weights fitted on the others): "
            f"expected calibration error {result.ece_held_out_by_writer:.3f}"
        )
    print(
        "written to the model's language model" if result.written else "not written (add --write to store it)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(result), indent=1) + "\n", encoding="utf-8")
    return result


def run(args: argparse.Namespace) -> Calibration | LanguageModelCalibration:
    """Calibrate, then print (and with ``--json`` save) what was measured."""
    # before the samples are read and fitted: a path that cannot be written would waste all that
    for option, path in (("--json", args.json), ("--plot", args.plot)):
        if path:
            check_output_file(path, option)
    if args.lm:
        return run_language_model(args)
    result = calibrate(args)
    print(
        f"{result.words} words in {result.samples} samples: temperature {result.temperature:g}; "
        f"expected calibration error {result.ece_before:.3f} at 1 -> {result.ece_after:.3f}; "
        f"{result.wrong_words:.1%} of the words wrong, {result.wrong_in_most_confident_90:.1%} of the "
        "90 % most confident"
    )
    if result.ece_held_out_by_writer is not None:
        low, high = result.held_out_temperatures
        print(
            f"held out by writer ({result.writers} writers, each at the temperature fitted on the others, "
            f"{low:g}-{high:g}): expected calibration error {result.ece_held_out_by_writer:.3f}"
        )
    print(
        f"written to {args.model}" if result.written else "not written (add --write to store it in the model)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(result), indent=1) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    """``mltu-calibrate``: 0 on success, 2 with one line on stderr for bad input."""
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
