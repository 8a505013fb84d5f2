"""Pixel-level variation of a rendered word: pen width, slant, bends, paper and noise.

The functions work on ink masks: float32 (H, W) in 0..1, 1 where the pen
wrote; ``add_paper`` turns a mask into the final uint8 image.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def stroke_width(mask: np.ndarray) -> float:
    """Typical pen width (pixels) of the ink in a uint8 or 0..1 mask.

    A stroke of width w and length L covers w*L pixels and has about 2*L
    pixels on its edge, so w is about 2 * area / edge.
    """
    ink = (mask > (127 if mask.dtype == np.uint8 else 0.5)).astype(np.uint8)
    area = int(ink.sum())
    if area == 0:
        return 0.0
    edge = area - int(cv2.erode(ink, np.ones((3, 3), np.uint8)).sum())
    return 2.0 * area / max(edge, 1)


def adjust_stroke(ink: np.ndarray, current: float, wanted: float) -> np.ndarray:
    """Dilate or erode ``ink`` so its pen width moves from ``current`` towards ``wanted`` pixels.

    Thin strokes are never eroded below about 1.5 pixels, and an erosion that
    would remove more than half the ink is not applied.
    """
    step = int(np.clip(round(wanted - current), -2, 2))
    if step < 0:
        step = max(step, -math.floor(current - 1.5))
    if step == 0:
        return ink
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(step) + 1, abs(step) + 1))
    if step > 0:
        return cv2.dilate(ink, kernel)
    thinner = cv2.erode(ink, kernel)
    return thinner if thinner.sum() >= 0.5 * ink.sum() else ink


def warp(
    ink: np.ndarray,
    rng: np.random.Generator,
    baseline: float,
    shear: float,
    stretch: float,
    bend: float,
    elastic: float,
) -> np.ndarray:
    """Slant, stretch, bend the baseline and elastically distort ``ink`` in one remap.

    ``shear`` > 0 leans letters forward (x moves right by shear * rows above
    the baseline); ``stretch`` scales x; ``bend`` is the amplitude (pixels) of
    a slow vertical wave along the word; ``elastic`` the amplitude (pixels) of a
    smooth random displacement on a grid of about a quarter of the height.
    Returns (H, W') float32; W' holds the slanted, stretched word.
    """
    h, w = ink.shape
    # output column u = stretch * x + shear * (baseline - v) + offset, for source (x, v)
    lean = (shear * baseline, shear * (baseline - (h - 1)))
    offset = -min(lean)
    out_w = math.ceil(w * stretch + max(lean) - min(lean)) + 2
    u = np.arange(out_w, dtype=np.float32)[None, :]  # 1, W'
    v = np.arange(h, dtype=np.float32)[:, None]  # H, 1
    period = h * rng.uniform(1.5, 4.0)
    wave = bend * np.sin(2 * np.pi * u / period + rng.uniform(0, 2 * np.pi))  # 1, W'
    cell = max(h // 4, 4)
    grid = (h // cell + 2, out_w // cell + 2)
    ex = cv2.resize(rng.standard_normal(grid).astype(np.float32), (out_w, h), interpolation=cv2.INTER_CUBIC)
    ey = cv2.resize(rng.standard_normal(grid).astype(np.float32), (out_w, h), interpolation=cv2.INTER_CUBIC)
    map_x = (u - offset - shear * (baseline - v)) / stretch + elastic * ex  # H, W'
    map_y = (v - wave) + elastic * ey  # H, W'
    return cv2.remap(
        ink,
        map_x.astype(np.float32),
        map_y.astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def crop_columns(ink: np.ndarray, margin: int = 0, threshold: float = 0.08) -> np.ndarray:
    """``ink`` cut to the columns that hold ink, plus ``margin`` columns each side (if there)."""
    cols = np.flatnonzero(ink.max(axis=0) > threshold)
    if cols.size == 0:
        return ink
    left = max(int(cols[0]) - margin, 0)
    right = min(int(cols[-1]) + 1 + margin, ink.shape[1])
    return ink[:, left:right]


def add_paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Put the ink mask on paper: uint8 (H, W), dark ink on white.

    Paper is 220..255 (mostly near white), ink 0..90, with now and then a
    slight blur and a lighting gradient, and mild sensor noise.
    """
    if rng.random() < 0.35:
        ink = cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.4, 0.9))
    paper = 255.0 - 35.0 * rng.random() ** 2
    ink_level = rng.uniform(0.0, 90.0)
    image = paper + (ink_level - paper) * ink
    if rng.random() < 0.3:
        tilt = rng.uniform(-8.0, 8.0)
        image += np.linspace(-tilt, tilt, image.shape[1], dtype=np.float32)[None, :]
    noise = rng.uniform(0.0, 5.0)
    image += noise * rng.standard_normal(image.shape, dtype=np.float32)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)
