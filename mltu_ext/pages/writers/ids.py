"""XML ids for written pages: the given ones where they are valid, else made from a prefix and a number."""

from __future__ import annotations

import re

# an XML NCName, simplified to ASCII: what xsd:ID accepts
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def xml_id(wanted: str | None, prefix: str, number: int, taken: set[str]) -> str:
    """``wanted`` if it is a valid, unused XML id, else ``prefix`` + ``number`` made unique.

    The id chosen is added to ``taken``.

    >>> taken = set()
    >>> xml_id("line_1", "l", 1, taken), xml_id("1 bad", "l", 2, taken), xml_id("line_1", "l", 3, taken)
    ('line_1', 'l2', 'l3')
    """
    candidate = wanted if wanted and _NCNAME.match(wanted) and wanted not in taken else f"{prefix}{number}"
    while candidate in taken:
        candidate += "_"
    taken.add(candidate)
    return candidate


def block_ids(block_keys: list[str | None]) -> list[str]:
    """One block id per line: lines with the same key share it, and so do all lines without one
    (a segmented page's lines form one text block, not a block each, when imported elsewhere).

    >>> block_ids(["r1", None, "r1", None])
    ['r1', 'block_2', 'r1', 'block_2']
    """
    taken: set[str] = set()
    chosen: dict[str | None, str] = {}
    ids = []
    for number, key in enumerate(block_keys, 1):
        if key not in chosen:
            chosen[key] = xml_id(key, "block_", number, taken)
        ids.append(chosen[key])
    return ids
