"""Where a line's characters and words are on the page, from their CTC time steps.

The recogniser scales a line's crop to its input height, and each of its
output steps covers ``time_scale`` columns of the scaled crop; a step is put
back on the page by undoing that scale and adding the crop's left edge. The
height comes from the baseline at that x (or the crop's middle without one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mltu_ext.ctc.confidence import Reading
from mltu_ext.data.images import width_at_height
from mltu_ext.pages.layout import Box, CharOnPage, Point, WordOnPage


def step_columns(
    steps: np.ndarray | float, crop_width: int, crop_height: int, height: int, time_scale: int
) -> np.ndarray | float:
    """Crop columns (float) of CTC step boundaries ``steps`` for a crop scaled to ``height``.

    >>> float(step_columns(10, crop_width=300, crop_height=128, height=64, time_scale=4))
    80.0
    """
    scaled_width = width_at_height(crop_width, crop_height, height)
    return np.asarray(steps, np.float64) * time_scale * crop_width / scaled_width


def baseline_y(baseline: Sequence[Point] | None, x: np.ndarray, fallback: float) -> np.ndarray:
    """The baseline's height at each ``x`` (held flat past its ends); ``fallback`` without one."""
    x = np.asarray(x, np.float64)
    if not baseline:
        return np.full(x.shape, float(fallback))
    points = sorted(baseline)
    xs = np.array([p[0] for p in points], np.float64)
    ys = np.array([p[1] for p in points], np.float64)
    return np.interp(x, xs, ys)


def place_reading(
    reading: Reading,
    crop_box: Box,
    baseline: Sequence[Point] | None,
    height: int,
    time_scale: int,
) -> tuple[tuple[CharOnPage, ...], tuple[WordOnPage, ...]]:
    """The characters (at their middles) and word boxes of ``reading`` in page pixels.

    ``crop_box`` is the (x0, y0, x1, y1) box the line was cut from; the word
    boxes span the crop's height.
    """
    x0, y0, x1, y1 = crop_box
    width, rows = round(x1 - x0), round(y1 - y0)

    def to_page(steps: np.ndarray) -> np.ndarray:
        return x0 + step_columns(steps, width, rows, height, time_scale)

    middle = (y0 + y1) / 2
    chars: tuple[CharOnPage, ...] = ()
    if reading.chars:
        centres = to_page(np.array([(c.start + c.end) / 2 for c in reading.chars]))
        ys = baseline_y(baseline, centres, middle)
        chars = tuple(
            CharOnPage(c.char, c.confidence, round(float(x), 1), round(float(y), 1))
            for c, x, y in zip(reading.chars, centres, ys, strict=True)
        )
    words = []
    for word in reading.words:
        left, right = to_page(np.array([word.start, word.end]))
        box = (round(float(left), 1), float(y0), round(float(min(right, x1)), 1), float(y1))
        words.append(WordOnPage(word.text, word.confidence, box))
    return chars, tuple(words)
