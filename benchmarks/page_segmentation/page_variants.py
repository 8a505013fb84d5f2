"""Validation pages changed several ways, each read by several PageReaders: page CER and time.

Shared by ``deskew_pages.py`` (pages turned by a few degrees), ``orient_pages.py`` (pages
turned by quarter turns) and ``bitonal_pages.py`` (black-and-white pages). Page CER as in
``package_pages.py``: the page's text in reading order against the true lines joined by newlines,
corpus level; for pages not moved, also the lines each reader found against the true ones, matched
as there (``mltu_ext.evaluation.line_matching``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def score_pages(
    layouts: list[Path],
    changes: dict[Hashable, Callable[[np.ndarray], np.ndarray]],
    readers: dict[str, object],
    counted: Callable[[str, np.ndarray, object], bool],
    match: bool = False,
) -> dict[tuple[Hashable, str], list]:
    """[edits, characters, seconds, pages counted] for each (change, reader) over ``layouts``;
    with ``match``, a fifth item: the lines read against the true ones (a ``DetectionScore``).

    Each reader reads each changed page, one after the other; ``counted(reader_name, page_shown,
    page_read)`` says whether the page counts (for example, whether the reader turned it).
    ``match`` is for changes that leave the page's geometry as it is (the true outlines would not
    fit a turned page); the lines matched are those of the reading, in the shown page's frame.
    """
    from mltu_ext.data.images import read_gray
    from mltu_ext.evaluation.error_rates import char_errors
    from mltu_ext.evaluation.line_matching import DetectionScore, match_lines
    from mltu_ext.pages.layout_file import read_layout_file

    totals = {
        (key, name): [0, 0, 0.0, 0] + ([DetectionScore(0, 0, 0)] if match else [])
        for key in changes
        for name in readers
    }
    for number, xml in enumerate(layouts, 1):
        layout = read_layout_file(xml)
        page = read_gray(str(layout.image))
        truth = [line for line in layout.lines if line.text]
        reference = "\n".join(line.text for line in truth)
        for key, change in changes.items():
            shown = change(page)
            for name, reader in readers.items():
                start = time.perf_counter()
                read = reader.read(shown, layout.image.name)
                took = time.perf_counter() - start
                edits, chars = char_errors([read.text], [reference])
                total = totals[(key, name)]
                total[0] += edits
                total[1] += chars
                total[2] += took
                total[3] += bool(counted(name, shown, read))
                if match:
                    found = [line.polygon for line in read.lines]
                    score, _ = match_lines([t.polygon for t in truth], found, shown.shape[:2])
                    total[4] += score
        print(f"{number}/{len(layouts)} {xml.stem}", file=sys.stderr, flush=True)
    return totals


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """--out, --limit and --line-model, as both scripts take them."""
    parser.add_argument("--out", type=Path, required=True, help="folder for results.json")
    parser.add_argument("--limit", type=int, help="this many pages, spread over the validation pages")
    parser.add_argument(
        "--line-model",
        type=Path,
        default=REPO / "Models" / "handwritten_lines",
        help="the line model (for figures on unseen writers, one trained without them: a split model)",
    )


def readers_with_and_without(line_model: Path, option: str) -> tuple[object, dict[str, object]]:
    """The shipped segmenter, and PageReaders named "as_is" and ``option`` with ``option`` off and on."""
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.page_reader import PageReader
    from mltu_ext.segment.segmenter import OnnxSegmenter

    recognizer = OnnxRecognizer(line_model, providers=["CPUExecutionProvider"])
    segmenter = OnnxSegmenter(REPO / "Models" / "line_segmenter", threads=2)
    readers = {
        "as_is": PageReader(recognizer, segmenter, **{option: False}),
        option: PageReader(recognizer, segmenter, **{option: True}),
    }
    return segmenter, readers


def write_results(args: argparse.Namespace, pages: int, rows: list[dict]) -> dict:
    """``args.out``/results.json with the rows; the whole result."""
    result = {"pages": pages, "line_model": str(args.line_model), "decoding": "greedy", "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result
