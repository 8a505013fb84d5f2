"""Segmenter targets, its network's shapes and checks, and the line-matching score."""

from __future__ import annotations

import numpy as np
import pytest

from mltu_ext.config.segmenter_config import SegmenterConfig
from mltu_ext.errors import ConfigError
from mltu_ext.evaluation.line_matching import DetectionScore, match_lines
from mltu_ext.pages.layout import LineOnPage
from mltu_ext.segment.targets import line_targets


def _box(x0, y0, x1, y1):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def test_targets_fill_the_outline_shrink_the_core_and_draw_the_baseline_at_scale():
    line = LineOnPage("a", _box(0, 20, 199, 58), ((0, 52), (199, 52)))
    targets = line_targets([line], (50, 120), scale=0.5)  # outline rows 10-29 at half scale
    region, core, baseline = (targets[:, 60, c] > 0 for c in range(3))
    assert np.flatnonzero(region).tolist() == list(range(10, 30))
    assert np.flatnonzero(core).tolist() == list(range(16, 24))  # 6 rows (30 % of 20) off each side
    assert np.flatnonzero(baseline).tolist() == [25, 26, 27]  # row 26, three rows thick
    assert targets.dtype == np.uint8 and set(np.unique(targets)) <= {0, 255}


def test_an_outline_past_the_page_edge_is_cut_to_the_page():
    line = LineOnPage("a", _box(-20, -5, 50, 15), None)
    targets = line_targets([line], (30, 40), scale=1.0)
    assert targets[0, 0, 0] == 255 and targets.shape == (30, 40, 3)
    assert not targets[..., 2].any()  # no baseline given


def test_segmenter_config_is_checked():
    with pytest.raises(ConfigError, match="multiple of 16"):
        SegmenterConfig(crop=500).validate()
    with pytest.raises(ConfigError, match="two levels"):
        SegmenterConfig(filters=(8,)).validate()
    for changes, message in (
        ({"batch_size": 0}, "batch_size=0"),
        ({"learning_rate": 0.0}, "learning_rate=0.0"),
        ({"baseline_weight": -1.0}, "baseline_weight=-1.0"),
        ({"crop": 0}, "crop=0"),
    ):
        with pytest.raises(ConfigError, match=message):
            SegmenterConfig(**changes).validate()
    SegmenterConfig().validate()


def test_matching_counts_one_to_one_pairs_above_half_overlap():
    truth = [_box(0, 0, 99, 19), _box(0, 30, 99, 49)]
    found = [
        _box(0, 0, 99, 17),  # IoU 18/20 with the first line
        _box(0, 2, 99, 19),  # also overlaps the first: only one of them can pair
        _box(0, 40, 99, 59),  # IoU 10/30 with the second: too little
    ]
    score, pairs = match_lines(truth, found, (80, 120))
    assert score == DetectionScore(true_lines=2, found_lines=3, matched=1)
    assert pairs == [(0, 0, 0.9)]
    assert score.precision == pytest.approx(1 / 3) and score.recall == 0.5 and score.f1 == pytest.approx(0.4)
    assert (score + score).matched == 2


def test_no_lines_at_all_scores_zero_without_dividing_by_zero():
    score, pairs = match_lines([], [], (10, 10))
    assert (score.precision, score.recall, score.f1, pairs) == (0.0, 0.0, 0.0, [])
