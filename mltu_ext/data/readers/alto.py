"""ALTO XML (v2, v3, v4; eScriptorium, kraken, OCR exports): one sample per ``TextLine``.

A line's outline is its ``Shape/Polygon@POINTS`` (``"x y x y"`` or
``"x,y x,y"``), else the box ``HPOS VPOS WIDTH HEIGHT``; its text is the
``CONTENT`` of its ``String`` elements joined by spaces (``SP`` ignored, a
``HYP`` hyphen kept at the end of the last word). The page image is the one
``Description/sourceImageInformation/fileName`` names (see
:mod:`mltu_ext.data.readers.layout_files` for where it is looked for).
Coordinates in ``mm10`` or ``inch1200`` are scaled to pixels by the image's
size over the ``Page`` ``WIDTH``/``HEIGHT``. Elements are matched by local
name, so any ALTO namespace (or none) is read; unknown ones are ignored.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.layout_common import LineInfo, LineProblem, PageInfo, read_layout
from mltu_ext.data.readers.layout_geometry import Points, parse_baseline, parse_points, rectangle
from mltu_ext.data.readers.layout_xml import (
    ALTO_ROOT,
    attribute,
    children,
    clean_text,
    descendants,
    enclosing,
    local_name,
)
from mltu_ext.data.samples import Sample


def read_alto(
    path: Path | str, log: ReadLog | None = None, writer_pattern: str | re.Pattern | None = None
) -> list[Sample]:
    """Samples of the text lines of an ALTO file, or of every ALTO file below the folder PATH.

    ``writer_pattern`` picks the writer out of each file's stem (default: the
    whole stem); lines without text are skipped and counted in ``log``.
    """
    return read_layout(path, log, writer_pattern, ALTO_ROOT, parse_alto)


def parse_alto(root: ET.Element) -> tuple[PageInfo, list[LineInfo]]:
    """The page and the lines of a parsed ALTO document."""
    unit = _first_text(root, "MeasurementUnit") or "pixel"
    image = _first_text(root, "fileName")
    pages = list(descendants(root, "Page"))
    if len(pages) > 1:
        # one fileName for the document: the other pages' lines would be cut from the wrong image
        raise ValueError(f"{len(pages)} Page elements; a file is read as one page image (one file a page)")
    page = pages[0] if pages else None
    width = _number(page, "WIDTH") if page is not None else None
    height = _number(page, "HEIGHT") if page is not None else None
    info = PageInfo(image=image, width=width, height=height, unit=unit)
    blocks = enclosing(root, "TextBlock")
    lines = []
    for index, line in enumerate(descendants(root, "TextLine"), start=1):
        line_id = attribute(line, "ID")
        text = _line_text(line)
        points = _line_points(line, index, line_id) if text else _outline_if_any(line, index, line_id)
        baseline = parse_baseline(attribute(line, "BASELINE"))
        lines.append(LineInfo(index, line_id, text, points, baseline, blocks.get(line)))
    return info, lines


def _first_text(root: ET.Element, name: str) -> str | None:
    element = next(descendants(root, name), None)
    text = (element.text or "").strip() if element is not None else ""
    return text or None


def _number(element: ET.Element, name: str) -> float | None:
    value = attribute(element, name)
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{local_name(element.tag)} {name}={value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(
            f"{local_name(element.tag)} {name}={value!r} is not a usable size (a number above 0)"
        )
    return number


def _line_text(line: ET.Element) -> str:
    """The ``String`` contents joined by spaces; a ``HYP`` is glued to the word before it."""
    words: list[str] = []
    for element in line.iter():
        if not isinstance(element.tag, str):
            continue
        name = local_name(element.tag)
        if name == "String":
            words.append(attribute(element, "CONTENT") or "")
        elif name == "HYP" and words:
            words[-1] += attribute(element, "CONTENT") or ""
    return clean_text(" ".join(words))


def _outline_if_any(line: ET.Element, index: int, line_id: str | None) -> Points | None:
    """An empty line's outline when it has a usable one (page tools keep such lines), else None."""
    try:
        return _line_points(line, index, line_id)
    except LineProblem:
        return None


def _strings_box(line: ET.Element) -> Points | None:
    """The box around the line's String boxes (HPOS/VPOS/WIDTH/HEIGHT), or None without any."""
    boxes = []
    for string in descendants(line, "String"):
        try:
            x, y, width, height = (
                float(attribute(string, n) or "nan") for n in ("HPOS", "VPOS", "WIDTH", "HEIGHT")
            )
        except ValueError:
            continue
        if all(math.isfinite(v) for v in (x, y, width, height)) and width > 0 and height > 0:
            boxes.append((x, y, x + width, y + height))
    if not boxes:
        return None
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return rectangle(left, top, right - left, bottom - top)


def _line_points(line: ET.Element, index: int, line_id: str | None) -> Points:
    """The line's polygon, else its HPOS/VPOS/WIDTH/HEIGHT box; LineProblem when neither is usable."""
    for shape in children(line, "Shape"):
        for polygon in children(shape, "Polygon"):
            text = attribute(polygon, "POINTS")
            if text and text.strip():
                try:
                    return parse_points(text)
                except ValueError as error:
                    raise LineProblem(index, line_id, f"bad Polygon POINTS: {error}") from None
    box = [attribute(line, name) for name in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]
    if any(value is None or not value.strip() for value in box):
        words = _strings_box(line)
        if words is not None:  # some exports give boxes to the words only
            return words
        raise LineProblem(
            index,
            line_id,
            "no coordinates: no Shape/Polygon POINTS, HPOS/VPOS/WIDTH/HEIGHT, nor String boxes",
        )
    try:
        x, y, width, height = (float(value) for value in box)
    except ValueError:
        raise LineProblem(index, line_id, f"HPOS/VPOS/WIDTH/HEIGHT {box} are not all numbers") from None
    if not all(math.isfinite(v) for v in (x, y, width, height)) or width <= 0 or height <= 0:
        raise LineProblem(index, line_id, f"HPOS/VPOS/WIDTH/HEIGHT {box}: not finite, or a box with no area")
    return rectangle(x, y, width, height)
