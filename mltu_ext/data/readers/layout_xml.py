"""XML helpers of the ALTO and PAGE XML readers: names, attributes, the root element, line numbers.

Elements are matched by local name (without namespace), so any version of
either format reads the same.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

# The root element's local name of each format.
ALTO_ROOT = "alto"
PAGE_ROOT = "PcGts"
# What the root sniffer reads at a time.
SNIFF_CHUNK = 64 * 1024


def local_name(tag: str) -> str:
    """``tag`` without its ``{namespace}``: any ALTO or PAGE version matches by name.

    >>> local_name("{http://www.loc.gov/standards/alto/ns-v4#}TextLine"), local_name("TextLine")
    ('TextLine', 'TextLine')
    """
    return tag.rpartition("}")[2]


def children(element: ET.Element, name: str) -> list[ET.Element]:
    """The direct children of ``element`` whose local name is ``name``."""
    return [child for child in element if local_name(child.tag) == name]


def descendants(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every element below ``element`` (itself included) whose local name is ``name``, in file order."""
    return (e for e in element.iter() if isinstance(e.tag, str) and local_name(e.tag) == name)


def attribute(element: ET.Element, name: str) -> str | None:
    """The attribute ``name`` of ``element`` whatever its namespace prefix, else None."""
    if name in element.attrib:
        return element.attrib[name]
    return next((v for k, v in element.attrib.items() if local_name(k) == name), None)


def clean_text(text: str) -> str:
    """Whitespace stripped and collapsed to single spaces: a line's label."""
    return " ".join(text.split())


def enclosing(root: ET.Element, name: str) -> dict[ET.Element, str | None]:
    """For every element below ``root``: the id of its nearest ancestor named ``name`` (or None)."""
    found: dict[ET.Element, str | None] = {}

    def walk(element: ET.Element, current: str | None) -> None:
        for child in element:
            if not isinstance(child.tag, str):
                continue
            here = current
            if local_name(child.tag) == name:
                here = attribute(child, "ID") or attribute(child, "id") or current
            found[child] = here
            walk(child, here)

    walk(root, None)
    return found


def sniff_root(path: Path) -> str | None:
    """The local name of the root element of the XML file ``path``, reading only up to it.

    The file is fed to an incremental parser chunk by chunk until the root's start tag, however
    long the comments or other prolog before it (a tool's licence or history); nothing after that
    tag is read, so a large file costs no more than its prolog. None when the file cannot be
    read, has no root element, or is not well-formed XML up to it.
    """
    parser = ET.XMLPullParser(events=("start",))
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(SNIFF_CHUNK):
                parser.feed(chunk)
                for _event, element in parser.read_events():
                    return local_name(element.tag)
    except (OSError, ET.ParseError):
        return None
    return None


def element_line(data: bytes, name: str, index: int) -> int | None:
    """The line in the XML text where the ``index``-th (from 1) element named ``name`` starts.

    ElementTree keeps no line numbers; this second pass runs only for an error message.
    """
    parser = expat.ParserCreate(namespace_separator="}")
    seen = 0
    found: list[int] = []

    def start(tag: str, _attributes: dict) -> None:
        nonlocal seen
        if not found and local_name(tag) == name:
            seen += 1
            if seen == index:
                found.append(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        pass  # the line, when found, came before the error
    return found[0] if found else None
