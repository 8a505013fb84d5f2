"""Does reading a page turned by a quarter or a half turn upright work? Page CER with and without.

The validation writers' pages (``benchmarks/copiste_lines/split.json``) as scanned and turned
clockwise by one, two and three quarter turns (``--turns``) are read by ``PageReader`` with its
orientation check on and off: shipped segmenter, ``--line-model`` (on these writers, a split
model that never saw them), greedy, one after the other in the same run. Page CER as in
``package_pages.py`` (the page's text in reading order against the true lines joined by
newlines, corpus level); seconds a page; how many pages were read turned. Results:
``RESULTS.md``, run 008.

    python benchmarks/page_segmentation/orient_pages.py \
        --out benchmarks/page_segmentation/runs/008-orientation --line-model SPLIT_MODEL
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
    parser.add_argument("--turns", default="0,1,2,3", help="clockwise quarter turns of each page (commas)")
    add_common_args(parser)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    from package_pages import val_layouts
    from page_variants import readers_with_and_without, score_pages, write_results

    from mltu_ext.pages.orientation import turn_quarters

    _, readers = readers_with_and_without(args.line_model, "orient")
    changes = {int(t): (lambda page, t=int(t): turn_quarters(page, t)) for t in args.turns.split(",")}

    def read_turned(_name: str, _shown, read) -> bool:
        return any("so it was turned" in note for note in read.notes)

    layouts = val_layouts(args.limit)
    totals = score_pages(layouts, changes, readers, read_turned)
    rows = [
        {
            "quarter_turns": turns,
            "reader": name,
            "page_cer": edits / chars,
            "seconds_per_page": seconds / len(layouts),
            "pages_read_turned": count,
        }
        for (turns, name), (edits, chars, seconds, count) in totals.items()
    ]
    result = write_results(args, len(layouts), rows)
    for row in rows:
        cer, seconds = row["page_cer"], row["seconds_per_page"]
        print(f"{row['quarter_turns']} {row['reader']:7s} CER {cer:.4f} {seconds:.2f} s a page, "
              f"{row['pages_read_turned']} read turned")  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
