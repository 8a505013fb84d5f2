"""Read whole pages: segment into lines, order them, recognise each, place words and characters."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.pages.deskew import MAX_SLOPE, MIN_SLOPE, median_slope, needs_turn, page_back, turn_page
from mltu_ext.pages.layout import LineOnPage, PageText
from mltu_ext.pages.orientation import (
    MIN_LINES_FOR_SHAPE,
    lines_are_pieces,
    page_confidence,
    probe_confidence,
    quarter_matrix,
    turn_quarters,
    turned_note,
)
from mltu_ext.pages.page_checks import (
    NEGATIVE_NOTE,
    STRETCHED_NOTE,
    SURE_UPRIGHT,
    UPSIDE_DOWN_MARGIN,
    looks_negative,
    page_notes,
    stretch_faint,
    upside_down_confidences,
    upside_down_note,
)
from mltu_ext.pages.read_lines import read_page

if TYPE_CHECKING:
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.segment.segmenter import OnnxSegmenter

SHIPPED_SEGMENTER = Path("Models") / "line_segmenter"
# an image this tall, and not much wider than tall, is a page rather than a word or a line
PAGE_MIN_HEIGHT = 400
PAGE_MAX_ASPECT = 2.5
# the most turns a sloping page is given to lie level: each brings it closer, and the steepest
# pages need several
LEVEL_TURNS = 4


def looks_like_page(image: np.ndarray) -> bool:
    """True for an image shaped like a page (or a large part of one), not like a word or a line.

    >>> looks_like_page(np.zeros((1980, 1530))), looks_like_page(np.zeros((70, 1200)))
    (True, False)
    """
    height, width = image.shape[:2]
    return page_shaped(height, width)


def page_shaped(height: int, width: int) -> bool:
    """:func:`looks_like_page` for an image of this size, known before it is decoded."""
    return height >= PAGE_MIN_HEIGHT and width / height <= PAGE_MAX_ASPECT


class PageReader:
    """A line segmenter and a line recogniser together: page image in, :class:`PageText` out."""

    def __init__(
        self,
        recognizer: OnnxRecognizer,
        segmenter: OnnxSegmenter,
        batch_size: int = 16,
        deskew: bool = True,
        orient: bool = True,
    ) -> None:
        """``deskew``: a page whose lines slope by 1-20 degrees is read turned level (``deskew.py``).
        ``orient``: a page that reads more surely turned by a quarter or a half turn is read so
        (``orientation.py``)."""
        self.recognizer = recognizer
        self.segmenter = segmenter
        self.batch_size = batch_size
        self.deskew = deskew
        self.orient = orient

    def read(self, page: np.ndarray, image_name: str) -> PageText:
        """The page's lines, found, ordered and read, with notes on why it may have read badly."""
        from mltu_ext.data.images import soften_page, to_gray

        original = to_gray(np.asarray(page))
        # a faint page's strokes would fall under the ink check and read as nothing
        gray = stretch_faint(original)
        notes_first = [STRETCHED_NOTE] if gray is not original else []
        if getattr(self.recognizer, "soften_two_level", False):
            # a bitonal scan, softened once as a whole: its lines, cut from it or from it turned
            # level, would otherwise keep (or lose by the turn's interpolation) the two levels
            gray = soften_page(gray)
        lines = self.segmenter.segment(gray)
        if looks_negative(gray, lines):  # a negative (microfilm): its light strokes read as nothing
            gray = 255 - gray
            lines = self.segmenter.segment(gray)
            notes_first.append(NEGATIVE_NOTE)
        turns = 0
        if self.orient:
            turns, lines = self._quarter_turn(gray, lines)
        read, notes, flipped = self._read_upright(turn_quarters(gray, turns), lines, image_name)
        if flipped is not None:
            # the page read again turned over: a second reading, made only where it may be kept
            over = self._read_turned_over(gray, turns, image_name) if self.orient else None
            if over is not None and page_confidence(over[0]) > page_confidence(read):
                (read, notes), turns = over, turns + 2
            else:
                notes.append(upside_down_note(*flipped))
        if turns % 4:
            height, width = gray.shape[:2]
            read = page_back(read, quarter_matrix(turns, width, height), width, height)
            notes_first.append(turned_note(turns))
        return dataclasses.replace(read, notes=(*notes_first, *notes))

    def _quarter_turn(self, gray: np.ndarray, lines: list[LineOnPage]) -> tuple[int, list[LineOnPage]]:
        """The clockwise quarter turns (0, 1 or 3) under which ``gray``'s lines read most surely,
        and the lines found on the page so turned.

        Only a page that may be sideways is tried turned: one whose lines are short pieces, or
        one of too few lines to judge by their shape whose widest lines read unsurely.
        """
        pieces = lines_are_pieces(lines) is not None
        if not pieces and not 0 < len(lines) < MIN_LINES_FOR_SHAPE:
            return 0, lines
        upright = probe_confidence(gray, lines, self.recognizer)
        if not pieces and upright >= SURE_UPRIGHT:
            return 0, lines
        # a turn must read clearly surer: an unsure upright hand is not traded for short pieces
        # that read a letter or two surely
        best = (upright + UPSIDE_DOWN_MARGIN, 0, lines)
        for turns in (1, 3):
            turned = turn_quarters(gray, turns)
            found = self.segmenter.segment(turned)
            if found and lines_are_pieces(found) is None:
                candidate = (probe_confidence(turned, found, self.recognizer), turns, found)
                best = max(best, candidate, key=lambda b: b[0])
        return best[1], best[2]

    def _read_turned_over(self, gray: np.ndarray, turns: int, image_name: str) -> tuple[PageText, list[str]]:
        """``gray`` read turned by ``turns`` + 2 clockwise quarter turns, and its notes."""
        again = turn_quarters(gray, turns + 2)
        read, notes, _ = self._read_upright(again, self.segmenter.segment(again), image_name)
        return read, notes

    def _level(self, gray: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray, list[LineOnPage]]:
        """``gray`` turned level, the matrix of the turn, and the lines found on it.

        The segmenter breaks a steeply sloping line into short pieces, each less steep than the
        line, so ``slope`` falls short of the page's: the slope still left is measured on the
        turned page and the page turned again, from as it came, by the sum.
        """
        total = slope
        for _ in range(LEVEL_TURNS):
            turned, matrix = turn_page(gray, total)
            lines = self.segmenter.segment(turned)
            left = median_slope(lines)
            if left is None or abs(left) < MIN_SLOPE or abs(total + left) > MAX_SLOPE:
                break
            total += left
        return turned, matrix, lines

    def _read_upright(
        self, gray: np.ndarray, lines: list[LineOnPage], image_name: str
    ) -> tuple[PageText, list[str], tuple[float, float] | None]:
        """``gray`` read (turned level first where it slopes), its notes, and the (upright,
        turned) confidences when its lines read more surely upside down."""
        slope = median_slope(lines)
        # the line model reads level lines: a sloping page is segmented and read turned level
        if self.deskew and needs_turn(slope):
            turned, matrix, lines = self._level(gray, slope)
            read = read_page(turned, lines, self.recognizer, image_name, self.batch_size)
            notes = page_notes(turned, read, self.recognizer, upside_down=False)
            flipped = upside_down_confidences(turned, read.lines, self.recognizer)
            read = page_back(read, matrix, gray.shape[1], gray.shape[0])
        else:
            read = read_page(gray, lines, self.recognizer, image_name, self.batch_size)
            notes = page_notes(gray, read, self.recognizer, upside_down=False)
            flipped = upside_down_confidences(gray, read.lines, self.recognizer)
        return read, notes, flipped
