"""Reading order on boxes laid out by hand: columns, a title over columns, blocks, touching lines."""

from __future__ import annotations

from mltu_ext.pages.layout import LineOnPage
from mltu_ext.pages.reading_order import reading_order, xy_order


def _line(name, x0, y0, x1, y1, block=None):
    return LineOnPage(name, ((x0, y0), (x1 - 1, y0), (x1 - 1, y1 - 1), (x0, y1 - 1)), block_id=block)


def test_one_column_reads_top_to_bottom_whatever_the_given_order():
    boxes = [(10, 60, 300, 90), (12, 0, 280, 30), (8, 30, 310, 60)]
    assert xy_order(boxes) == [1, 2, 0]


def test_lines_that_overlap_by_ascenders_still_read_top_to_bottom():
    # each line's box reaches 12 px into the next one (ascenders and descenders)
    boxes = [(0, 40, 200, 92), (0, 0, 200, 52), (0, 80, 200, 132)]
    assert xy_order(boxes) == [1, 0, 2]


def test_two_columns_read_left_column_first():
    left = [(0, y, 100, y + 20) for y in (0, 30, 60)]
    right = [(150, y, 250, y + 20) for y in (0, 30, 60)]
    boxes = [right[0], left[0], right[1], left[1], right[2], left[2]]
    assert xy_order(boxes) == [1, 3, 5, 0, 2, 4]


def test_a_title_over_two_columns_comes_first_then_each_column():
    title = (0, 0, 250, 20)
    left = [(0, y, 100, y + 20) for y in (40, 70)]
    right = [(150, y, 250, y + 20) for y in (40, 70)]
    boxes = [left[0], right[0], title, left[1], right[1]]
    # the rows of the two columns line up, so a row-by-row reading would also find gaps
    assert xy_order(boxes) == [2, 0, 3, 1, 4]


def test_a_margin_note_left_of_the_text_is_a_column_of_its_own():
    body = [(100, y, 400, y + 20) for y in (0, 30, 60, 90)]
    note = (0, 35, 80, 75)
    assert xy_order([*body, note]) == [4, 0, 1, 2, 3]


def test_text_blocks_stay_whole():
    # block b's single line lies between a's two lines in height, but to the right
    lines = [
        _line("a1", 0, 0, 100, 20, "a"),
        _line("b1", 150, 25, 250, 45, "b"),
        _line("a2", 0, 50, 100, 70, "a"),
        _line("c1", 0, 100, 250, 120, "c"),
    ]
    assert [line.line_id for line in reading_order(lines)] == ["a1", "a2", "b1", "c1"]


def test_lines_without_blocks_are_ordered_as_lines():
    lines = [_line("second", 0, 40, 100, 60), _line("first", 0, 0, 100, 20)]
    assert [line.line_id for line in reading_order(lines)] == ["first", "second"]
    assert reading_order([]) == []
