"""Render one line of text as handwriting-like pixels: dark ink on white paper."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from mltu_ext.synth.fonts import HERSHEY, find_fonts, font_family


@functools.lru_cache(maxsize=64)
def _font(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def pick_font(rng: np.random.Generator, fonts: tuple[str, ...] | None = None) -> str:
    """A random installed handwriting font, or ``"hershey"`` when there is none."""
    fonts = find_fonts() if fonts is None else fonts
    if not fonts:
        return HERSHEY
    # choose the family first, so a family with six weights is not six times as likely
    families: dict[str, list[str]] = {}
    for path in fonts:
        families.setdefault(font_family(path), []).append(path)
    names = sorted(families)
    members = families[names[int(rng.integers(len(names)))]]
    return members[int(rng.integers(len(members)))]


def _draw_ttf(text: str, font_path: str, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage (H, W) float32 in 0..1, drawn letter by letter with jitter."""
    from PIL import Image, ImageDraw

    size = int(rng.integers(40, 56))
    font = _font(font_path, size)
    spacing = rng.uniform(-0.06, 0.12) * size  # extra gap between letters
    wobble_amp = rng.uniform(0.0, 0.08) * size
    wobble_freq = rng.uniform(0.5, 2.0) * np.pi / max(len(text), 1)
    stroke = int(rng.random() < 0.25)
    width = int(font.getlength(text) + len(text) * (abs(spacing) + 2) + size * 2)
    canvas = Image.new("L", (width, size * 2), 0)
    draw = ImageDraw.Draw(canvas)
    x = size * 0.5
    phase = rng.uniform(0, 2 * np.pi)
    for i, char in enumerate(text):
        y = size * 0.4 + wobble_amp * np.sin(phase + i * wobble_freq) + rng.normal(0, 0.02 * size)
        draw.text((x, y), char, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
        x += font.getlength(char) + spacing + rng.normal(0, 0.03 * size)
    return np.asarray(canvas, dtype=np.float32) / 255.0


def _draw_hershey(text: str, rng: np.random.Generator) -> np.ndarray:
    face = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX if rng.random() < 0.5 else cv2.FONT_HERSHEY_SCRIPT_COMPLEX
    scale = rng.uniform(1.3, 1.7)
    thickness = int(rng.integers(2, 4))
    (w, h), base = cv2.getTextSize(text, face, scale, thickness)
    canvas = np.zeros((h + base + 30, w + 30), np.uint8)
    cv2.putText(canvas, text, (15, h + 15), face, scale, 255, thickness, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def _slant(ink: np.ndarray, shear: float) -> np.ndarray:
    h, w = ink.shape
    pad = int(abs(shear) * h) + 2
    matrix = np.float32([[1, -shear, pad + (shear * h if shear > 0 else 0)], [0, 1, 0]])
    return cv2.warpAffine(ink, matrix, (w + 2 * pad, h), flags=cv2.INTER_LINEAR, borderValue=0)


def _elastic(ink: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Smooth random displacement: strokes bend a little, as a hand's would."""
    h, w = ink.shape
    sigma = max(h, 8) * 0.12
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    scale = strength * h / max(np.abs(dx).max(), np.abs(dy).max(), 1e-6)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(ink, xs + dx * scale, ys + dy * scale, cv2.INTER_LINEAR, borderValue=0)


def _crop(ink: np.ndarray, margin: int) -> np.ndarray:
    rows = np.flatnonzero(ink.max(axis=1) > 0.1)
    cols = np.flatnonzero(ink.max(axis=0) > 0.1)
    if rows.size == 0 or cols.size == 0:
        return ink
    top, bottom = max(rows[0] - margin, 0), min(rows[-1] + margin + 1, ink.shape[0])
    left, right = max(cols[0] - margin, 0), min(cols[-1] + margin + 1, ink.shape[1])
    return ink[top:bottom, left:right]


def render_text(text: str, rng: np.random.Generator, font: str | None = None, height: int = 64) -> np.ndarray:
    """``text`` as uint8 grayscale (height, W), dark ink on white, cropped with a small margin.

    ``font`` is a TTF/OTF path, ``"hershey"`` for OpenCV's script fonts, or
    None for a random installed handwriting font.
    """
    if not text:
        raise ValueError("render_text needs a non-empty text")
    font = pick_font(rng) if font is None else font
    ink = _draw_hershey(text, rng) if font == HERSHEY else _draw_ttf(text, font, rng)
    ink = _slant(ink, rng.uniform(-0.35, 0.35))
    if rng.random() < 0.7:
        ink = _elastic(ink, rng, rng.uniform(0.01, 0.03))
    # stroke thickness: thin or thicken now and then
    roll = rng.random()
    kernel = np.ones((2, 2), np.uint8)
    if roll < 0.2:
        ink = cv2.erode(ink, kernel)
    elif roll < 0.45:
        ink = cv2.dilate(ink, kernel)
    ink = _crop(ink, margin=int(rng.integers(2, 8)))
    h, w = ink.shape
    new_w = max(1, round(w * height / h * rng.uniform(0.85, 1.15)))  # a little narrower or wider
    ink = cv2.resize(ink, (new_w, height), interpolation=cv2.INTER_AREA)
    paper = rng.uniform(215, 255)
    darkness = rng.uniform(0.65, 1.0) * paper  # how far the ink is from the paper
    image = paper - darkness * np.clip(ink, 0, 1)
    image += rng.normal(0, rng.uniform(0, 6), image.shape)
    if rng.random() < 0.3:
        image = cv2.GaussianBlur(image, (3, 3), 0)
    return np.clip(image, 0, 255).astype(np.uint8)


def render_line(text: str, rng: np.random.Generator, font: str | None = None, height: int = 64) -> np.ndarray:
    """Several words, each rendered on its own and joined with word-sized gaps."""
    words = text.split()
    if not words:
        raise ValueError("render_line needs some text")
    font = pick_font(rng) if font is None else font
    parts = [render_text(word, rng, font, height) for word in words]
    gap = np.full((height, max(4, height // 3)), 255, np.uint8)
    joined: list[np.ndarray] = []
    for part in parts:
        joined.extend([part, gap])
    return np.concatenate(joined[:-1], axis=1)
