"""From the segmenter's maps to text lines: outlines and baselines in page pixels.

Each connected piece of the baseline map (thresholded, small gaps along the
line closed) is one line. The lines' spacing on the page is the median
distance between baselines one above the other. Every pixel of the region
map goes to the nearest baseline moved up by a quarter of that spacing (to
the middle of its writing), within three quarters of a spacing: lines whose
regions touch are cut about where the descenders of one end and the
ascenders of the next begin. A line's outline is the outer contour of its
pixels, its baseline the middle of its baseline piece column by column.
The core map (the middle of each line) is learnt alongside but not needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mltu_ext.pages.layout import LineOnPage
from mltu_ext.segment.targets import BASELINE, REGION


@dataclass(frozen=True)
class PostSettings:
    """Thresholds of the post-processing (probabilities 0-1, sizes in pixels of the maps)."""

    region: float = 0.5
    baseline: float = 0.3
    close: int = 9  # gaps along a baseline up to this many columns are closed
    min_length: int = 15  # shorter baseline pieces are specks, not lines
    spacing: float = 40.0  # line spacing when the page has no two lines one above the other
    lift: float = 0.25  # baselines move up by this share of the spacing to reach the writing
    reach: float = 0.75  # region pixels join a line within this share of the spacing
    step: int = 8  # columns between baseline points
    simplify: float = 1.0  # Douglas-Peucker tolerance of outlines


def line_spacing(pieces: list[np.ndarray], default: float) -> float:
    """The median vertical distance between baselines that overlap in x, nearest below each.

    ``pieces`` are (N, 2) arrays of each baseline's (x, y) pixels.

    >>> a, b = np.array([[0, 10], [50, 10]]), np.array([[10, 50], [60, 50]])
    >>> line_spacing([a, b], 40.0), line_spacing([a], 40.0)
    (40.0, 40.0)
    """
    spans = [(p[:, 0].min(), p[:, 0].max(), float(p[:, 1].mean())) for p in pieces]
    gaps = []
    for x0, x1, y in spans:
        below = [oy - y for ox0, ox1, oy in spans if oy > y and min(x1, ox1) > max(x0, ox0)]
        if below:
            gaps.append(min(below))
    return float(np.median(gaps)) if gaps else default


def _baseline_points(piece: np.ndarray, step: int, scale: float) -> tuple[tuple[float, float], ...]:
    """A baseline's points every ``step`` columns (the mean row of its pixels there), in page pixels.

    Points that lie within half a map pixel of the line through their neighbours are dropped.
    """
    xs, ys = piece[:, 0], piece[:, 1]
    points = []
    columns = list(range(int(xs.min()), int(xs.max()) + 1, step))
    if columns[-1] != int(xs.max()):
        columns.append(int(xs.max()))
    for x in columns:
        near = np.abs(xs - x) <= step // 2
        points.append((float(x), float(ys[near].mean())))
    if len(points) > 2:  # a straight stretch keeps only its ends
        points = cv2.approxPolyDP(np.asarray(points, np.float32).reshape(-1, 1, 2), 0.5, False).reshape(-1, 2)
    return tuple((round(float(x) / scale, 1), round(float(y) / scale, 1)) for x, y in points)


def maps_to_lines(maps: np.ndarray, scale: float = 1.0, cfg: PostSettings | None = None) -> list[LineOnPage]:
    """Lines found in the maps (H, W, 3: region, core, baseline probabilities) of a page shown at ``scale``.

    Coordinates are divided by ``scale`` (the maps' size over the page's), so
    they come out in the page's own pixels; lines come top to bottom by their
    baselines' first row, not yet in reading order.
    """
    cfg = cfg or PostSettings()
    baselines = (maps[..., BASELINE] >= cfg.baseline).astype(np.uint8)
    baselines = cv2.morphologyEx(baselines, cv2.MORPH_CLOSE, np.ones((1, cfg.close), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(baselines, connectivity=8)
    keep = [k for k in range(1, count) if stats[k, cv2.CC_STAT_WIDTH] >= cfg.min_length]
    if not keep:
        return []
    pieces = {k: np.argwhere(labels == k)[:, ::-1] for k in keep}  # x, y per pixel
    spacing = line_spacing(list(pieces.values()), cfg.spacing)
    lift = max(1, round(spacing * cfg.lift))
    seeds = np.zeros_like(labels)
    for k, piece in pieces.items():
        ys = np.clip(piece[:, 1] - lift, 0, None)
        seeds[ys, piece[:, 0]] = k
    # for every pixel: the distance to the nearest moved baseline pixel and that pixel's line
    distance, nearest = cv2.distanceTransformWithLabels(
        (seeds == 0).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(seeds)
    owner = np.zeros(int(nearest.max()) + 1, np.int32)  # DIST_LABEL_PIXEL numbers the seed pixels
    owner[nearest[ys, xs]] = seeds[ys, xs]
    assigned = owner[nearest]  # H,W: the line of the nearest seed pixel
    region = (maps[..., REGION] >= cfg.region) & (distance <= cfg.reach * spacing)
    lines = []
    for k in sorted(keep, key=lambda k: (stats[k, cv2.CC_STAT_TOP], stats[k, cv2.CC_STAT_LEFT])):
        mask = ((region & (assigned == k)) | (seeds == k)).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            continue
        outline = cv2.approxPolyDP(max(contours, key=cv2.contourArea), cfg.simplify, True).reshape(-1, 2)
        if len(outline) < 3:
            continue
        lines.append(
            LineOnPage(
                f"line_{len(lines) + 1}",
                tuple((round(float(x) / scale, 1), round(float(y) / scale, 1)) for x, y in outline),
                _baseline_points(pieces[k], cfg.step, scale),
            )
        )
    return lines
