"""Dataset options shared by command-line tools (train.py, the check command)."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from mltu_ext.cli.common import FRACTION, NON_NEGATIVE_INT
from mltu_ext.data.format_names import FORMAT_NAMES

if TYPE_CHECKING:
    from mltu_ext.data.readers.common import LoadedDataset
    from mltu_ext.data.split import SplitResult


def add_dataset_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """Add ``--dataset``, ``--format``, ``--encoding``, ``--keep-err``, ``--writer-pattern``,
    ``--corrections``, ``--val-fraction``, ``--val-writers`` and ``--split-seed`` to ``parser``."""
    group = parser.add_argument_group("dataset")
    group.add_argument(
        "--dataset",
        required=required,
        metavar="PATH",
        help="dataset folder or labels file (words.txt, labels.csv, ...)",
    )
    group.add_argument(
        "--format",
        choices=sorted(FORMAT_NAMES),
        default=None,
        help="dataset format (default: detected from the files)",
    )
    group.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding of the label files that are not UTF-8, e.g. cp1252 (default: UTF-8, with or "
        "without BOM; files that are valid UTF-8 are always read as UTF-8)",
    )
    group.add_argument(
        "--keep-err", action="store_true", help="IAM: keep rows whose segmentation is marked 'err'"
    )
    add_writer_pattern_argument(group)
    group.add_argument(
        "--corrections",
        metavar="CSV",
        help="checked label corrections: columns file_name,published,corrected, file names "
        "relative to the dataset folder (e.g. mltu_ext/data/known_corrections/dhsd.csv for DHSD)",
    )
    group.add_argument(
        "--val-fraction",
        type=FRACTION,
        default=0.1,
        help="share of samples for validation when the dataset has no split "
        "(whole writers when known; default 0.1)",
    )
    group.add_argument(
        "--val-writers",
        type=_writer_list,
        default=None,
        metavar="IDS",
        help="comma-separated writer ids for validation, e.g. 28,29,30",
    )
    group.add_argument(
        "--split-seed",
        type=NON_NEGATIVE_INT,
        default=0,
        help="seed of the train/validation split (default 0)",
    )


WRITER_PATTERN_HELP = (
    "ALTO/PAGE XML: a regular expression searched in each XML file's stem; its first group "
    "(or the whole match) is the writer id (default: the whole stem). For Copiste, whose "
    "pages imp_wikitexte_0051_1, _2 are one writer's: '^(.*?)(?:_\\d)?$' (one digit, so "
    "that a one-page text such as imp_wikitexte_0022 keeps its number)"
)


def writer_pattern(text: str) -> str:
    """``text`` when it is a regular expression (an argparse type)."""
    try:
        re.compile(text)
    except re.error as error:
        raise argparse.ArgumentTypeError(f"not a regular expression: {error}") from None
    return text


def add_writer_pattern_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add ``--writer-pattern REGEX`` (the check command has it too)."""
    parser.add_argument(
        "--writer-pattern", type=writer_pattern, default=None, metavar="REGEX", help=WRITER_PATTERN_HELP
    )


def _writer_list(text: str) -> list[str]:
    writers = [w.strip() for w in text.split(",") if w.strip()]
    if not writers:
        raise argparse.ArgumentTypeError("expected comma-separated writer ids")
    return writers


def load_from_args(args: argparse.Namespace) -> LoadedDataset:
    """Load the dataset named by the arguments of :func:`add_dataset_arguments`, corrections applied."""
    # imported here, not at the top: inferenceModel.py adds the dataset options to every run
    from mltu_ext.data.corrections import apply_corrections, load_corrections
    from mltu_ext.data.detect import load_dataset

    dataset = load_dataset(
        args.dataset,
        fmt=getattr(args, "format", None),
        keep_err=getattr(args, "keep_err", False),
        encoding=getattr(args, "encoding", None),
        writer_pattern=getattr(args, "writer_pattern", None),
    )
    if getattr(args, "corrections", None):
        fixes = load_corrections(args.corrections)
        dataset.samples = apply_corrections(dataset.samples, fixes, dataset.root)
        dataset.notes.append(f"{len(fixes)} labels corrected as {args.corrections} says")
    return dataset


def split_from_args(args: argparse.Namespace, dataset: LoadedDataset) -> SplitResult:
    """Split ``dataset`` as the arguments say: ``--val-writers`` wins over ``--val-fraction``."""
    from mltu_ext.data.split import split_by_writer_ids, split_samples

    if getattr(args, "val_writers", None):
        return split_by_writer_ids(dataset.samples, args.val_writers)
    return split_samples(
        dataset.samples, val_fraction=getattr(args, "val_fraction", 0.1), seed=getattr(args, "split_seed", 0)
    )
