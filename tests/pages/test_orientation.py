"""Pages turned by whole quarter turns: the matrix of a turn, and which way up reads most surely."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mltu_ext.pages.deskew import page_back
from mltu_ext.pages.layout import LineOnPage, PageText, WordOnPage
from mltu_ext.pages.orientation import lines_are_pieces, quarter_matrix, turn_quarters


@pytest.mark.parametrize("turns", [0, 1, 2, 3, 5])
def test_the_matrix_of_a_turn_finds_every_pixel_where_cv2_puts_it(turns):
    page = np.zeros((3, 5), np.uint8)  # 5 wide, 3 tall: turned a quarter it is 3 wide, 5 tall
    for x, y in [(0, 0), (4, 0), (1, 2), (3, 1)]:
        page[:] = 0
        page[y, x] = 255
        turned = turn_quarters(page, turns)
        ty, tx = np.argwhere(turned == 255)[0]
        assert (quarter_matrix(turns, 5, 3) @ [x, y, 1]).tolist() == [tx, ty]
    assert turn_quarters(page, turns).shape == ((3, 5) if turns % 2 == 0 else (5, 3))


def test_a_quarter_turn_worked_by_hand():
    # clockwise: the top left corner of a 4 x 3 page goes to the top right, (x, y) -> (2 - y, x)
    assert (quarter_matrix(1, 4, 3) @ [0, 0, 1]).tolist() == [2, 0]
    assert (quarter_matrix(1, 4, 3) @ [3, 2, 1]).tolist() == [0, 3]
    assert (quarter_matrix(3, 4, 3) @ [0, 0, 1]).tolist() == [0, 3]  # counter-clockwise: to the bottom left
    np.testing.assert_array_equal(quarter_matrix(4, 4, 3), quarter_matrix(0, 4, 3))
    assert cv2.ROTATE_90_CLOCKWISE == 0  # the turn cv2.rotate names clockwise is the one above


def _box_line(width: float, height: float, number: int) -> LineOnPage:
    y = 100.0 * number
    return LineOnPage(f"l{number}", ((0, y), (width, y), (width, y + height), (0, y + height)))


def test_lines_that_are_short_pieces_are_told_from_lines_of_text():
    pieces = [_box_line(60, 40, k) for k in range(8)]  # 1.5 times as wide as tall
    assert lines_are_pieces(pieces) == pytest.approx(61 / 41)  # the box holds its last row and column
    assert lines_are_pieces([_box_line(900, 60, k) for k in range(8)]) is None  # 15 times: lines
    assert lines_are_pieces(pieces[:7]) is None  # too few to judge a page by their shape


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_a_word_box_read_on_the_turned_page_comes_back_onto_the_same_pixels(turns):
    page = np.zeros((3, 5), np.uint8)
    page[0:2, 1:3] = 255  # a word on columns 1-2, rows 0-1: its box ends past its last pixel
    turned = turn_quarters(page, turns)
    ys, xs = np.nonzero(turned)
    turned_box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    line = LineOnPage("l1", ((0, 0), (2, 0), (2, 2)), words=(WordOnPage("ab", 0.9, turned_box),))
    read = PageText("p.png", turned.shape[1], turned.shape[0], (line,))
    back = page_back(read, quarter_matrix(turns, 5, 3), 5, 3)
    assert back.lines[0].words[0].box == (1.0, 0.0, 3.0, 2.0)


def _sloping_line(width: float, height: float, number: int, degrees: float) -> LineOnPage:
    # a width x height line turned about its left end so that it falls by ``degrees`` to the right
    turn = cv2.getRotationMatrix2D((0, 0), -degrees, 1.0)
    y = 200.0 * number

    def place(points):
        return tuple(tuple(p) for p in np.asarray(points, np.float64) @ turn[:, :2].T + (0, y))

    outline = place([(0, 0), (width, 0), (width, height), (0, height)])
    return LineOnPage(f"l{number}", outline, baseline=place([(0, height * 0.8), (width, height * 0.8)]))


def test_lines_of_a_sloping_page_are_measured_level():
    # 900 x 60 lines sloping by 12 degrees have upright boxes about 3.6 times as wide as tall;
    # deskew.py reads such a page level, and it is no more turned than a level one
    lines = [_sloping_line(900, 60, k, 12.0) for k in range(8)]
    assert lines[0].box[3] - lines[0].box[1] > 200
    assert lines_are_pieces(lines) is None
    assert lines_are_pieces([_sloping_line(60, 40, k, 12.0) for k in range(8)]) is not None
