"""Notes on pages that read badly because of how they were scanned, and a faint page's contrast."""

from __future__ import annotations

import dataclasses

import numpy as np

from mltu_ext.ctc.confidence import Reading
from mltu_ext.pages.layout import CharOnPage, LineOnPage, PageText
from mltu_ext.pages.page_checks import page_notes, stretch_faint


class _Recognizer:
    """Reads every crop as one character of the given confidence (the turned crops of the check)."""

    def __init__(self, confidence: float):
        self.confidence = confidence
        self.calls = 0

    def read(self, images, batch_size: int = 32) -> list[Reading]:
        from mltu_ext.ctc.confidence import CharReading

        self.calls += 1
        return [Reading("a", self.confidence, [CharReading("a", self.confidence, 0, 1)]) for _ in images]


def _line(x: float, y: float, width: float, height: float, slope: float = 0.0, confidence=0.95) -> LineOnPage:
    polygon = ((x, y), (x + width, y), (x + width, y + height), (x, y + height))
    base = y + 0.8 * height
    baseline = ((x, base), (x + width, base + width * np.tan(np.radians(slope))))
    chars = tuple(CharOnPage("a", confidence, x + 10 * k, base) for k in range(5))
    return LineOnPage(f"l{y}", polygon, baseline=baseline, text="aaaaa", confidence=confidence, chars=chars)


def _page(lines) -> PageText:
    return PageText("p.png", 1500, 2000, tuple(lines))


def _written_page(dark_ink: bool = True) -> np.ndarray:
    paper, ink = (250, 30) if dark_ink else (30, 230)
    gray = np.full((2000, 1500), paper, np.uint8)
    for k in range(10):
        gray[105 + 150 * k : 135 + 150 * k : 4, 100:1300] = ink  # strokes across each line
    return gray


def _lines(**kwargs) -> list[LineOnPage]:
    return [_line(100, 100 + 150 * k, 1200, 80, **kwargs) for k in range(10)]


def test_a_plain_page_gets_no_note():
    recognizer = _Recognizer(0.99)
    assert page_notes(_written_page(), _page(_lines()), recognizer) == []
    assert recognizer.calls == 0  # read surely upright (0.95): not read again turned over
    unsure = _Recognizer(0.5)
    assert page_notes(_written_page(), _page(_lines(confidence=0.6)), unsure) == []
    assert unsure.calls == 1


def test_short_pieces_say_the_page_may_be_turned_a_quarter():
    pieces = [_line(100 + 60 * (k % 20), 100 + 150 * (k // 20), 40, 50) for k in range(40)]
    notes = page_notes(_written_page(), _page(pieces), _Recognizer(0.5))
    assert any("short pieces" in note and "quarter turn" in note for note in notes)


def test_light_writing_on_a_dark_ground_is_called_a_negative():
    notes = page_notes(_written_page(dark_ink=False), _page(_lines()), _Recognizer(0.5))
    assert any("invert the image" in note for note in notes)


def test_small_lines_ask_for_a_higher_resolution():
    small = [_line(10, 10 + 20 * k, 250, 15) for k in range(10)]
    notes = page_notes(_written_page(), _page(small), _Recognizer(0.5))
    assert any("about 16 pixels tall" in note for note in notes)  # the box holds its last row


def test_sloping_lines_ask_for_a_deskew():
    notes = page_notes(_written_page(), _page(_lines(slope=-6.0)), _Recognizer(0.5))
    assert any("slope by about 6.0 degrees" in note for note in notes)
    assert page_notes(_written_page(), _page(_lines(slope=1.0)), _Recognizer(0.5)) == []


def test_lines_that_read_very_unsurely_say_the_page_may_hold_no_writing():
    # noise over a page: many lines found and read as garbage, none of them sure
    notes = page_notes(_written_page(), _page(_lines(confidence=0.35)), _Recognizer(0.3))
    assert any("read very unsurely (median confidence 0.35" in note for note in notes)
    few = _lines(confidence=0.35)[:2]  # a heading or a stamp alone is not judged
    assert page_notes(_written_page(), _page(few), _Recognizer(0.3)) == []


def test_lines_that_read_more_surely_turned_over_say_the_page_is_upside_down():
    notes = page_notes(_written_page(), _page(_lines(confidence=0.55)), _Recognizer(0.9))
    assert any("turned 180 degrees" in note for note in notes)


def test_a_page_read_fairly_surely_is_still_found_upside_down():
    # upside down, Copiste pages read by an uncalibrated model fairly surely as they lie, and only
    # somewhat more surely turned over (benchmarks/page_segmentation, run 008)
    notes = page_notes(_written_page(), _page(_lines(confidence=0.85)), _Recognizer(0.93))
    assert any("turned 180 degrees" in note for note in notes)
    assert page_notes(_written_page(), _page(_lines(confidence=0.85)), _Recognizer(0.86)) == []


def test_a_short_line_that_reads_surer_turned_over_is_no_sign():
    # "non" or "ici" look alike upside down: too few characters to judge the page by
    short = _line(100, 100, 200, 80, confidence=0.55)
    short = dataclasses.replace(short, chars=short.chars[:3], text="aaa")
    recognizer = _Recognizer(0.9)
    assert page_notes(_written_page(), _page([short]), recognizer) == []
    assert recognizer.calls == 0


def test_a_faint_page_with_a_black_scanner_border_is_stretched():
    faint = np.full((200, 300), 252, np.uint8)
    faint[50:60, 20:280] = 222
    faint[:, :8] = 0  # the scanner's border: not ink
    assert stretch_faint(faint)[55, 100] == 0


def test_a_faint_page_is_stretched_and_a_clear_or_blank_one_left_alone():
    faint = np.full((200, 300), 252, np.uint8)
    faint[50:60, 20:280] = 222  # pencil: 30 levels under the paper
    stretched = stretch_faint(faint)
    assert stretched[55, 100] == 0 and stretched[150, 100] == 255
    clear = faint.copy()
    clear[50:60, 20:280] = 40
    assert stretch_faint(clear) is clear
    blank = np.full((200, 300), 250, np.uint8)
    assert stretch_faint(blank) is blank
