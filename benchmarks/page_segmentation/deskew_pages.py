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
    parser.add_argument("--angles", default="0,3,6", help="turns of each page, degrees (commas)")
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
    from mltu_ext.pages.deskew import median_slope, needs_turn, turn_page
    from mltu_ext.pages.layout_file import read_layout_file
    from mltu_ext.pages.page_reader import PageReader
    from mltu_ext.segment.segmenter import OnnxSegmenter

    recognizer = OnnxRecognizer(args.line_model, providers=["CPUExecutionProvider"])
    segmenter = OnnxSegmenter(REPO / "Models" / "line_segmenter", threads=2)
    readers = {
        "as_is": PageReader(recognizer, segmenter, deskew=False),
        "deskew": PageReader(recognizer, segmenter, deskew=True),
    }
    angles = [float(a) for a in args.angles.split(",")]
    totals = {(a, name): [0, 0, 0.0] for a in angles for name in readers}  # edits, chars, seconds
    turned = dict.fromkeys(angles, 0)  # pages the deskew turned
    layouts = val_layouts(args.limit)
    for number, xml in enumerate(layouts, 1):
        layout = read_layout_file(xml)
        page = read_gray(str(layout.image))
        reference = "\n".join(line.text for line in layout.lines if line.text)
        for angle in angles:
            shown = turn_page(page, angle)[0] if angle else page
            turned[angle] += needs_turn(median_slope(segmenter.segment(shown)))
            for name, reader in readers.items():
                start = time.perf_counter()
                read = reader.read(shown, layout.image.name)
                took = time.perf_counter() - start
                edits, chars = char_errors([read.text], [reference])
                total = totals[(angle, name)]
                total[0] += edits
                total[1] += chars
                total[2] += took
        print(f"{number}/{len(layouts)} {xml.stem}", file=sys.stderr, flush=True)
    rows = [
        {
            "angle": angle,
            "reader": name,
            "page_cer": edits / chars,
            "seconds_per_page": seconds / len(layouts),
            "pages_turned": turned[angle] if name == "deskew" else 0,
        }
        for (angle, name), (edits, chars, seconds) in totals.items()
    ]
    result = {"pages": len(layouts), "line_model": str(args.line_model), "decoding": "greedy", "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for row in rows:
        cer, seconds = row["page_cer"], row["seconds_per_page"]
        print(f"{row['angle']:4.1f} {row['reader']:7s} CER {cer:.4f} {seconds:.2f} s a page")
    return result


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
