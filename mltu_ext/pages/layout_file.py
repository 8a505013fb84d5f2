"""A page's lines from its ALTO or PAGE XML file, as :class:`LineOnPage` in image pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mltu_ext.data.readers.alto import parse_alto
from mltu_ext.data.readers.layout_common import page_lines
from mltu_ext.data.readers.layout_xml import ALTO_ROOT, PAGE_ROOT, sniff_root
from mltu_ext.data.readers.page_xml import parse_page_xml
from mltu_ext.errors import DatasetError
from mltu_ext.pages.layout import LineOnPage


@dataclass(frozen=True)
class LayoutFile:
    """What a layout file gives a page tool: the image, its size and the lines with their texts."""

    image: Path
    size: tuple[int, int] | None  # (width, height)
    lines: tuple[LineOnPage, ...]  # in file order; ``text`` is the file's transcription


def read_layout_file(xml: str | Path) -> LayoutFile:
    """The lines of one ALTO (v2-v4) or PAGE (2013, 2019) file; DatasetError names a bad file."""
    xml = Path(xml)
    root = sniff_root(xml)
    parsers = {ALTO_ROOT: parse_alto, PAGE_ROOT: parse_page_xml}
    if root not in parsers:
        raise DatasetError(f"{xml}: not an ALTO or PAGE XML file (root element {root!r})")
    found = page_lines(xml, parsers[root], root)
    taken: set[str] = set()
    lines = []
    for line in found.lines:
        line_id = line.line_id if line.line_id and line.line_id not in taken else f"line{line.index}"
        taken.add(line_id)
        lines.append(
            LineOnPage(
                line_id,
                tuple((float(x), float(y)) for x, y in line.points),
                tuple((float(x), float(y)) for x, y in line.baseline) if line.baseline else None,
                line.block_id,
                text=line.text,
            )
        )
    return LayoutFile(found.image, found.size, tuple(lines))
