"""Does reading a sloping page turned level help? Page CER with and without the turn.

The validation writers' pages (``benchmarks/copiste_lines/split.json``) as scanned, and each
turned by ``--angles`` degrees (on a larger canvas, the corners filled with the paper's tone), are
read by ``PageReader`` with its deskew on and off: shipped segmenter, ``--line-model`` (on these
writers, a split model that never saw them), greedy, one after the other in the same run. Page
CER as in ``package_pages.py`` (the page's text in reading order against the true lines joined by
newlines, corpus level); seconds a page; how many pages were turned. Results: ``RESULTS.md``,
run 007.

    python benchmarks/page_segmentation/deskew_pages.py --out benchmarks/page_segmentation/runs/007-deskew \
        --line-model SPLIT_MODEL
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks" / "page_segmentation"))


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    from page_variants import add_common_args

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--angles", default="0,3,6", help="turns of each page, degrees (commas)")
    add_common_args(parser)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    from package_pages import val_layouts
    from page_variants import readers_with_and_without, score_pages, write_results

    from mltu_ext.pages.deskew import median_slope, needs_turn, turn_page

    segmenter, readers = readers_with_and_without(args.line_model, "deskew")
    angles = [float(a) for a in args.angles.split(",")]
    changes = {angle: (lambda page, a=angle: turn_page(page, a)[0] if a else page) for angle in angles}

    def turned(name: str, shown, _read) -> bool:  # pages the deskew turned
        return name == "deskew" and needs_turn(median_slope(segmenter.segment(shown)))

    layouts = val_layouts(args.limit)
    totals = score_pages(layouts, changes, readers, turned)
    rows = [
        {
            "angle": angle,
            "reader": name,
            "page_cer": edits / chars,
            "seconds_per_page": seconds / len(layouts),
            "pages_turned": count,
        }
        for (angle, name), (edits, chars, seconds, count) in totals.items()
    ]
    result = write_results(args, len(layouts), rows)
    for row in rows:
        cer, seconds = row["page_cer"], row["seconds_per_page"]
        print(f"{row['angle']:4.1f} {row['reader']:7s} CER {cer:.4f} {seconds:.2f} s a page")
    return result


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
