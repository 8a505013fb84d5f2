"""Read whole pages: segment into lines, order them, recognise each, place words and characters."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from mltu_ext.pages.deskew import median_slope, needs_turn, page_back, turn_page
from mltu_ext.pages.layout import PageText
from mltu_ext.pages.page_checks import (
    NEGATIVE_NOTE,
    STRETCHED_NOTE,
    looks_negative,
    page_notes,
    stretch_faint,
)
from mltu_ext.pages.read_lines import read_page

SHIPPED_SEGMENTER = Path("Models") / "line_segmenter"
# an image this tall, and not much wider than tall, is a page rather than a word or a line
PAGE_MIN_HEIGHT = 400
PAGE_MAX_ASPECT = 2.5


def looks_like_page(image: np.ndarray) -> bool:
    """True for an image shaped like a page (or a large part of one), not like a word or a line.

    >>> looks_like_page(np.zeros((1980, 1530))), looks_like_page(np.zeros((70, 1200)))
    (True, False)
    """
    height, width = image.shape[:2]
    return height >= PAGE_MIN_HEIGHT and width / height <= PAGE_MAX_ASPECT


class PageReader:
    """A line segmenter and a line recogniser together: page image in, :class:`PageText` out."""

    def __init__(self, recognizer, segmenter, batch_size: int = 16, deskew: bool = True):
        """``deskew``: a page whose lines slope by 1-20 degrees is read turned level (``deskew.py``)."""
        self.recognizer = recognizer
        self.segmenter = segmenter
        self.batch_size = batch_size
        self.deskew = deskew

    def read(self, page: np.ndarray, image_name: str) -> PageText:
        """The page's lines, found, ordered and read, with notes on why it may have read badly."""
        from mltu_ext.data.images import to_gray

        original = to_gray(np.asarray(page))
        # a faint page's strokes would fall under the ink check and read as nothing
        gray = stretch_faint(original)
        notes_first = [STRETCHED_NOTE] if gray is not original else []
        lines = self.segmenter.segment(gray)
        if looks_negative(gray, lines):  # a negative (microfilm): its light strokes read as nothing
            gray = 255 - gray
            lines = self.segmenter.segment(gray)
            notes_first.append(NEGATIVE_NOTE)
        slope = median_slope(lines)
        # the line model reads level lines: a sloping page is segmented and read turned level
        if self.deskew and needs_turn(slope):
            turned, matrix = turn_page(gray, slope)
            lines = self.segmenter.segment(turned)
            read = read_page(turned, lines, self.recognizer, image_name, self.batch_size)
            notes = page_notes(turned, read, self.recognizer)
            read = page_back(read, matrix, gray.shape[1], gray.shape[0])
        else:
            read = read_page(gray, lines, self.recognizer, image_name, self.batch_size)
            notes = page_notes(gray, read, self.recognizer)
        return dataclasses.replace(read, notes=(*notes_first, *notes))
