"""Training targets of the segmenter, drawn from a page's line outlines and baselines.

Three channels at the segmenter's scale: the line regions (the outlines
filled), the line cores (each outline shrunk by a share of its height above
and below, so that neighbouring lines, whose outlines touch, are apart) and
the baselines (drawn a few pixels thick).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from mltu_ext.pages.layout import LineOnPage

REGION, CORE, BASELINE = 0, 1, 2
# a core keeps the middle of its line: this share of the outline's height goes at top and bottom
CORE_TRIM = 0.3
BASELINE_THICKNESS = 2  # OpenCV thickness: 3 rows for a level line


def scale_for(size: tuple[int, int], long_side: int) -> float:
    """The factor that brings a (width, height) page to ``long_side`` pixels on its longer side.

    >>> scale_for((1530, 1980), 1024)
    0.5171717171717172
    """
    return long_side / max(size)


def _points(points: Sequence[Sequence[float]], scale: float) -> np.ndarray:
    return np.rint(np.asarray(points, np.float64) * scale).astype(np.int32).reshape(-1, 1, 2)


def line_targets(lines: Sequence[LineOnPage], shape: tuple[int, int], scale: float) -> np.ndarray:
    """uint8 (H, W, 3) of 0/255 for ``lines`` (page pixels) on a page of ``shape`` (H, W) at ``scale``.

    >>> line = LineOnPage("a", ((0, 10), (99, 10), (99, 29), (0, 29)), ((0, 26), (99, 26)))
    >>> t = line_targets([line], (40, 100), 1.0)
    >>> [int(t[:, 50, c].astype(bool).sum()) for c in range(3)]  # region 20 rows, core 8, baseline 3
    [20, 8, 3]
    """
    region, core_mask, baseline = (np.zeros(shape, np.uint8) for _ in range(3))  # OpenCV draws on 2-D arrays
    for line in lines:
        outline = _points(line.polygon, scale)
        cv2.fillPoly(region, [outline], 255)
        x, y, w, h = cv2.boundingRect(outline)
        trim = round(h * CORE_TRIM)
        if h - 2 * trim >= 1:
            own = np.zeros((h, w), np.uint8)
            cv2.fillPoly(own, [outline - np.array([x, y], np.int32)], 255)
            kernel = np.ones((2 * trim + 1, 1), np.uint8)
            core = cv2.erode(own, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
            # the outline may reach past the page: keep the part on it
            x0, y0 = max(x, 0), max(y, 0)
            window = core_mask[y0 : y + h, x0 : x + w]
            rows, cols = window.shape
            np.maximum(window, core[y0 - y : y0 - y + rows, x0 - x : x0 - x + cols], out=window)
        if line.baseline:
            cv2.polylines(baseline, [_points(line.baseline, scale)], False, 255, BASELINE_THICKNESS)
    return np.stack([region, core_mask, baseline], axis=-1)  # H,W,3 in REGION, CORE, BASELINE order
