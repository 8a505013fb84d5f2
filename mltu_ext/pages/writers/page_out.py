"""A read page as PAGE XML 2019: regions with their lines, outlines, baselines, words and confidences.

PAGE wants whole, non-negative pixel coordinates, so points are rounded and
clipped to the image. The reading order is written both as the order of the
elements and as a ``ReadingOrder`` of the regions; each line, word and
character (``Glyph``, with its box: ``glyphs.py``) carries ``TextEquiv`` with ``conf``.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from itertools import groupby

from mltu_ext.pages.layout import LineOnPage, PageText, polygon_box
from mltu_ext.pages.writers.glyphs import word_glyphs
from mltu_ext.pages.writers.ids import block_ids, xml_id

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{PAGE_NS} {PAGE_NS}/pagecontent.xsd"


def _points(points, width: int, height: int) -> str:
    """``x,y x,y ...`` in whole pixels inside the image; at least two points, as PAGE requires."""
    pairs = [
        (min(max(round(float(x)), 0), max(width - 1, 0)), min(max(round(float(y)), 0), max(height - 1, 0)))
        for x, y in points
    ]
    if len(pairs) == 1:
        pairs.append(pairs[0])
    return " ".join(f"{x},{y}" for x, y in pairs)


def _box_points(box, width: int, height: int) -> str:
    x0, y0, x1, y1 = box
    corners = ((x0, y0), (x1 - 1, y0), (x1 - 1, y1 - 1), (x0, y1 - 1))
    return _points(corners, width, height)


def _text_equiv(parent: ET.Element, text: str, confidence: float | None) -> None:
    equiv = ET.SubElement(parent, f"{{{PAGE_NS}}}TextEquiv")
    if confidence is not None:
        equiv.set("conf", f"{min(max(confidence, 0.0), 1.0):.4f}")
    ET.SubElement(equiv, f"{{{PAGE_NS}}}Unicode").text = text


def _line(
    region: ET.Element, line: LineOnPage, line_id: str, taken: set[str], width: int, height: int
) -> None:
    """The ``TextLine`` of ``line``; the ids of its words and glyphs are added to ``taken``."""
    element = ET.SubElement(region, f"{{{PAGE_NS}}}TextLine", {"id": line_id})
    ET.SubElement(element, f"{{{PAGE_NS}}}Coords", {"points": _points(line.polygon, width, height)})
    if line.baseline:
        ET.SubElement(element, f"{{{PAGE_NS}}}Baseline", {"points": _points(line.baseline, width, height)})
    for k, (word, glyphs) in enumerate(zip(line.words, word_glyphs(line), strict=True)):
        word_id = xml_id(None, f"{line_id}_w", k + 1, taken)
        word_element = ET.SubElement(element, f"{{{PAGE_NS}}}Word", {"id": word_id})
        ET.SubElement(word_element, f"{{{PAGE_NS}}}Coords", {"points": _box_points(word.box, width, height)})
        for n, (char, box) in enumerate(glyphs):
            glyph_id = xml_id(None, f"{word_id}_g", n + 1, taken)
            glyph = ET.SubElement(word_element, f"{{{PAGE_NS}}}Glyph", {"id": glyph_id})
            ET.SubElement(glyph, f"{{{PAGE_NS}}}Coords", {"points": _box_points(box, width, height)})
            _text_equiv(glyph, char.char, char.confidence)
        _text_equiv(word_element, word.text, word.confidence)
    _text_equiv(element, line.text, line.confidence)


def page_xml(page: PageText, created: datetime.datetime | None = None) -> str:
    """``page`` as PAGE XML 2019 text (``created``: the metadata's time, now by default)."""
    ET.register_namespace("", PAGE_NS)
    ET.register_namespace("xsi", XSI_NS)
    stamp = (created or datetime.datetime.now(datetime.UTC)).replace(microsecond=0).isoformat()
    root = ET.Element(f"{{{PAGE_NS}}}PcGts", {f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION})
    metadata = ET.SubElement(root, f"{{{PAGE_NS}}}Metadata")
    ET.SubElement(metadata, f"{{{PAGE_NS}}}Creator").text = "mltu_ext"
    ET.SubElement(metadata, f"{{{PAGE_NS}}}Created").text = stamp
    ET.SubElement(metadata, f"{{{PAGE_NS}}}LastChange").text = stamp
    width, height = page.width, page.height
    page_element = ET.SubElement(
        root,
        f"{{{PAGE_NS}}}Page",
        {"imageFilename": page.image, "imageWidth": str(width), "imageHeight": str(height)},
    )
    blocks = block_ids([line.block_id for line in page.lines])
    taken: set[str] = set(blocks)
    groups = []
    for block_id, group in groupby(zip(blocks, page.lines, strict=True), key=lambda pair: pair[0]):
        if any(block_id == done for done, _ in groups):  # a block the order split in two
            block_id = xml_id(None, "block_", len(groups) + 1, taken)
        groups.append((block_id, [line for _, line in group]))
    if groups:
        order = ET.SubElement(page_element, f"{{{PAGE_NS}}}ReadingOrder")
        ordered = ET.SubElement(order, f"{{{PAGE_NS}}}OrderedGroup", {"id": xml_id(None, "order_", 1, taken)})
        for index, (block_id, _) in enumerate(groups):
            ET.SubElement(
                ordered, f"{{{PAGE_NS}}}RegionRefIndexed", {"index": str(index), "regionRef": block_id}
            )
    number = 0
    for block_id, lines in groups:
        region = ET.SubElement(page_element, f"{{{PAGE_NS}}}TextRegion", {"id": block_id})
        box = polygon_box(tuple(p for line in lines for p in line.polygon))
        ET.SubElement(region, f"{{{PAGE_NS}}}Coords", {"points": _box_points(box, width, height)})
        for line in lines:
            number += 1
            _line(region, line, xml_id(line.line_id, "line_", number, taken), taken, width, height)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
