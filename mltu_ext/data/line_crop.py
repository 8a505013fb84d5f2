"""Cut a text line out of a page image by its outline polygon.

The crop is the polygon's bounding box; the pixels of the box outside the
polygon (parts of the lines above and below, which an outline from
eScriptorium or Transkribus leaves out on purpose) become the paper's own
gray, so the model sees one line on plain paper.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from mltu_ext.errors import ImageReadError


def paper_value(pixels: np.ndarray) -> int:
    """The gray of the paper in ``pixels`` (uint8): the median of those above the Otsu threshold.

    Taken near the line rather than over the page, because the light of a
    scan or photo varies by tens of gray levels across a page (darker edges,
    a gutter shadow); the Otsu threshold splits ink from paper, so the ink,
    however much there is, does not pull the value darker. A box without
    contrast is all paper: its median.
    """
    flat = np.ascontiguousarray(pixels).reshape(1, -1)
    if flat.size == 0:
        return 255
    threshold, _ = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    light = flat[flat > threshold]
    return int(np.median(light if light.size else flat))


def crop_polygon(
    page: np.ndarray, points: Sequence[Sequence[float]], background: int | None = None
) -> np.ndarray:
    """The line inside ``points`` cut out of ``page`` (uint8, H x W), as (h, w) uint8.

    The crop is the polygon's bounding box (both ends inclusive) clipped to
    the page; outside the polygon it holds ``background``, by default
    :func:`paper_value` of the box. ValueError for fewer than 3 points;
    ImageReadError when the polygon lies wholly outside the page.

    >>> page = np.zeros((4, 6), np.uint8)
    >>> crop_polygon(page, [(1, 0), (4, 0), (4, 2)], background=255)
    array([[  0,   0,   0,   0],
           [255,   0,   0,   0],
           [255, 255, 255,   0]], dtype=uint8)
    """
    if page.ndim != 2:
        raise ValueError(f"page must be grayscale (H, W), got shape {page.shape}")
    corners = _corners(points)
    x0, y0, x1, y1 = _box(corners, page.shape)
    box = page[y0:y1, x0:x1]
    mask = np.zeros(box.shape, np.uint8)
    # points past the page edge stay as they are: fillPoly clips to the mask
    cv2.fillPoly(mask, [corners - np.array([x0, y0], np.int32)], 255)
    fill = paper_value(box) if background is None else int(background)
    return np.where(mask > 0, box, np.uint8(fill)).astype(np.uint8)


def crop_size(page_shape: tuple[int, ...], points: Sequence[Sequence[float]]) -> tuple[int, int]:
    """(height, width) of the crop :func:`crop_polygon` cuts for ``points`` out of a page of
    ``page_shape`` (H, W), without cutting it; the same ValueError and ImageReadError.

    >>> crop_size((4, 6), [(1, 0), (4, 0), (4, 2)]), crop_size((4, 6), [(-2, 1), (9, 1), (9, 9)])
    ((3, 4), (3, 6))
    """
    x0, y0, x1, y1 = crop_bounds(page_shape, points)
    return y1 - y0, x1 - x0


def crop_bounds(page_shape: tuple[int, ...], points: Sequence[Sequence[float]]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), ends exclusive: where on a page of ``page_shape`` (H, W) the crop
    :func:`crop_polygon` cuts for ``points`` lies; the same ValueError and ImageReadError.

    >>> crop_bounds((4, 6), [(1, 0), (4, 0), (4, 2)])
    (1, 0, 5, 3)
    """
    return _box(_corners(points), page_shape[:2])


def _corners(points: Sequence[Sequence[float]]) -> np.ndarray:
    """The polygon's points rounded to whole pixels (N, 2) int32; ValueError for fewer than 3."""
    corners = np.rint(np.asarray(points, dtype=np.float64).reshape(-1, 2)).astype(np.int32)
    if len(corners) < 3:
        raise ValueError(f"{len(corners)} point(s); a polygon needs at least 3")
    return corners


def _box(corners: np.ndarray, page_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the corners' box, both ends inclusive, clipped to the page (H, W).

    ImageReadError when it lies wholly outside the page.
    """
    height, width = page_shape
    x0, y0 = np.maximum(corners.min(axis=0), 0)
    x1, y1 = np.minimum(corners.max(axis=0) + 1, (width, height))
    if x0 >= x1 or y0 >= y1:
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        raise ImageReadError(
            f"line outline ({lo[0]},{lo[1]})-({hi[0]},{hi[1]}) lies outside the {width}x{height} page"
        )
    return int(x0), int(y0), int(x1), int(y1)
