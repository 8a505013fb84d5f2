"""Is there any writing in an image? A check before recognition, so that empty paper reads as nothing.

A CTC recogniser trained only on written words has never seen blank paper,
and reads it as its most common word with a confidence that real, hard words
also have. Whether there is ink at all is a plain image question: strokes
darker than the paper by a clear margin, left over once ruled lines (long
straight runs) and speckle are taken away. ``benchmarks/confidence/`` measures
how often it clears real words and stops blank, noise and ruled-paper images.
"""

from __future__ import annotations

import cv2
import numpy as np

# a pixel is ink when it is darker than the paper by this much (0..255) and by
# NOISE_MARGIN times the image's own pixel noise: thin pencil-like strokes are
# only 40-90 levels darker, while scanner or camera noise can be far larger
INK_CONTRAST = 25
NOISE_MARGIN = 5.0
# fewer ink pixels than this share of the image, after lines and specks are gone:
# no writing (a short word at height 64 leaves several per cent)
MIN_INK_SHARE = 0.01
MIN_BLOB = 12  # connected ink regions smaller than this many pixels are speckle
LINE_RATIO = 8  # a region this many times longer than wide (and at most 3 px thin) is a line


def ink_share(image: np.ndarray) -> float:
    """Share of the pixels of ``image`` (uint8 grayscale, dark ink on light paper) that are strokes."""
    gray = np.asarray(image, np.uint8)
    if gray.size == 0:
        return 0.0
    paper = float(np.median(gray))
    # pixel noise: the robust spread of each pixel against its 3x3 median
    detail = gray.astype(np.float32) - cv2.medianBlur(gray, 3).astype(np.float32)
    noise = 1.4826 * float(np.median(np.abs(detail)))
    margin = max(INK_CONTRAST, NOISE_MARGIN * noise)
    ink = ((paper - gray.astype(np.float32)) > margin).astype(np.uint8)  # H,W 0/1
    if not ink.any():
        return 0.0
    height, width = ink.shape
    # ruled lines and margins: runs of ink far longer than any letter is wide
    lines = np.zeros_like(ink)
    if width >= 24:
        lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(24, width // 3)), np.uint8))
    if height >= 16:
        lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(16, int(height * 0.6)), 1), np.uint8))
    # with the pixels next to each line, where its anti-aliased edges lie
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    strokes = ink & (1 - lines)
    _, _, stats, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    area = stats[1:, cv2.CC_STAT_AREA]
    box_w, box_h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    # pieces of faint lines that broke up: thin and far longer than wide
    line_piece = ((box_w >= LINE_RATIO * box_h) & (box_h <= 3)) | (
        (box_h >= LINE_RATIO * box_w) & (box_w <= 3)
    )
    kept = area[(area >= MIN_BLOB) & ~line_piece]
    return float(kept.sum()) / float(height * width)


def has_writing(image: np.ndarray, min_share: float = MIN_INK_SHARE) -> bool:
    """Whether ``image`` holds any strokes once ruled lines and speckle are ignored."""
    return ink_share(image) >= min_share
