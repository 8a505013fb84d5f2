"""PAGE XML (2013, 2019; Transkribus, OCR-D, eScriptorium exports): one sample per ``TextLine``.

A line's outline is its ``Coords@points`` (``"x,y x,y ..."``; the old
``Coords/Point`` children are read too); a line with only a ``Baseline`` has
no area to cut and stops with an error. Its text is the line's own
``TextEquiv/Unicode`` (the lowest ``index`` when there are alternatives),
else its ``Word``\\s' texts joined by spaces. The page image is
``Page@imageFilename``; coordinates are scaled when ``imageWidth`` /
``imageHeight`` are not the image's size (an image scaled after the export).
Lines are found anywhere (text regions, table cells, nested regions), and
elements are matched by local name, so any PAGE namespace version is read.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.layout_common import LineInfo, LineProblem, PageInfo, read_layout
from mltu_ext.data.readers.layout_geometry import Points, parse_baseline, parse_points
from mltu_ext.data.readers.layout_xml import (
    PAGE_ROOT,
    attribute,
    children,
    clean_text,
    descendants,
    enclosing,
)
from mltu_ext.data.samples import Sample


def read_page_xml(
    path: Path | str, log: ReadLog | None = None, writer_pattern: str | re.Pattern | None = None
) -> list[Sample]:
    """Samples of the text lines of a PAGE file, or of every PAGE file below the folder PATH.

    ``writer_pattern`` picks the writer out of each file's stem (default: the
    whole stem); lines without text are skipped and counted in ``log``.
    """
    return read_layout(path, log, writer_pattern, PAGE_ROOT, parse_page_xml)


def parse_page_xml(root: ET.Element) -> tuple[PageInfo, list[LineInfo]]:
    """The page and the lines of a parsed PAGE document."""
    pages = list(descendants(root, "Page"))
    if not pages:
        raise ValueError("no Page element")
    if len(pages) > 1:
        # one image per Page: the other pages' lines would be cut from the first one's image
        raise ValueError(f"{len(pages)} Page elements; a PAGE file describes one page image")
    page = pages[0]
    info = PageInfo(
        image=attribute(page, "imageFilename"),
        width=_size(page, "imageWidth"),
        height=_size(page, "imageHeight"),
    )
    regions = enclosing(root, "TextRegion")
    lines = []
    for index, line in enumerate(descendants(root, "TextLine"), start=1):
        line_id = attribute(line, "id")
        text = _line_text(line)
        points = _line_points(line, index, line_id) if text else _outline_if_any(line, index, line_id)
        found = children(line, "Baseline")
        baseline = parse_baseline(attribute(found[0], "points")) if found else None
        lines.append(LineInfo(index, line_id, text, points, baseline, regions.get(line)))
    return info, lines


def _size(page: ET.Element, name: str) -> float | None:
    value = attribute(page, name)
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"Page {name}={value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"Page {name}={value!r} is not a usable size (a number above 0)")
    return number


def _unicode(element: ET.Element) -> str | None:
    """The text of the element's preferred ``TextEquiv``, or None when it has none."""
    equivs = children(element, "TextEquiv")
    if not equivs:
        return None

    def rank(equiv: ET.Element) -> int:
        index = attribute(equiv, "index")
        return int(index) if index and index.strip().lstrip("-").isdigit() else 0

    best = min(equivs, key=rank)  # min keeps the first of equal ranks
    unicode = children(best, "Unicode")
    return "".join(unicode[0].itertext()) if unicode else ""


def _line_text(line: ET.Element) -> str:
    """The line's TextEquiv; without one (or with an empty one), its Words' texts joined by spaces."""
    text = _unicode(line)
    if not (text and text.strip()):  # some tools transcribe the words and leave the line's empty
        words = (_unicode(word) for word in children(line, "Word"))
        text = " ".join(w for w in words if w)
    return clean_text(text)


def _outline_if_any(line: ET.Element, index: int, line_id: str | None) -> Points | None:
    """An empty line's outline when it has a usable one (page tools keep such lines), else None."""
    try:
        return _line_points(line, index, line_id)
    except LineProblem:
        return None


def _line_points(line: ET.Element, index: int, line_id: str | None) -> Points:
    """The line's Coords polygon; LineProblem when it has none that can be used."""
    for coords in children(line, "Coords"):
        text = attribute(coords, "points")
        if not (text and text.strip()):
            # PAGE 2009/2010: <Coords><Point x= y=/>...</Coords>
            text = " ".join(f"{attribute(p, 'x')},{attribute(p, 'y')}" for p in children(coords, "Point"))
        if text.strip():
            try:
                return parse_points(text)
            except ValueError as error:
                raise LineProblem(index, line_id, f"bad Coords points: {error}") from None
    if children(line, "Baseline"):
        raise LineProblem(
            index, line_id, "no coordinates: a Baseline but no Coords points to cut the line by"
        )
    raise LineProblem(index, line_id, "no coordinates: no Coords points")
