"""A page's text lines as the package reads and writes them: outlines, baselines, texts, confidences.

All coordinates are page pixels, x to the right and y down from the top-left corner.
"""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (x1, y1 exclusive)


@dataclass(frozen=True)
class CharOnPage:
    """One recognised character: its confidence and where it sits on the line."""

    char: str
    confidence: float
    x: float  # the middle of the character's CTC steps, along the line
    y: float  # on the baseline there (the line's middle height without a baseline)


@dataclass(frozen=True)
class WordOnPage:
    """One recognised word: its text, confidence and box."""

    text: str
    confidence: float
    box: Box


@dataclass(frozen=True)
class LineOnPage:
    """One text line: its outline, baseline and text block, and once read its text and confidences."""

    line_id: str
    polygon: tuple[Point, ...]
    baseline: tuple[Point, ...] | None = None
    block_id: str | None = None
    text: str = ""
    confidence: float = 1.0
    words: tuple[WordOnPage, ...] = ()
    chars: tuple[CharOnPage, ...] = ()

    @property
    def box(self) -> Box:
        """The outline's bounding box."""
        return polygon_box(self.polygon)


@dataclass(frozen=True)
class PageText:
    """A page image's lines in reading order."""

    image: str  # the image's file name, as the outputs name it
    width: int
    height: int
    lines: tuple[LineOnPage, ...]
    # why the page may have read badly (turned, inverted, too small...), one sentence each
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The page's text: its lines in reading order, one per row."""
        return "\n".join(line.text for line in self.lines)


def polygon_box(points: tuple[Point, ...]) -> Box:
    """The bounding box (x0, y0, x1, y1) of ``points``, the last pixel included in it.

    >>> polygon_box(((1, 2), (4, 2), (4, 6)))
    (1, 2, 5, 7)
    """
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs) + 1, max(ys) + 1)
