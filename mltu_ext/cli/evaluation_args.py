"""Command-line helpers that ``inferenceModel.py`` wires to its own parser.

``add_evaluation_arguments(parser)`` adds the options; ``run_evaluation(args,
recognizer)`` runs what they ask for:

    python inferenceModel.py --dataset DIR --report OUT   # full report into OUT
    python inferenceModel.py --dataset DIR --index N      # one sample
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from mltu_ext.cli.common import NON_NEGATIVE_INT, POSITIVE_INT
from mltu_ext.errors import ConfigError, DatasetError

if TYPE_CHECKING:
    from mltu_ext.evaluation.evaluate import Recognizer

SPLITS = ("all", "train", "val", "test")


def add_evaluation_arguments(
    parser: argparse.ArgumentParser, dataset_options: bool = True
) -> argparse._ArgumentGroup:
    """Add the evaluation options (and, unless ``dataset_options`` is False or the
    parser has them already, the dataset options of ``mltu_ext.cli.dataset_args``).

    Evaluation options: --split, --limit, --report, --index, --save-image,
    --batch-size (skipped when the parser defines it), --training-log, --embed-images.
    """
    if dataset_options:
        from mltu_ext.cli.dataset_args import add_dataset_arguments

        try:
            add_dataset_arguments(parser, required=False)
        except argparse.ArgumentError:
            pass  # the caller added --dataset (and friends) itself
    group = parser.add_argument_group("evaluation")
    group.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="part of the dataset to evaluate (default: all). 'val'/'test' repeat the split "
        "train.py made: pass the same --val-fraction/--val-writers/--split-seed",
    )
    group.add_argument("--limit", type=POSITIVE_INT, metavar="N", help="only the first N samples")
    group.add_argument(
        "--report",
        metavar="OUT",
        help="write metrics.json, predictions.csv, PNGs and report.html/report.md into the folder OUT",
    )
    group.add_argument(
        "--index", type=NON_NEGATIVE_INT, metavar="N", help="print truth, prediction and CER of sample N"
    )
    group.add_argument(
        "--save-image", metavar="PNG", help="with --index: also save the image with both texts"
    )
    try:
        group.add_argument("--batch-size", type=POSITIVE_INT, default=32, help="images per predict call")
    except argparse.ArgumentError:
        pass  # inferenceModel.py has its own --batch-size; it means the same
    group.add_argument(
        "--training-log", metavar="CSV", help="CSVLogger file to draw training_curves.png from"
    )
    group.add_argument("--embed-images", action="store_true", help="put the PNGs inside report.html (base64)")
    return group


def run_evaluation(args: argparse.Namespace, recognizer: Recognizer, training_log: str | None = None) -> str:
    """Load ``args.dataset`` and run --report and/or --index; prints and returns the text.

    ``training_log`` is the fallback when --training-log is not given (e.g. the
    model folder's log.csv). Raises ValueError for missing or contradictory options.
    """
    if not getattr(args, "dataset", None):
        raise ConfigError("--dataset is required to evaluate")
    if args.report is None and args.index is None:
        raise ConfigError("give --report OUT (full report) or --index N (one sample)")
    if args.save_image and args.index is None:
        raise ConfigError("--save-image needs --index N")
    # imported here: inferenceModel.py adds these options to every run, and the evaluation
    # (with the data readers it imports) is only needed for --dataset
    from mltu_ext.evaluation.evaluate import evaluate, show_sample

    samples, notes = load_samples(args)
    parts = []
    if args.index is not None:
        parts.append(show_sample(recognizer, samples, args.index, args.save_image))
    if args.report is not None:
        name = os.path.basename(os.path.normpath(args.dataset))
        if args.split != "all":
            name += f" ({args.split})"
        metrics = evaluate(
            recognizer,
            samples,
            args.report,
            batch_size=getattr(args, "batch_size", None) or 32,
            training_log=args.training_log or training_log,
            dataset_name=name,
            embed_images=args.embed_images,
            notes=notes,
        )
        parts.append(summary_text(metrics, args.report))
    text = "\n\n".join(parts)
    print(text)
    return text


def load_samples(args: argparse.Namespace) -> tuple[list, list[str]]:
    """The samples that --dataset, --split and --limit select, and notes on how they were read."""
    # imported here: the data readers are only needed when evaluating
    from mltu_ext.cli.dataset_args import load_from_args, split_from_args

    dataset = load_from_args(args)
    notes = [dataset.summary(), *dataset.notes]
    samples = dataset.samples
    if args.split != "all":
        parts = split_from_args(args, dataset)
        samples = getattr(parts, args.split)
        notes.append(f"split {args.split}: {len(samples)} samples ({parts.info.get('method')})")
    if args.limit is not None:
        if args.limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {args.limit}")
        samples = samples[: args.limit]
        notes.append(f"limited to the first {len(samples)} samples")
    if not samples:
        raise DatasetError(f"{args.dataset}: no samples to evaluate (split {args.split})")
    return samples, notes


def summary_text(metrics: dict, out_dir: str) -> str:
    """A few lines for the terminal: the headline numbers and where the report is."""
    counts = metrics["counts"]
    speed = metrics["throughput"]
    lines = [
        f"{metrics['samples']} samples of {metrics['dataset'] or 'the data set'}",
        f"CER {100 * metrics['cer']:.2f} %  WER {100 * metrics['wer']:.2f} %  "
        f"exact {100 * metrics['exact_match']:.2f} % ({counts['exact_matches']})",
        f"char precision {100 * metrics['char_precision']:.2f} %  "
        f"recall {100 * metrics['char_recall']:.2f} %  F1 {100 * metrics['char_f1']:.2f} %",
        f"{speed['images_per_s']:.1f} img/s in predict, batch {speed['batch_size']}",
    ]
    if metrics["skipped"]["count"]:
        lines.append(f"skipped {metrics['skipped']['count']} unreadable images")
    if metrics.get("unwritable", {}).get("count"):
        from mltu_ext.evaluation.evaluate import unwritable_note

        lines.append(unwritable_note(metrics["unwritable"]))
    if metrics.get("suspect_labels"):
        lines.append(
            f"{len(metrics['suspect_labels'])} labels may belong to another image of the same writer "
            "(listed in the report)"
        )
    lines.append(f"report: {os.path.join(out_dir, 'report.html')}")
    return "\n".join(lines)
