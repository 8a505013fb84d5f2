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
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks" / "page_segmentation"))


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for results.json")
    parser.add_argument("--turns", default="0,1,2,3", help="clockwise quarter turns of each page (commas)")
    parser.add_argument("--limit", type=int, help="this many pages, spread over the validation pages")
    parser.add_argument(
        "--line-model",
        type=Path,
        default=REPO / "Models" / "handwritten_lines",
        help="the line model (for figures on unseen writers, one trained without them: a split model)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    from package_pages import val_layouts

    from mltu_ext.data.images import read_gray
    from mltu_ext.evaluation.error_rates import char_errors
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.layout_file import read_layout_file
    from mltu_ext.pages.orientation import turn_quarters
    from mltu_ext.pages.page_reader import PageReader
    from mltu_ext.segment.segmenter import OnnxSegmenter

    recognizer = OnnxRecognizer(args.line_model, providers=["CPUExecutionProvider"])
    segmenter = OnnxSegmenter(REPO / "Models" / "line_segmenter", threads=2)
    readers = {
        "as_is": PageReader(recognizer, segmenter, orient=False),
        "orient": PageReader(recognizer, segmenter, orient=True),
    }
    all_turns = [int(t) for t in args.turns.split(",")]
    totals = {(t, name): [0, 0, 0.0, 0] for t in all_turns for name in readers}  # edits, chars, s, turned
    layouts = val_layouts(args.limit)
    for number, xml in enumerate(layouts, 1):
        layout = read_layout_file(xml)
        page = read_gray(str(layout.image))
        reference = "\n".join(line.text for line in layout.lines if line.text)
        for turns in all_turns:
            shown = turn_quarters(page, turns)
            for name, reader in readers.items():
                start = time.perf_counter()
                read = reader.read(shown, layout.image.name)
                took = time.perf_counter() - start
                edits, chars = char_errors([read.text], [reference])
                total = totals[(turns, name)]
                total[0] += edits
                total[1] += chars
                total[2] += took
                total[3] += any("so it was turned" in note for note in read.notes)
        print(f"{number}/{len(layouts)} {xml.stem}", file=sys.stderr, flush=True)
    rows = [
        {
            "quarter_turns": turns,
            "reader": name,
            "page_cer": edits / chars,
            "seconds_per_page": seconds / len(layouts),
            "pages_read_turned": turned,
        }
        for (turns, name), (edits, chars, seconds, turned) in totals.items()
    ]
    result = {"pages": len(layouts), "line_model": str(args.line_model), "decoding": "greedy", "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for row in rows:
        cer, seconds = row["page_cer"], row["seconds_per_page"]
        print(f"{row['quarter_turns']} {row['reader']:7s} CER {cer:.4f} {seconds:.2f} s a page, "
              f"{row['pages_read_turned']} read turned")  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
