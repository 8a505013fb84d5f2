"""The order in which a page's lines are read: columns left to right, lines top to bottom.

A recursive XY cut over the lines' boxes. Where a vertical gap runs through
the whole set, the parts left and right of it are columns, read left to
right. Otherwise the set is cut at its horizontal gaps: if one of them frees
columns above or below it (a title over two columns), the set is cut there
first; else the bands are read top to bottom. Handwritten lines overlap
their neighbours by their ascenders and descenders, so for the horizontal
gaps each box counts only its middle half in height. Text blocks are kept
whole: the blocks are ordered as boxes first, then the lines inside each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mltu_ext.pages.layout import LineOnPage

# share of a box's height that counts on each side when looking for horizontal gaps
_CORE = 0.25


def xy_order(boxes: Sequence[Sequence[float]]) -> list[int]:
    """The reading order of ``boxes`` (N, 4: x0, y0, x1, y1) as indices.

    >>> xy_order([(0, 0, 10, 5), (20, 0, 30, 5), (0, 10, 10, 15), (20, 10, 30, 15)])  # two columns
    [0, 2, 1, 3]
    """
    array = np.asarray(boxes, np.float64).reshape(-1, 4)
    return _order(array, list(range(len(array))))


def _order(boxes: np.ndarray, items: list[int]) -> list[int]:
    if len(items) <= 1:
        return list(items)
    columns = _split(boxes, items, axis=0)
    if len(columns) > 1:
        return [i for column in columns for i in _order(boxes, column)]
    bands = _split(boxes, items, axis=1)
    if len(bands) > 1:
        for k in range(1, len(bands)):
            above = [i for band in bands[:k] for i in band]
            below = [i for band in bands[k:] for i in band]
            if len(_split(boxes, below, axis=0)) > 1 or len(_split(boxes, above, axis=0)) > 1:
                return _order(boxes, above) + _order(boxes, below)
        return [i for band in bands for i in _order(boxes, band)]
    # no gap either way: one column of touching lines, top to bottom by their middles
    return sorted(items, key=lambda i: ((boxes[i, 1] + boxes[i, 3]) / 2, boxes[i, 0]))


def _split(boxes: np.ndarray, items: list[int], axis: int) -> list[list[int]]:
    """``items`` in groups separated by gaps along ``axis`` (0: x, 1: y), in increasing order."""
    low, high = boxes[items, axis], boxes[items, axis + 2]
    if axis == 1:
        margin = (high - low) * _CORE
        low, high = low + margin, high - margin
    order = np.argsort(low, kind="stable")
    groups: list[list[int]] = []
    reach = -np.inf
    for k in order:
        if low[k] >= reach:  # a gap (or touching ends) before this box: a new group
            groups.append([])
        groups[-1].append(items[k])
        reach = max(reach, high[k])
    return groups


def reading_order(lines: Sequence[LineOnPage]) -> list[LineOnPage]:
    """``lines`` in reading order; lines of one text block (``block_id``) stay together."""
    if not lines:
        return []
    blocks: dict[object, list[int]] = {}
    for i, line in enumerate(lines):
        # a line without a block is a block of its own
        key = ("block", line.block_id) if line.block_id is not None else ("line", i)
        blocks.setdefault(key, []).append(i)
    groups = list(blocks.values())
    block_boxes = [_union([lines[i].box for i in group]) for group in groups]
    ordered = []
    for g in xy_order(block_boxes):
        group = groups[g]
        inner = xy_order([lines[i].box for i in group])
        ordered.extend(lines[group[k]] for k in inner)
    return ordered


def _union(boxes: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    array = np.asarray(boxes, np.float64)
    return (array[:, 0].min(), array[:, 1].min(), array[:, 2].max(), array[:, 3].max())
