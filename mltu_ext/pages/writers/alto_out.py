"""A read page as ALTO v4 (the 4.4 schema): blocks, lines with outline and baseline, words with confidences.

Each text block holds its lines in reading order; a line is a ``TextLine``
with its ``Shape/Polygon`` and ``BASELINE``, and its words are ``String``
elements (``WC``: the word's confidence, ``CC``: one digit per character, 0
sure to 9 unsure, as ALTO defines it) separated by ``SP``, each holding a
``Glyph`` per character with its box and confidence (``GC``; ``glyphs.py``). A line read as
nothing keeps one empty ``String``, since ALTO wants at least one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from mltu_ext.pages.layout import LineOnPage, PageText, polygon_box
from mltu_ext.pages.writers.glyphs import word_glyphs
from mltu_ext.pages.writers.ids import block_ids, xml_id

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{ALTO_NS} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"


def _number(value: float) -> str:
    """A coordinate as ALTO text: whole numbers without a decimal point."""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded.is_integer() else str(rounded)


def _points(points) -> str:
    """``x y x y ...`` in whole pixels: the form eScriptorium and kraken write and read back
    (ALTO allows it beside ``x,y`` pairs, which their importers do not split)."""
    return " ".join(f"{round(float(x))} {round(float(y))}" for x, y in points)


def _place(element: ET.Element, box) -> None:
    x0, y0, x1, y1 = box
    element.set("HPOS", _number(x0))
    element.set("VPOS", _number(y0))
    element.set("WIDTH", _number(x1 - x0))
    element.set("HEIGHT", _number(y1 - y0))


def _char_digits(line: LineOnPage, start: int, length: int) -> str:
    """ALTO's CC: per character 0 (sure) to 9 (unsure), space-separated."""
    chars = [c for c in line.chars if c.char != " "][start : start + length]
    return " ".join(str(min(9, max(0, round((1.0 - c.confidence) * 9)))) for c in chars)


def _line(parent: ET.Element, line: LineOnPage, line_id: str, taken: set[str]) -> None:
    """The ``TextLine`` of ``line``; the ids of its words and glyphs are added to ``taken``."""
    element = ET.SubElement(parent, f"{{{ALTO_NS}}}TextLine", {"ID": line_id})
    _place(element, line.box)
    if line.baseline:
        element.set("BASELINE", _points(line.baseline))
    shape = ET.SubElement(element, f"{{{ALTO_NS}}}Shape")
    ET.SubElement(shape, f"{{{ALTO_NS}}}Polygon", {"POINTS": _points(line.polygon)})
    if not line.words:  # nothing read, or words without positions: the line's text as one String
        string = ET.SubElement(element, f"{{{ALTO_NS}}}String", {"CONTENT": line.text})
        _place(string, line.box)
        return
    done = 0  # characters of the line's words written so far (CC per word)
    for k, (word, glyphs) in enumerate(zip(line.words, word_glyphs(line), strict=True)):
        if k:
            ET.SubElement(element, f"{{{ALTO_NS}}}SP")
        word_id = xml_id(None, f"{line_id}_w", k + 1, taken)
        string = ET.SubElement(element, f"{{{ALTO_NS}}}String", {"ID": word_id, "CONTENT": word.text})
        _place(string, word.box)
        string.set("WC", f"{min(max(word.confidence, 0.0), 1.0):.4f}")
        digits = _char_digits(line, done, len(word.text))
        if digits and len(digits.split()) == len(word.text):
            string.set("CC", digits)
        done += len(word.text)
        for n, (char, box) in enumerate(glyphs):
            glyph_id = xml_id(None, f"{word_id}_g", n + 1, taken)
            glyph = ET.SubElement(string, f"{{{ALTO_NS}}}Glyph", {"ID": glyph_id, "CONTENT": char.char})
            glyph.set("GC", f"{min(max(char.confidence, 0.0), 1.0):.4f}")
            _place(glyph, box)


def page_alto(page: PageText) -> str:
    """``page`` as ALTO v4 XML text."""
    ET.register_namespace("", ALTO_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(f"{{{ALTO_NS}}}alto", {f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION})
    description = ET.SubElement(root, f"{{{ALTO_NS}}}Description")
    ET.SubElement(description, f"{{{ALTO_NS}}}MeasurementUnit").text = "pixel"
    source = ET.SubElement(description, f"{{{ALTO_NS}}}sourceImageInformation")
    ET.SubElement(source, f"{{{ALTO_NS}}}fileName").text = page.image
    layout = ET.SubElement(root, f"{{{ALTO_NS}}}Layout")
    page_element = ET.SubElement(
        layout,
        f"{{{ALTO_NS}}}Page",
        {"ID": "page_1", "PHYSICAL_IMG_NR": "1", "WIDTH": str(page.width), "HEIGHT": str(page.height)},
    )
    space = ET.SubElement(page_element, f"{{{ALTO_NS}}}PrintSpace")
    _place(space, (0, 0, page.width, page.height))
    blocks = block_ids([line.block_id for line in page.lines])
    taken: set[str] = set(blocks)
    written: set[str] = set()
    number = 0
    # consecutive lines of one block form one TextBlock (reading order keeps blocks together)
    for block_id, group in groupby(zip(blocks, page.lines, strict=True), key=lambda pair: pair[0]):
        lines = [line for _, line in group]
        if block_id in written:  # a block that the order split: its second part gets its own id
            block_id = xml_id(None, "block_", len(written) + 1, taken)
        written.add(block_id)
        block = ET.SubElement(space, f"{{{ALTO_NS}}}TextBlock", {"ID": block_id})
        corners = [p for line in lines for p in line.polygon]
        x0, y0, x1, y1 = polygon_box(tuple(corners))
        _place(block, (x0, y0, x1, y1))
        for line in lines:
            number += 1
            _line(block, line, xml_id(line.line_id, "line_", number, taken), taken)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
