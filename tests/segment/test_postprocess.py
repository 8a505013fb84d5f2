"""Maps to lines on small maps drawn by hand."""

from __future__ import annotations

import numpy as np

from mltu_ext.segment.postprocess import PostSettings, maps_to_lines


def _maps(height=80, width=120):
    return np.zeros((height, width, 3), np.float32)


def _extent(line):
    xs = [p[0] for p in line.polygon]
    ys = [p[1] for p in line.polygon]
    return min(xs), max(xs), min(ys), max(ys)


def test_two_touching_lines_are_cut_apart_at_their_baselines_spacing():
    # regions rows 5-44 and 45-84 touch; baselines at rows 35 and 75 (spacing 40)
    maps = _maps(90)
    maps[5:45, 10:110, 0] = 1.0
    maps[45:85, 10:110, 0] = 1.0
    maps[35, 10:110, 2] = 1.0
    maps[75, 10:110, 2] = 1.0
    first, second = maps_to_lines(maps)
    # seeds at rows 25 and 65 (a quarter spacing up); the cut falls midway: row 45 is as far
    # from both and stays with the line above
    assert _extent(first) == (10.0, 109.0, 5.0, 45.0)
    assert _extent(second) == (10.0, 109.0, 46.0, 84.0)
    assert first.baseline[0] == (10.0, 35.0) and first.baseline[-1] == (109.0, 35.0)
    assert all(y == 75.0 for _, y in second.baseline)


def test_coordinates_come_back_in_page_pixels():
    maps = _maps()
    maps[10:30, 20:100, 0] = 1.0
    maps[26, 20:100, 2] = 1.0
    (line,) = maps_to_lines(maps, scale=0.5)
    assert _extent(line) == (40.0, 198.0, 20.0, 58.0)
    assert line.baseline[0] == (40.0, 52.0)


def test_a_broken_baseline_is_one_line_and_specks_are_none():
    maps = _maps()
    maps[10:30, 10:110, 0] = 1.0
    maps[26, 10:50, 2] = 1.0
    maps[26, 56:110, 2] = 1.0  # a gap of 6 columns: closed
    maps[60, 30:40, 2] = 1.0  # 10 columns: a speck
    lines = maps_to_lines(maps)
    assert len(lines) == 1 and _extent(lines[0])[:2] == (10.0, 109.0)


def test_a_wide_gap_makes_two_lines_side_by_side():
    maps = _maps()
    maps[10:30, 5:55, 0] = 1.0
    maps[10:30, 70:115, 0] = 1.0
    maps[26, 5:55, 2] = 1.0
    maps[26, 70:115, 2] = 1.0
    lines = maps_to_lines(maps)
    assert [_extent(line)[:2] for line in lines] == [(5.0, 54.0), (70.0, 114.0)]


def test_faint_maps_give_no_lines():
    maps = _maps()
    maps[..., 2] = 0.2  # below the baseline threshold everywhere
    assert maps_to_lines(maps) == []
    assert maps_to_lines(maps, cfg=PostSettings(baseline=0.1)) != []
