"""Geometry of the ALTO and PAGE XML readers: point lists, areas, scaling to the image's pixels.

A file's coordinates may be in another unit or for another size than its
image's; these helpers read them, check them and bring them to the image.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.data.samples import Region
from mltu_ext.errors import DatasetError

if TYPE_CHECKING:  # only a type hint: layout_common imports this module
    from mltu_ext.data.readers.layout_common import PageInfo

Points = tuple[tuple[float, float], ...]

# no page comes near this many pixels (or ALTO mm10 / inch1200 units) a side
MAX_COORDINATE = 1_000_000


def parse_points(text: str) -> Points:
    """``"x,y x,y ..."`` (PAGE, ALTO v2) or ``"x y x y ..."`` (ALTO v4) as (x, y) pairs.

    Raises ValueError for a value that is not a finite number or lies beyond any page, an odd
    count, fewer than 3 points, or points on one line (no area to cut out).

    >>> parse_points("1,2 3,4 5,1") == parse_points("1 2 3 4 5 1") == ((1, 2), (3, 4), (5, 1))
    True
    """
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        bad = next(t for t in tokens if not _is_number(t))
        raise ValueError(f"point value {bad!r} is not a number") from None
    # checked as one array: per value in Python these checks took half of reading Copiste's
    # 284 ALTO files (5,400 outlines of about 80 points)
    magnitudes = np.abs(np.array(values, np.float64))
    if not np.isfinite(magnitudes).all():
        raise ValueError("point values must be finite numbers")
    if len(values) % 2:
        raise ValueError(f"odd number of point values ({len(values)}): x without y")
    if len(values) < 6:
        raise ValueError(f"{len(values) // 2} point(s); a line outline needs at least 3")
    if magnitudes.max() > MAX_COORDINATE:
        raise ValueError(f"a point value beyond any page ({MAX_COORDINATE:,.0f} pixels)")
    points = tuple(zip(values[::2], values[1::2], strict=True))
    if polygon_area(points) == 0:
        raise ValueError("the outline has no area (its points lie on one line)")
    return points


def polygon_area(points: Points) -> float:
    """The area enclosed by ``points`` (shoelace formula; 0 when they lie on one line).

    >>> polygon_area(((0, 0), (4, 0), (4, 2), (0, 2))), polygon_area(((0, 0), (1, 1), (2, 2)))
    (8.0, 0.0)
    """
    following = points[1:] + points[:1]
    twice = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, following, strict=True))
    return abs(twice) / 2


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def parse_baseline(text: str | None) -> tuple[tuple[float, float], ...] | None:
    """A baseline's points (two or more), or None when ``text`` is empty or not a point list.

    A baseline only helps (positions, segmentation), so a bad one is dropped rather than refused.

    >>> parse_baseline("1,2 3,4"), parse_baseline("1 2 3 4"), parse_baseline("1 x"), parse_baseline(None)
    (((1.0, 2.0), (3.0, 4.0)), ((1.0, 2.0), (3.0, 4.0)), None, None)
    """
    if not text or not text.strip():
        return None
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    if len(tokens) < 4 or len(tokens) % 2 or not all(_is_number(t) for t in tokens):
        return None
    values = [float(t) for t in tokens]
    if any(v != v or v in (float("inf"), float("-inf")) for v in values):
        return None
    return tuple(zip(values[::2], values[1::2], strict=True))


def rectangle(x: float, y: float, width: float, height: float) -> Points:
    """The corners of a box whose crop is ``width`` x ``height`` pixels (last pixel inclusive)."""
    right, bottom = x + max(width, 1) - 1, y + max(height, 1) - 1
    return ((x, y), (right, y), (right, bottom), (x, bottom))


# how far the shape (width / height) of a page declared in pixels may differ from its image's:
# an image scaled as a whole keeps it; more is another page's image, whose lines would be cut stretched
MAX_ASPECT_CHANGE = 0.02


def scale_points(points: Points, sx: float, sy: float) -> Region:
    """``points`` scaled by ``sx`` and ``sy``, rounded to whole pixels."""
    return tuple((round(x * sx), round(y * sy)) for x, y in points)


def scale_factors(
    xml: Path, info: PageInfo, size: tuple[int, int] | None, image: Path | None = None
) -> tuple[float, float]:
    """Factors from the file's coordinates to the image's pixels.

    Coordinates in another unit (ALTO mm10, inch1200) or for a page size that
    is not the image's (an image scaled as a whole after the export) are scaled
    by image size / declared page size. A page declared in pixels whose shape
    differs from the image's by more than ``MAX_ASPECT_CHANGE`` is refused:
    stretching it would cut every line in the wrong place, and the image is most
    likely another page's.
    """
    pixel = info.unit.lower() in ("pixel", "pixels", "px", "")
    if size is None:
        if not pixel:
            raise DatasetError(f"{xml}: coordinates in {info.unit!r} and the image's size cannot be read")
        return 1.0, 1.0
    if not info.width or not info.height:
        if not pixel:
            raise DatasetError(
                f"{xml}: coordinates in {info.unit!r} need the Page WIDTH and HEIGHT to scale them"
            )
        return 1.0, 1.0
    if pixel and (info.width, info.height) == size:
        return 1.0, 1.0
    if pixel and (info.width, info.height) == (size[1], size[0]):
        # the stored size of a photo its EXIF orientation turns: scaling would stretch every line
        raise DatasetError(
            f"{xml}: the page is declared {info.width:g}x{info.height:g} pixels, and its image is read "
            f"upright as {size[0]}x{size[1]}: turned a quarter against the layout (by its EXIF "
            "orientation, or since the export); export the layout from the image as it is read"
        )
    sx, sy = size[0] / info.width, size[1] / info.height
    # a page scaled as a whole keeps its shape, up to a pixel of rounding on either side
    rounding = max(1 / size[0], 1 / size[1])
    if pixel and max(sx, sy) / min(sx, sy) - 1 > MAX_ASPECT_CHANGE + rounding:
        named = f"its image {image}" if image is not None else "its image"
        raise DatasetError(
            f"{xml}: the page is declared {info.width:g}x{info.height:g} pixels and {named} is "
            f"{size[0]}x{size[1]}, a different shape (width/height {info.width / info.height:.3g} "
            f"against {size[0] / size[1]:.3g}); it is most likely not this file's image"
        )
    return sx, sy


def outside_image(region: Region, size: tuple[int, int]) -> bool:
    """True when the outline's bounding box has no pixel inside the image."""
    xs = [x for x, _ in region]
    ys = [y for _, y in region]
    return max(xs) < 0 or max(ys) < 0 or min(xs) >= size[0] or min(ys) >= size[1]
