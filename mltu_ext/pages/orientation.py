"""Pages given turned by a quarter or a half turn: found by how surely their lines read, read upright.

A page scanned sideways segments into short pieces, and one scanned upside down reads as
confident-looking nonsense. Turning the page by whole quarter turns loses nothing (no
resampling), so such a page is read upright and every position is turned back onto the page as
it was given (``deskew.page_back`` with the matrix of the turn).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from mltu_ext.data.line_crop import crop_polygon
from mltu_ext.pages.deskew import median_slope, needs_turn
from mltu_ext.pages.layout import LineOnPage, PageText

if TYPE_CHECKING:
    from mltu_ext.inference.recognizer import OnnxRecognizer

# line outlines less than this many times as wide as tall are pieces, not lines of text: it lies
# well under a real line's shape and above a quarter-turned page's pieces
MIN_LINE_ASPECT = 4.0
MIN_LINES_FOR_SHAPE = 8
# how many of the widest lines are read to judge a way up: enough to outvote one odd line, few
# enough that trying a turn costs little next to reading the page
PROBE_LINES = 4

_ROTATE = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}


def quarter_matrix(turns: int, width: int, height: int) -> np.ndarray:
    """The 2x3 affine matrix from pixels of a ``width`` x ``height`` page to those of the page
    turned clockwise by ``turns`` quarter turns (``cv2.rotate``'s result).

    >>> quarter_matrix(1, 4, 3) @ [0, 0, 1]  # the top left corner goes to the top right
    array([2., 0.])
    """
    w, h = width - 1, height - 1
    matrices = {
        0: [[1, 0, 0], [0, 1, 0]],
        1: [[0, -1, h], [1, 0, 0]],  # (x, y) -> (h - y, x)
        2: [[-1, 0, w], [0, -1, h]],
        3: [[0, 1, 0], [-1, 0, w]],  # (x, y) -> (y, w - x)
    }
    return np.asarray(matrices[turns % 4], np.float64)


def turn_quarters(gray: np.ndarray, turns: int) -> np.ndarray:
    """``gray`` turned clockwise by ``turns`` quarter turns, pixel for pixel."""
    turns %= 4
    return gray if turns == 0 else cv2.rotate(gray, _ROTATE[turns])


def lines_are_pieces(lines: Sequence[LineOnPage]) -> float | None:
    """The lines' median width-to-height ratio when most of them are short pieces, not lines of
    text (a page turned a quarter turn, or a drawing); None otherwise."""
    if len(lines) < MIN_LINES_FOR_SHAPE:
        return None
    # measured level, as deskew.py reads them: the upright box of a long line sloping by 12
    # degrees is as squat as a piece's, so such a page was taken for one turned a quarter turn
    # and, turned a quarter turn, was not turned back
    slope = median_slope(lines)
    turn = np.radians(slope) if needs_turn(slope) else 0.0
    level = np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]])
    aspects = []
    for line in lines:
        points = np.asarray(line.polygon, np.float64) @ level.T
        width, height = np.ptp(points, axis=0) + 1  # the box holds its last row and column
        aspects.append(width / max(height, 1.0))
    aspect = float(np.median(aspects))
    return aspect if aspect < MIN_LINE_ASPECT else None


def probe_confidence(gray: np.ndarray, lines: Sequence[LineOnPage], recognizer: OnnxRecognizer) -> float:
    """The mean character confidence of the widest ``PROBE_LINES`` lines of ``gray``, read as they lie."""
    widest = sorted(lines, key=lambda line: line.box[0] - line.box[2])[:PROBE_LINES]
    return crops_confidence(
        [crop_polygon(gray, line.polygon) for line in widest if len(line.polygon) >= 3], recognizer
    )


def crops_confidence(crops: Sequence[np.ndarray], recognizer: OnnxRecognizer) -> float:
    """The mean character confidence of ``crops`` read by ``recognizer``."""
    readings = recognizer.read(crops)
    return mean_confidence([c.confidence for reading in readings for c in reading.chars])


def page_confidence(page: PageText) -> float:
    """The mean character confidence over every line of a page read."""
    return mean_confidence([c.confidence for line in page.lines for c in line.chars])


def mean_confidence(confidences: Sequence[float]) -> float:
    """The mean of ``confidences``; 0 when there are none."""
    return float(np.mean(confidences)) if len(confidences) else 0.0


def turned_note(turns: int) -> str:
    """What a page read turned by ``turns`` clockwise quarter turns says of it."""
    how = {1: "a quarter turn clockwise", 2: "180 degrees", 3: "a quarter turn counter-clockwise"}[turns % 4]
    return (
        f"its lines read more surely with the page turned {how}, so it was turned so before it was "
        "read; every position is given on the page as it came"
    )
