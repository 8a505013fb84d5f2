"""``python -m mltu_ext.data``: check a dataset or list the formats.

    python -m mltu_ext.data check DATASET [--format F] [--height 32] [--json out.json]
    python -m mltu_ext.data check --dataset DATASET [--writer-pattern REGEX]
    python -m mltu_ext.data export-lines --dataset PAGES -o LINES [--height 64] [--jpeg-quality 90]
    python -m mltu_ext.data formats

``check`` exits with status 1 when the dataset has blocking errors, 2 when it
cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mltu_ext.cli.common import POSITIVE_FLOAT, POSITIVE_INT, int_at_least, run_command
from mltu_ext.cli.dataset_args import add_writer_pattern_argument
from mltu_ext.data.check import check_samples
from mltu_ext.data.detect import FORMATS, load_dataset


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.data", description="Dataset tools for mltu_ext."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="load a dataset and report problems")
    check.add_argument("dataset", nargs="?", default=None, help="dataset folder or labels file")
    # the same option as train.py's, so one command line serves both
    check.add_argument("--dataset", dest="dataset_option", metavar="PATH", help="the same as DATASET")
    check.add_argument(
        "--format", choices=sorted(FORMATS), default=None, help="dataset format (default: detected)"
    )
    check.add_argument("--keep-err", action="store_true", help="IAM: keep 'err' rows")
    check.add_argument("--encoding", metavar="NAME", help="label files' encoding (default UTF-8)")
    add_writer_pattern_argument(check)
    check.add_argument(
        "--height", type=POSITIVE_INT, default=None, help="model input height (for --time-scale)"
    )
    check.add_argument(
        "--vocabulary", default=None, help="the model's characters; others are reported as errors"
    )
    check.add_argument(
        "--max-steps", type=POSITIVE_INT, default=None, help="CTC time steps of the widest allowed image"
    )
    check.add_argument(
        "--time-scale",
        type=POSITIVE_FLOAT,
        default=None,
        help="image width (after resizing to --height) per CTC time step",
    )
    check.add_argument(
        "--no-decode", action="store_true", help="skip decoding images (faster; no size or readability check)"
    )
    check.add_argument("--workers", type=POSITIVE_INT, default=None, help="decoding threads")
    check.add_argument(
        "--json", type=Path, default=None, metavar="FILE", help="also write the report as JSON"
    )
    export = commands.add_parser(
        "export-lines",
        help="write every sample (the text lines of ALTO/PAGE pages) as an image + labels.csv",
        description="Cut the samples out of their pages and write OUT/images/*.png (or .jpg) and "
        "OUT/labels.csv (file_name,text,writer_id,source), which --dataset reads back.",
    )
    export.add_argument("--dataset", required=True, metavar="PATH", help="dataset folder or labels file")
    export.add_argument("--format", choices=sorted(FORMATS), default=None, help="default: detected")
    export.add_argument("--encoding", metavar="NAME", help="label files' encoding (default UTF-8)")
    add_writer_pattern_argument(export)
    export.add_argument("-o", "--out", required=True, type=Path, metavar="FOLDER", help="output folder")
    export.add_argument(
        "--height", type=POSITIVE_INT, default=None, help="scale each image to this height (default: as cut)"
    )
    export.add_argument(
        "--jpeg-quality",
        type=int_at_least(1),
        default=None,
        metavar="Q",
        help="write JPEG of this quality (1-100) instead of PNG: smaller, lossy",
    )
    export.add_argument("--workers", type=POSITIVE_INT, default=None, help="threads")
    commands.add_parser("formats", help="list the dataset formats")
    args = parser.parse_args(argv)
    if args.command == "export-lines" and args.jpeg_quality is not None and args.jpeg_quality > 100:
        parser.error(f"--jpeg-quality {args.jpeg_quality}: use 1-100")
    if args.command == "check":
        given = {p for p in (args.dataset, args.dataset_option) if p is not None}
        if len(given) != 1:
            parser.error("check needs one dataset: DATASET or --dataset PATH")
        args.dataset = given.pop()
    return args


def run(args: argparse.Namespace) -> int:
    """Carry out the command; returns the exit status."""
    if args.command == "formats":
        width = max(map(len, FORMATS))
        for name, fmt in FORMATS.items():
            print(f"{name:<{width}}  {fmt.description}")
        return 0
    dataset = load_dataset(
        args.dataset,
        fmt=args.format,
        keep_err=getattr(args, "keep_err", False),
        encoding=args.encoding,
        writer_pattern=getattr(args, "writer_pattern", None),
    )
    print(dataset.summary())
    for note in dataset.notes:
        print(f"note: {note}")
    if args.command == "export-lines":
        from mltu_ext.data.export_lines import export_samples

        labels = export_samples(
            dataset.samples,
            args.out,
            height=args.height,
            jpeg_quality=args.jpeg_quality,
            workers=args.workers,
        )
        print(f"wrote {len(dataset.samples)} images and {labels}")
        return 0
    report = check_samples(
        dataset.samples,
        vocabulary_chars=args.vocabulary,
        max_steps=args.max_steps,
        time_scale=args.time_scale,
        height=args.height,
        decode_images=not args.no_decode,
        workers=args.workers,
    )
    print(report.to_text())
    if args.json is not None:
        payload = {
            "dataset": {
                "path": str(args.dataset),
                "format": dataset.format,
                "skipped": dataset.skipped,
                "notes": dataset.notes,
            },
            "report": report.to_dict(),
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m mltu_ext.data``: 0, 1 when the check finds blocking errors, 2 for unreadable input."""
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
