"""CTC steps to page pixels, worked out by hand."""

from __future__ import annotations

import pytest

from mltu_ext.ctc.confidence import CharReading, Reading, WordReading
from mltu_ext.pages.positions import baseline_y, place_reading, step_columns


def test_a_step_covers_time_scale_columns_of_the_scaled_crop():
    # 300 x 128 crop at height 64 -> 150 columns; a step is 4 of them, so 8 crop columns
    assert step_columns(10, 300, 128, 64, 4) == pytest.approx(80.0)
    assert step_columns(10, 300, 64, 64, 4) == pytest.approx(40.0)  # not scaled


def test_baseline_height_is_interpolated_and_held_past_its_ends():
    line = ((100, 150), (400, 170))
    assert baseline_y(line, [100, 250, 400, 500, 0], fallback=0).tolist() == pytest.approx(
        [150, 160, 170, 170, 150]
    )
    assert baseline_y(None, [5], fallback=42.0).tolist() == [42.0]


def test_characters_and_words_land_on_the_page():
    reading = Reading(
        "ab c",
        0.5,
        chars=[
            CharReading("a", 0.9, 10, 12),
            CharReading("b", 0.8, 14, 16),
            CharReading(" ", 0.99, 18, 19),
            CharReading("c", 0.7, 20, 22),
        ],
        words=[WordReading("ab", 0.72, 10, 16), WordReading("c", 0.7, 20, 22)],
    )
    chars, words = place_reading(
        reading, (100, 50, 400, 178), ((100, 150), (400, 170)), height=64, time_scale=4
    )
    # "a": steps 10-12, middle 11 -> crop column 88 -> page x 188; baseline there 150 + 20 * 88 / 300
    assert chars[0].x == pytest.approx(188.0) and chars[0].y == pytest.approx(155.9, abs=0.05)
    assert [c.char for c in chars] == ["a", "b", " ", "c"]
    assert chars[1].x == pytest.approx(220.0)  # steps 14-16: middle 15 -> 120 columns
    # "ab": steps 10 to 16 -> columns 80 to 128; the box spans the crop's rows
    assert words[0].box == pytest.approx((180.0, 50.0, 228.0, 178.0))
    assert words[1].box == pytest.approx((260.0, 50.0, 276.0, 178.0))
    assert words[0].confidence == 0.72


def test_without_a_baseline_characters_sit_at_the_crops_middle_height():
    reading = Reading("a", 0.9, chars=[CharReading("a", 0.9, 0, 2)], words=[WordReading("a", 0.9, 0, 2)])
    chars, _ = place_reading(reading, (0, 10, 64, 74), None, height=64, time_scale=4)
    assert chars[0].y == 42.0 and chars[0].x == pytest.approx(4.0)


def test_an_empty_reading_has_no_characters_or_words():
    assert place_reading(Reading("", 1.0), (0, 0, 10, 10), None, 64, 4) == ((), ())
