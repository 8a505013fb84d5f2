"""Character boxes for the XML outputs' ``Glyph`` elements, from where each character was read.

A page's characters carry one point each (the middle of their CTC steps along
the line); ALTO and PAGE describe a glyph by a box. A character's box spans
the word's height and, along the line, from halfway to the character before
it to halfway to the one after it (the word's own edges for its first and
last character), and at least one pixel wide.
"""

from __future__ import annotations

from itertools import pairwise

from mltu_ext.pages.layout import Box, CharOnPage, LineOnPage


def word_glyphs(line: LineOnPage) -> list[list[tuple[CharOnPage, Box]]]:
    """Per word of ``line``, each of its characters with a box in page pixels.

    Every list is empty when the line's characters (spaces aside) do not spell
    its words, so that no glyph is given to the wrong word.

    >>> from mltu_ext.pages.layout import WordOnPage
    >>> spots = (("a", 12.0), ("b", 20.0), (" ", 26.0), ("c", 34.0))
    >>> chars = tuple(CharOnPage(c, 0.9, x, 50.0) for c, x in spots)
    >>> words = (WordOnPage("ab", 0.9, (10.0, 40.0, 24.0, 60.0)), WordOnPage("c", 0.9, (30, 40, 38, 60)))
    >>> line = LineOnPage("l1", (), words=words, chars=chars)
    >>> [[box for _, box in glyphs] for glyphs in word_glyphs(line)]
    [[(10.0, 40.0, 16.0, 60.0), (16.0, 40.0, 24.0, 60.0)], [(30, 40, 38, 60)]]
    """
    chars = [c for c in line.chars if c.char != " "]
    if "".join(c.char for c in chars) != "".join(word.text for word in line.words):
        return [[] for _ in line.words]
    found: list[list[tuple[CharOnPage, Box]]] = []
    start = 0
    for word in line.words:
        own = chars[start : start + len(word.text)]
        start += len(word.text)
        x0, y0, x1, y1 = word.box
        middles = [(a.x + b.x) / 2 for a, b in pairwise(own)]
        edges = [x0, *(min(max(x, x0), x1) for x in middles), x1]
        found.append(
            [
                (char, (round(left, 1), y0, round(max(right, left + 1), 1), y1))  # at least a pixel wide
                for char, (left, right) in zip(own, pairwise(edges), strict=True)
            ]
        )
    return found
