"""Straighten a sloping page before its lines are read, and put what was read back where it lies.

The line model reads level lines, and a page scanned or photographed a few degrees off reads far
worse (benchmarks/page_segmentation, run 007). The median slope of the baselines the segmenter
finds says by how much to turn the page back; the page is segmented again level and read, and
every outline, baseline, word box and character position is then turned back onto the page as
it was given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cv2
import numpy as np

from mltu_ext.data.line_crop import paper_value
from mltu_ext.pages.layout import Box, LineOnPage, PageText, Point

# pages whose baselines slope by less than this (degrees) are read as they are: below it the
# turn changed nothing measurable, above it the level page read better
MIN_SLOPE = 1.0
# baselines this steep are no lines of a page held roughly upright (a quarter turn, a drawing)
MAX_SLOPE = 20.0


def median_slope(lines: Sequence[LineOnPage]) -> float | None:
    """The median slope of the lines' baselines, in degrees (y down: positive falls to the right);
    None without a baseline that runs left to right."""
    slopes = []
    for line in lines:
        if line.baseline and len(line.baseline) >= 2:
            (x0, y0), (x1, y1) = line.baseline[0], line.baseline[-1]
            if x1 > x0:
                slopes.append(float(np.degrees(np.arctan2(y1 - y0, x1 - x0))))
    return float(np.median(slopes)) if slopes else None


def needs_turn(slope: float | None) -> bool:
    """Whether a page whose baselines slope by ``slope`` degrees is straightened before it is read."""
    return slope is not None and MIN_SLOPE <= abs(slope) <= MAX_SLOPE


def turn_page(gray: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray]:
    """``gray`` (H, W) turned so that lines sloping by ``slope`` degrees lie level, on a canvas
    large enough to keep every corner, the new corners filled with the paper's tone; and the
    2x3 affine matrix from page pixels to the turned image's pixels."""
    height, width = gray.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), slope, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(np.ceil(height * sin + width * cos)), int(np.ceil(height * cos + width * sin))
    matrix[0, 2] += new_width / 2 - width / 2
    matrix[1, 2] += new_height / 2 - height / 2
    paper = paper_value(gray[::4, ::4])  # a sample is enough for the tone of the paper
    turned = cv2.warpAffine(gray, matrix, (new_width, new_height), flags=cv2.INTER_LINEAR, borderValue=paper)
    return turned, matrix


def page_back(read: PageText, matrix: np.ndarray, width: int, height: int) -> PageText:
    """``read`` (lines found and read on the image :func:`turn_page` made with ``matrix``) with
    every position turned back onto the original page of ``width`` x ``height``, clipped to it."""
    back = cv2.invertAffineTransform(matrix)

    def points(found: Sequence[Point]) -> np.ndarray:  # (N, 2) on the original page, clipped
        moved = np.asarray(found, np.float64) @ back[:, :2].T + back[:, 2]
        return np.clip(moved, 0, (width - 1, height - 1))

    def as_points(found: Sequence[Point] | None) -> tuple[Point, ...] | None:
        if found is None:
            return None
        return tuple((float(x), float(y)) for x, y in points(found))

    def box(found: Box) -> Box:
        # a box's edges lie half a pixel off the centres of the pixels the matrix moves, its far
        # ones past its last pixel (layout.Box): turned as points they came back a pixel off
        x0, y0, x1, y1 = found
        edges = np.asarray([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], np.float64) - 0.5
        corners = np.clip(edges @ back[:, :2].T + back[:, 2] + 0.5, 0, (width, height))
        (left, top), (right, bottom) = corners.min(axis=0), corners.max(axis=0)
        return (float(left), float(top), float(right), float(bottom))

    lines = []
    for line in read.lines:
        chars = line.chars
        if chars:
            placed = points([(c.x, c.y) for c in chars])
            chars = tuple(
                dataclasses.replace(c, x=float(x), y=float(y))
                for c, (x, y) in zip(chars, placed, strict=True)
            )
        lines.append(
            dataclasses.replace(
                line,
                polygon=as_points(line.polygon),
                baseline=as_points(line.baseline),
                words=tuple(dataclasses.replace(w, box=box(w.box)) for w in line.words),
                chars=chars,
            )
        )
    return dataclasses.replace(read, width=width, height=height, lines=tuple(lines))
