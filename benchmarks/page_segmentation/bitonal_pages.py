"""Are black-and-white page scans read as well as grey ones? Page CER and lines found, softened or not.

The validation writers' pages (``benchmarks/copiste_lines/split.json``) as scanned and made
bitonal two ways, Otsu's global threshold and Floyd-Steinberg dithering (Pillow's 1-bit
conversion, as a scanner's black-and-white mode may give), and each bitonal page also saved as a
JPEG at quality 75 by OpenCV and read back in memory (``otsu_jpeg``, ``dithered_jpeg``: a
black-and-white scan stored lossily, whose ringing leaves more than two grey levels; since run 011
the package makes such a page two-level again, ``snap_near_two_level``, before softening it), are
read by ``PageReader`` with the package's softening of two-level images and without it
(``OnnxRecognizer(soften_two_level=False)``, which the page reader follows): shipped segmenter,
``--line-model``, greedy, one after the other in the same run. For each page variant and reader:
page CER as in ``package_pages.py``; the lines the reader found against the true ones, matched as
there (IoU >= 0.5, one to one, ``mltu_ext.evaluation.line_matching``): precision, recall and F1
over all pages; seconds a page; and how many pages hold exactly two grey levels or nearly so
(``is_two_level``, ``is_near_two_level``: the tests the softening makes; in run 010, two levels
only). ``--variants`` reads some of the variants only. Results: ``RESULTS.md``, runs 009 (no line
scores, no JPEG variants), 010 and 011.

    python benchmarks/page_segmentation/bitonal_pages.py \
        --out benchmarks/page_segmentation/runs/010-bitonal-f1-jpeg --line-model SPLIT_MODEL
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
VARIANTS = ("gray", "otsu", "dithered", "otsu_jpeg", "dithered_jpeg")
sys.path.insert(0, str(REPO / "benchmarks" / "page_segmentation"))
sys.path.insert(0, str(REPO / "benchmarks" / "bitonal"))

JPEG_QUALITY = 75  # libjpeg's and Pillow's default quality (OpenCV's is 95)


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    from page_variants import add_common_args

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_args(parser)
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=VARIANTS,
        default=list(VARIANTS),
        help="the page variants to read (default: all)",
    )
    return parser.parse_args(argv)


def jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> np.ndarray:
    """``image`` saved as a JPEG by OpenCV and read back, in memory: a bitonal scan stored lossily."""
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("OpenCV could not encode the page as JPEG")
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def run(args: argparse.Namespace) -> dict:
    from bitonal_check import dithered, otsu
    from package_pages import val_layouts
    from page_variants import score_pages, write_results

    from mltu_ext.data.images import is_near_two_level, is_two_level
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.page_reader import PageReader
    from mltu_ext.segment.segmenter import OnnxSegmenter

    segmenter = OnnxSegmenter(REPO / "Models" / "line_segmenter", threads=2)
    readers = {
        name: PageReader(
            OnnxRecognizer(args.line_model, providers=["CPUExecutionProvider"], soften_two_level=soften),
            segmenter,
        )
        for name, soften in (("not_softened", False), ("softened", True))
    }
    changes = {
        "gray": lambda page: page,
        "otsu": otsu,
        "dithered": dithered,
        # JPEG's ringing leaves more than two grey levels: such a page is made two-level again
        # (snap_near_two_level) before it is softened
        "otsu_jpeg": lambda page: jpeg(otsu(page)),
        "dithered_jpeg": lambda page: jpeg(dithered(page)),
    }
    changes = {name: change for name, change in changes.items() if name in args.variants}
    layouts = val_layouts(args.limit)

    def two_level(_name: str, shown: np.ndarray, _read) -> bool:  # pages softening would touch
        return is_two_level(shown) or is_near_two_level(shown)

    totals = score_pages(layouts, changes, readers, two_level, match=True)
    rows = [
        {
            "page": change,
            "reader": name,
            "page_cer": edits / chars,
            "precision": lines.precision,
            "recall": lines.recall,
            "f1": lines.f1,
            "true_lines": lines.true_lines,
            "found_lines": lines.found_lines,
            "matched_lines": lines.matched,
            "seconds_per_page": seconds / len(layouts),
            "two_level_pages": count,
        }
        for (change, name), (edits, chars, seconds, count, lines) in totals.items()
    ]
    result = write_results(args, len(layouts), rows)
    for row in rows:
        cer, f1, seconds = row["page_cer"], row["f1"], row["seconds_per_page"]
        two = row["two_level_pages"]
        print(
            f"{row['page']:13s} {row['reader']:13s} CER {cer:.4f} F1 {f1:.3f} "
            f"{seconds:.2f} s a page, {two} two-level pages"
        )
    return result


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
