"""The line segmenter: prepare training pages from ALTO/PAGE files, train it, export it to ONNX.

python -m mltu_ext.segment prepare --dataset ../shared/data/copiste -o Datasets/seg_pages \\
    --writer-pattern '^(.*?)(?:_\\d)?$' --exclude-writers imp_wikitexte_0012,...
python -m mltu_ext.segment train --data Datasets/seg_pages -o Models/line_segmenter --minutes 30
python -m mltu_ext.segment export Models/line_segmenter     # segmenter.onnx (needs TensorFlow)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mltu_ext.cli.common import POSITIVE_INT, float_in, run_command, set_tensorflow_environment


def _writers(text: str | None) -> list[str] | None:
    return [w.strip() for w in text.split(",") if w.strip()] if text else None


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.segment",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="scaled pages and target maps from layout files")
    prepare.add_argument("--dataset", type=Path, required=True, help="folder (or file) of ALTO / PAGE XML")
    prepare.add_argument("-o", "--output", type=Path, required=True, help="folder to write")
    prepare.add_argument(
        "--long-side", type=POSITIVE_INT, default=1024, help="pixels of a page's longer side"
    )
    prepare.add_argument("--writer-pattern", help="regular expression picking the writer from a file's stem")
    prepare.add_argument("--writers", help="comma-separated writers to keep (default: all)")
    prepare.add_argument("--exclude-writers", help="comma-separated writers to leave out (validation)")
    train = commands.add_parser("train", help="train the segmenter on a prepared folder")
    train.add_argument("--data", type=Path, required=True, help="a folder written by `prepare`")
    train.add_argument("-o", "--output", type=Path, required=True, help="model folder to write")
    train.add_argument("--minutes", type=float_in(0.0, open_low=True), default=30.0, help="training time")
    train.add_argument("--batch-size", type=POSITIVE_INT, default=16)
    train.add_argument("--crop", type=POSITIVE_INT, default=512, help="square training crops, pixels")
    train.add_argument("--steps-per-epoch", type=POSITIVE_INT, default=100)
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="train into a folder that already holds a segmenter, replacing it (without it, refused)",
    )
    export = commands.add_parser("export", help="segmenter.keras to segmenter.onnx (needs TensorFlow)")
    export.add_argument("model_dir", type=Path)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> object:
    """Carry out the chosen subcommand."""
    if args.command == "prepare":
        from mltu_ext.segment.prepare import prepare_pages

        count = prepare_pages(
            args.dataset,
            args.output,
            long_side=args.long_side,
            writer_pattern=args.writer_pattern,
            writers=_writers(args.writers),
            exclude_writers=_writers(args.exclude_writers) or (),
        )
        print(f"wrote {count} pages to {args.output}")
        return 0
    if args.command == "train":
        from mltu_ext.config.segmenter_config import SegmenterConfig
        from mltu_ext.segment.training import train_segmenter

        cfg = SegmenterConfig(batch_size=args.batch_size, crop=args.crop)
        path = train_segmenter(
            args.data, args.output, cfg, args.minutes, args.steps_per_epoch, overwrite=args.overwrite
        )
        print(f"wrote {path}")
        return 0
    from mltu_ext.segment.export import export_segmenter

    path = export_segmenter(args.model_dir)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m mltu_ext.segment``: 0 on success, 2 with one line on stderr for bad input."""
    set_tensorflow_environment()  # export and train may import TensorFlow
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
