"""Cheap checks around reading a page: a faint scan's contrast stretched before it is read, and
notes for pages that read as garbage because of how they were scanned (turned, inverted, sloping
or too small) or hold no writing, so that such a page is not read in silence.

The thresholds were measured on a Copiste validation page turned, skewed, inverted, faded and
shrunk, against its true text, and the upside-down ones on all 32 validation pages:
benchmarks/page_segmentation/RESULTS.md, "The page checks" and run 008.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.data.line_crop import crop_bounds, crop_polygon
from mltu_ext.pages.deskew import median_slope
from mltu_ext.pages.layout import LineOnPage, PageText
from mltu_ext.pages.orientation import crops_confidence, lines_are_pieces, mean_confidence

if TYPE_CHECKING:
    from mltu_ext.inference.recognizer import OnnxRecognizer

# ink and paper within this many grey levels: a faint page (pencil, a light or dark scan), whose
# strokes fall under the ink check's contrast, so that its lines read as "" with confidence 1
FAINT_RANGE = 80
# under this the page holds no strokes to stretch: blank paper and its noise
MIN_RANGE = 12
# lines lower than this (pixels, outline box) read far worse: below it the CER climbs steeply
MIN_LINE_HEIGHT = 25
# baselines still sloping more than this (degrees, median over lines) once deskew.py has had its
# turn read worse; nearly all real scans slope less
WARN_SLOPE = 2.5
# the longest lines read again turned 180 degrees: an upright page's read clearly less surely so,
# an upside-down page's clearly more surely, whether the model's confidences are calibrated or not
UPSIDE_DOWN_LINES = 4
UPSIDE_DOWN_MARGIN = 0.05
# fewer characters than this in those lines: short words read alike turned over ("non", "ici")
UPSIDE_DOWN_MIN_CHARS = 20
# said of every page stretch_faint stretched: a blank page's show-through or stains, stretched,
# read as text of low confidence
STRETCHED_NOTE = (
    "its ink was faint, so its contrast was stretched before it was read; if the page is blank, "
    "lines read with a low confidence are likely show-through from the other side or stains"
)
# said of a page read inverted: its lines looked like light writing on a dark ground
NEGATIVE_NOTE = (
    "its lines looked like light writing on a dark ground (a negative), so it was inverted before it was read"
)
# a page whose longest lines read this surely is upright, and is not read again turned (the second
# reading is the dearest of the checks): upside down, pages read well under it, even by a model
# whose confidences are not calibrated
SURE_UPRIGHT = 0.9
# a page whose read lines have a median (mean character) confidence under this reads as garbage:
# noise over a page or an image without writing, whose specks the segmenter takes for lines; real
# pages, even a poorly read one, stay well above it, and noise pages well under it
UNSURE_PAGE = 0.6
# fewer read lines than this are not judged: a heading or a stamp alone may read unsurely and right
UNSURE_MIN_LINES = 3


def stretch_faint(gray: np.ndarray) -> np.ndarray:
    """``gray`` (uint8) with its ink-to-paper range stretched to 0..255 when that range is faint.

    Pages with a clear contrast are returned as they are, so their readings do not change.
    """
    if gray.dtype != np.uint8:  # the image readers give uint8; other depths are left as they are
        return gray
    # the inner 90 % of the page: a scanner's black border is not ink, and as the darkest
    # 0.02 % it would hide a faint page
    h, w = gray.shape[:2]
    inner = gray[h // 20 : h - h // 20, w // 20 : w - w // 20]
    counts = np.cumsum(np.bincount(inner.ravel(), minlength=256))
    # the darkest ink and the paper, past specks and clipping: a page with a few short lines holds
    # well under 0.5 % of ink (its 0.5th percentile is paper), while the darkest 0.02 % of every
    # Copiste page lies below 115
    low, high = (int(np.searchsorted(counts, share * counts[-1])) for share in (0.0002, 0.995))
    if not MIN_RANGE <= high - low < FAINT_RANGE:
        return gray
    lut = np.clip((np.arange(256) - low) * 255.0 / (high - low), 0, 255).astype(np.uint8)
    return lut[gray]


def page_notes(
    gray: np.ndarray, page: PageText, recognizer: OnnxRecognizer, upside_down: bool = True
) -> list[str]:
    """Why ``page`` (read from ``gray``) may have read badly, one sentence each; none for a plain page.

    ``upside_down=False`` leaves out the check that reads lines again turned over, for a caller
    that makes it itself (``upside_down_confidences``).
    """
    lines = [line for line in page.lines if len(line.polygon) >= 3]
    if not lines:
        return []
    notes = [_short_pieces(lines), _inverted(gray, lines), _small(lines), _sloping(lines), _unsure(lines)]
    if upside_down:
        found = upside_down_confidences(gray, lines, recognizer)
        notes.append(upside_down_note(*found) if found else None)
    return [note for note in notes if note]


def _short_pieces(lines: Sequence[LineOnPage]) -> str | None:
    aspect = lines_are_pieces(lines)
    if aspect is None:
        return None
    return (
        f"most of its {len(lines)} lines are short pieces (median {aspect:.1f} times as wide as "
        "tall), not lines of text: the page may be turned a quarter turn (turn it upright) or "
        "hold a drawing"
    )


def looks_negative(gray: np.ndarray, lines: Sequence[LineOnPage]) -> bool:
    """Whether most of ``lines`` hold light writing on a dark ground (a negative, as on microfilm)."""
    return _light_lines(gray, lines) * 2 > len(lines) > 0


def _light_lines(gray: np.ndarray, lines: Sequence[LineOnPage]) -> int:
    # dark strokes pull a line's mean below its median (the paper); light strokes on a dark
    # ground pull it above
    light = 0
    for line in lines:
        x0, y0, x1, y1 = crop_bounds(gray.shape, line.polygon)
        crop = gray[y0:y1, x0:x1]
        light += crop.size > 0 and float(crop.mean()) > float(np.median(crop))
    return light


def _inverted(gray: np.ndarray, lines: Sequence[LineOnPage]) -> str | None:
    light = _light_lines(gray, lines)
    if light * 2 <= len(lines):
        return None
    return (
        f"{light} of its {len(lines)} lines look like light writing on a dark ground (a negative): "
        "invert the image"
    )


def _small(lines: Sequence[LineOnPage]) -> str | None:
    height = float(np.median([line.box[3] - line.box[1] for line in lines]))
    if height >= MIN_LINE_HEIGHT:
        return None
    return (
        f"its lines are about {height:.0f} pixels tall, too small to read well (at least "
        f"{MIN_LINE_HEIGHT}): scan it at a higher resolution"
    )


def _sloping(lines: Sequence[LineOnPage]) -> str | None:
    slope = median_slope(lines)
    if slope is None or abs(slope) <= WARN_SLOPE:
        return None
    return (
        f"its lines slope by about {abs(slope):.1f} degrees: straighten (deskew) the page for a "
        "better reading"
    )


def _unsure(lines: Sequence[LineOnPage]) -> str | None:
    """A note when the page's lines read very unsurely, as noise or an image without writing does."""
    # each line's mean character confidence: a long line of garbage weighs no more than a short one
    read = [mean_confidence([c.confidence for c in line.chars]) for line in lines if line.chars]
    if len(read) < UNSURE_MIN_LINES:
        return None
    median = float(np.median(read))
    if median >= UNSURE_PAGE:
        return None
    return (
        f"its {len(read)} lines read very unsurely (median confidence {median:.2f}, under "
        f"{UNSURE_PAGE}): the image may hold noise or no writing, or a hand the model cannot read; "
        "check the text before using it"
    )


