"""Are black-and-white page scans read as well as grayscale ones? Page CER with and without softening.

The validation writers' pages (``benchmarks/copiste_lines/split.json``) as scanned and made
bitonal two ways, Otsu's global threshold and Floyd-Steinberg dithering (Pillow's 1-bit
conversion, as a scanner's black-and-white mode may give), are read by ``PageReader`` with the
package's softening of two-level images and without it (``OnnxRecognizer(soften_two_level=False)``,
which the page reader follows): shipped segmenter, ``--line-model``, greedy, one after the other
in the same run. Page CER as in ``package_pages.py``; seconds a page. Results: ``RESULTS.md``,
run 009.

    python benchmarks/page_segmentation/bitonal_pages.py \
        --out benchmarks/page_segmentation/runs/009-bitonal --line-model SPLIT_MODEL
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks" / "page_segmentation"))
sys.path.insert(0, str(REPO / "benchmarks" / "bitonal"))


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    from page_variants import add_common_args

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_args(parser)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    from bitonal_check import dithered, otsu
    from package_pages import val_layouts
    from page_variants import score_pages, write_results

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
    changes = {"gray": lambda page: page, "otsu": otsu, "dithered": dithered}
    layouts = val_layouts(args.limit)
    totals = score_pages(layouts, changes, readers, lambda *_: True)
    rows = [
        {
            "page": change,
            "reader": name,
            "page_cer": edits / chars,
            "seconds_per_page": seconds / len(layouts),
        }
        for (change, name), (edits, chars, seconds, _) in totals.items()
    ]
    result = write_results(args, len(layouts), rows)
    for row in rows:
        cer, seconds = row["page_cer"], row["seconds_per_page"]
        print(f"{row['page']:9s} {row['reader']:13s} CER {cer:.4f} {seconds:.2f} s a page")
    return result


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
