"""Line detection scores: predicted outlines matched one to one to the true ones by mask overlap.

A predicted line matches a true line when their filled outlines overlap
with an intersection over union of at least ``threshold`` (0.5); pairs are
taken greedily, best overlap first, each line in at most one pair (above
0.5 no line can have two partners anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Outline = Sequence[Sequence[float]]


@dataclass(frozen=True)
class DetectionScore:
    """Counts and rates of one or more pages."""

    true_lines: int
    found_lines: int
    matched: int

    @property
    def precision(self) -> float:
        """Share of the found lines that match a true line (0 when none was found)."""
        return self.matched / self.found_lines if self.found_lines else 0.0

    @property
    def recall(self) -> float:
        """Share of the true lines that a found line matches (0 when there are none)."""
        return self.matched / self.true_lines if self.true_lines else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0 when there are no lines)."""
        total = self.true_lines + self.found_lines
        return 2 * self.matched / total if total else 0.0

    def __add__(self, other: DetectionScore) -> DetectionScore:
        return DetectionScore(
            self.true_lines + other.true_lines,
            self.found_lines + other.found_lines,
            self.matched + other.matched,
        )


def _masks(
    outlines: Sequence[Outline], shape: tuple[int, int]
) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    """Each outline as (box, its filled mask inside the box) on a page of ``shape`` (H, W)."""
    found = []
    for outline in outlines:
        points = np.rint(np.asarray(outline, np.float64)).astype(np.int32).reshape(-1, 2)
        points = np.clip(points, 0, [shape[1] - 1, shape[0] - 1])
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0) + 1
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [points - np.array([x0, y0])], 1)
        found.append(((int(x0), int(y0), int(x1), int(y1)), mask.astype(bool)))
    return found


def _iou(a, b) -> float:
    (ax0, ay0, ax1, ay1), ma = a
    (bx0, by0, bx1, by1), mb = b
    x0, y0, x1, y1 = max(ax0, bx0), max(ay0, by0), min(ax1, bx1), min(ay1, by1)
    if x0 >= x1 or y0 >= y1:
        return 0.0
    inter = np.logical_and(
        ma[y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0], mb[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0]
    )
    both = int(inter.sum())
    return both / (int(ma.sum()) + int(mb.sum()) - both) if both else 0.0


def match_lines(
    truth: Sequence[Outline], found: Sequence[Outline], shape: tuple[int, int], threshold: float = 0.5
) -> tuple[DetectionScore, list[tuple[int, int, float]]]:
    """The score of ``found`` outlines against ``truth`` on a page of ``shape``, and the pairs (t, f, IoU).

    >>> square = [(0, 0), (9, 0), (9, 9), (0, 9)]
    >>> score, pairs = match_lines([square], [square, [(20, 20), (29, 20), (29, 29)]], (40, 40))
    >>> score.matched, round(score.precision, 2), score.recall, pairs
    (1, 0.5, 1.0, [(0, 0, 1.0)])
    """
    true_masks, found_masks = _masks(truth, shape), _masks(found, shape)
    candidates = []
    for t, a in enumerate(true_masks):
        for f, b in enumerate(found_masks):
            iou = _iou(a, b)
            if iou >= threshold:
                candidates.append((iou, t, f))
    used_t, used_f, pairs = set(), set(), []
    for iou, t, f in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):  # ties: file order
        if t not in used_t and f not in used_f:
            used_t.add(t)
            used_f.add(f)
            pairs.append((t, f, round(iou, 4)))
    return DetectionScore(len(truth), len(found), len(pairs)), sorted(pairs)