def upside_down_confidences(
    gray: np.ndarray, lines: Sequence[LineOnPage], recognizer: OnnxRecognizer
) -> tuple[float, float] | None:
    """(upright, turned) mean character confidences of the longest read lines when they read
    more surely turned 180 degrees; None when they do not, or when the page reads surely enough."""
    readable = (line for line in lines if line.chars and len(line.polygon) >= 3)
    longest = sorted(readable, key=lambda line: -len(line.chars))
    longest = longest[:UPSIDE_DOWN_LINES]
    if sum(len(line.chars) for line in longest) < UPSIDE_DOWN_MIN_CHARS:
        return None
    upright = mean_confidence([c.confidence for line in longest for c in line.chars])
    if upright >= SURE_UPRIGHT:
        return None
    flipped = crops_confidence([crop_polygon(gray, line.polygon)[::-1, ::-1] for line in longest], recognizer)
    if flipped < upright + UPSIDE_DOWN_MARGIN:
        return None
    return upright, flipped


def upside_down_note(upright: float, flipped: float) -> str:
    """The warning for a page whose lines read more surely upside down."""
    return (
        f"its lines read more surely upside down (mean character confidence {flipped:.2f} against "
        f"{upright:.2f}): the page looks turned 180 degrees; turn it upright"
    )
