"""How surely do a page's longest lines read as they lie and turned over, upright and upside down?

For each validation page (``benchmarks/copiste_lines/split.json``), as scanned and turned 180
degrees: the page is segmented and read as it lies (no checks, no turns), and the mean character
confidence of its ``UPSIDE_DOWN_LINES`` longest read lines is taken as read and with those lines
read again turned over, as ``mltu_ext.pages.page_checks.upside_down_confidences`` does before its
thresholds. The thresholds ``SURE_UPRIGHT`` and ``UPSIDE_DOWN_MARGIN`` come from these figures
(``RESULTS.md``, run 008).

    python benchmarks/page_segmentation/flip_confidences.py \
        --out benchmarks/page_segmentation/runs/008-orientation
    python benchmarks/page_segmentation/flip_confidences.py --out ... --line-model SPLIT_MODEL

Each run writes ``flip_confidences_<the line model's folder name>.json`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks" / "page_segmentation"))


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    from page_variants import add_common_args

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_args(parser)
    return parser.parse_args(argv)


def _mean(confidences: list[float]) -> float:
    return float(np.mean(confidences)) if confidences else 0.0


def run(args: argparse.Namespace) -> dict:
    from package_pages import val_layouts

    from mltu_ext.data.images import read_gray
    from mltu_ext.data.line_crop import crop_polygon
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.layout_file import read_layout_file
    from mltu_ext.pages.page_checks import UPSIDE_DOWN_LINES
    from mltu_ext.pages.read_lines import read_page
    from mltu_ext.segment.segmenter import OnnxSegmenter

    recognizer = OnnxRecognizer(args.line_model, providers=["CPUExecutionProvider"])
    segmenter = OnnxSegmenter(REPO / "Models" / "line_segmenter", threads=2)
    pages = []
    for xml in val_layouts(args.limit):
        page = read_gray(str(read_layout_file(xml).image))
        row = {"page": xml.stem}
        for name, shown in (("upright", page), ("upside_down", np.ascontiguousarray(page[::-1, ::-1]))):
            read = read_page(shown, segmenter.segment(shown), recognizer, xml.stem, 16)
            readable = [line for line in read.lines if line.chars and len(line.polygon) >= 3]
            longest = sorted(readable, key=lambda line: -len(line.chars))[:UPSIDE_DOWN_LINES]
            over = recognizer.read([crop_polygon(shown, line.polygon)[::-1, ::-1] for line in longest])
            row[name] = {
                "as_read": _mean([c.confidence for line in longest for c in line.chars]),
                "turned_over": _mean([c.confidence for reading in over for c in reading.chars]),
            }
        pages.append(row)
        print(json.dumps(row), flush=True)

    def gains(name: str) -> list[float]:  # turned over minus as read
        return [p[name]["turned_over"] - p[name]["as_read"] for p in pages]

    summary = {
        "pages": len(pages),
        "line_model": str(args.line_model),
        "upright_as_read_min": min(p["upright"]["as_read"] for p in pages),
        "upside_down_as_read_max": max(p["upside_down"]["as_read"] for p in pages),
        "upright_gain_max": max(gains("upright")),
        "upside_down_gain_min": min(gains("upside_down")),
        "rows": pages,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"flip_confidences_{Path(args.line_model).name}.json"
    target.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print({k: round(v, 3) for k, v in summary.items() if k.endswith(("min", "max"))})
    return summary


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
