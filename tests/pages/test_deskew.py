"""Straightening a sloping page: its slope, the turn, and positions turned back onto the page."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from mltu_ext.pages.deskew import median_slope, needs_turn, page_back, turn_page
from mltu_ext.pages.layout import CharOnPage, LineOnPage, PageText, WordOnPage


def _line(baseline, polygon=((0, 0), (10, 0), (10, 5))) -> LineOnPage:
    return LineOnPage("l", tuple(polygon), baseline=tuple(baseline) if baseline else None)


def test_the_slope_is_the_median_of_the_baselines_in_degrees():
    lines = [
        _line(((0, 0), (100, 100))),  # 45 degrees, falling to the right (y down)
        _line(((0, 10), (100, 10))),  # level
        _line(((0, 0), (50, 50 * np.tan(np.radians(5))), (100, 100 * np.tan(np.radians(5))))),  # 5
        _line(None),  # no baseline: not counted
        _line(((100, 0), (0, 10))),  # right to left: not counted
    ]
    assert median_slope(lines) == pytest.approx(5.0)
    assert median_slope([_line(None)]) is None
    assert [needs_turn(s) for s in (None, 0.3, -1.0, 5.0, -19.9, 35.0)] == [
        False,
        False,
        True,
        True,
        True,
        False,
    ]


def test_the_turned_page_keeps_every_corner_on_paper_and_lies_level():
    page = np.full((200, 300), 240, np.uint8)
    # a bar falling to the right by 10 degrees (y down), as median_slope would measure it
    cv2.line(page, (20, 60), (280, 60 + round(260 * np.tan(np.radians(10)))), 0, 12)
    turned, matrix = turn_page(page, 10.0)
    # 300 x 200 turned by 10 degrees: cos 10 * 300 + sin 10 * 200 = 330.2 wide, 249.1 high
    assert turned.shape == (250, 331)
    corners = np.array([(0, 0), (299, 0), (299, 199), (0, 199)], np.float64) @ matrix[:, :2].T + matrix[:, 2]
    assert (corners >= -0.5).all() and (corners[:, 0] <= 330.5).all() and (corners[:, 1] <= 249.5).all()
    assert turned[0, 0] == 240  # the new corners hold the paper's tone, not black
    # the bar lies level now: a few rows hold nearly all of its length
    ink_rows = np.flatnonzero((turned < 128).sum(axis=1) > 200)
    assert 0 < ink_rows.size and np.ptp(ink_rows) < 16


def test_positions_read_on_the_turned_page_go_back_where_they_lie_on_the_page():
    matrix = cv2.getRotationMatrix2D((150, 100), 7.0, 1.0)
    matrix[:, 2] += (20, 30)  # as turn_page's larger canvas shifts the page
    original = np.array([(40.0, 50.0), (260.0, 60.0), (250.0, 90.0), (30.0, 80.0)])

    def turned(points):
        return tuple(tuple(p) for p in np.asarray(points, np.float64) @ matrix[:, :2].T + matrix[:, 2])

    line = LineOnPage(
        "l1",
        turned(original),
        baseline=turned(original[[3, 2]]),
        text="ab",
        words=(WordOnPage("ab", 0.9, (*turned([(40.0, 50.0)])[0], *turned([(250.0, 90.0)])[0])),),
        chars=(
            CharOnPage("a", 0.9, *turned([(60.0, 80.0)])[0]),
            CharOnPage("b", 0.8, *turned([(90.0, 81.0)])[0]),
        ),
    )
    back = page_back(PageText("p.png", 400, 300, (line,)), matrix, 300, 200)
    assert (back.width, back.height) == (300, 200)
    (moved,) = back.lines
    assert np.allclose(moved.polygon, original) and np.allclose(moved.baseline, original[[3, 2]])
    assert np.allclose([(c.x, c.y) for c in moved.chars], [(60, 80), (90, 81)])
    # the box of the turned box's corners holds both ends; turned as pixel edges, not as pixel
    # centres, they move by under a tenth of a pixel at 7 degrees
    x0, y0, x1, y1 = moved.words[0].box
    assert x0 <= 40 + 0.1 and y0 <= 50 + 0.1 and x1 >= 250 - 0.1 and y1 >= 90 - 0.1
    assert moved.text == "ab" and moved.chars[1].confidence == 0.8
    # a point turned off the page is clipped onto it
    off = dataclasses.replace(line, polygon=turned([(-30.0, 10.0), (10.0, 10.0), (10.0, 40.0)]))
    clipped = page_back(PageText("p.png", 400, 300, (off,)), matrix, 300, 200).lines[0]
    assert np.allclose(clipped.polygon[0], (0.0, 10.0))
