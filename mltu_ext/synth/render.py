"""Render a word as handwriting-like pixels: dark ink on white paper, a fixed height.

A word is drawn letter by letter (baseline wobble, spacing jitter) into an ink
mask whose vertical scale comes from the font's metrics, not from the word's
own ink, so "so" and "SO" keep their different heights as on a real line.
``distort`` then slants, bends and thickens the strokes and puts the ink on
paper. The image is cropped tightly left and right, with a small margin.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from mltu_ext.errors import LabelError
from mltu_ext.synth.distort import (
    add_paper,
    adjust_stroke,
    crop_columns,
    stroke_width,
    warp,
)
from mltu_ext.synth.fonts import (
    HERSHEY,
    HERSHEY_FONTS,
    find_fonts,
    font_family,
    is_hershey,
    warn_hershey_fallback,
)

HERSHEY_FACES = {
    "hershey-script-complex": cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    "hershey-script-simplex": cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
}

# letters whose tops and bottoms set a font's line height (the median is used,
# so one long swash does not shrink the whole font)
_ASCENDERS = "bdhklABDEHKLT"
_DESCENDERS = "gjpqy"
_X_LETTERS = "xzvwunm"
_REFERENCE_SIZE = 100
MAX_SPAN = 0.97  # ascender top to descender bottom may fill at most this share of the height


@dataclass(frozen=True)
class FontMetrics:
    """Ink extents of a font at size 1, relative to the baseline (y grows downwards)."""

    top: float  # ascender top, negative
    bottom: float  # descender bottom, positive
    x_height: float  # height of lower-case letters without ascenders
    stroke: float  # pen width of lower-case letters

    @property
    def span(self) -> float:
        """Ink height from the ascender top to the descender bottom."""
        return self.bottom - self.top


@dataclass(frozen=True)
class Style:
    """The random choices that make one "writer's" version of a word."""

    font: str  # TTF/OTF path or a Hershey face name
    x_height: float  # wanted x-height, as a share of the height
    top_share: float  # where the free space goes: 0 all below, 1 all above
    shear: float  # slant: x moves by shear * (rows above the baseline)
    stretch: float  # horizontal scale
    pen: float  # wanted pen width in pixels
    tracking: float  # extra gap between letters, share of the font size
    jitter: float  # random part of the gap, share of the font size
    wobble: float  # per-letter baseline wobble, share of the height
    bend: float  # smooth baseline curve along the word, share of the height
    elastic: float  # elastic displacement, pixels

    @classmethod
    def sample(cls, rng: np.random.Generator, font: str, height: int) -> Style:
        """A random style that keeps the word readable."""
        if font == HERSHEY:
            font = HERSHEY_FONTS[int(rng.integers(len(HERSHEY_FONTS)))]
        return cls(
            font=font,
            x_height=rng.uniform(0.24, 0.36),
            top_share=rng.uniform(0.2, 0.8),
            shear=float(np.clip(rng.normal(0.0, 0.15), -0.35, 0.35)),
            stretch=rng.uniform(0.85, 1.15),
            pen=height * rng.uniform(0.03, 0.075),
            tracking=rng.uniform(-0.03, 0.07),
            jitter=rng.uniform(0.0, 0.03),
            wobble=rng.uniform(0.0, 0.025),
            bend=rng.uniform(0.0, 0.025),
            elastic=rng.uniform(0.0, 0.02) * height,
        )


def pick_font(rng: np.random.Generator, fonts: tuple[str, ...] | None = None) -> str:
    """A random installed handwriting font, or a Hershey face when there is none.

    The family is chosen first, so a family with six weights (Comic Neue) is
    not six times as likely as a family with one.
    """
    fonts = find_fonts() if fonts is None else tuple(fonts)
    if not fonts:
        warn_hershey_fallback()
        return HERSHEY_FONTS[int(rng.integers(len(HERSHEY_FONTS)))]
    families: dict[str, list[str]] = {}
    for path in fonts:
        families.setdefault(font_family(path), []).append(path)
    names = sorted(families)
    members = families[names[int(rng.integers(len(names)))]]
    return members[int(rng.integers(len(members)))]


@functools.lru_cache(maxsize=512)
def _truetype(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=64)
def font_metrics(font: str) -> FontMetrics:
    """Line extents and pen width of ``font`` per pixel of font size (cached per process)."""
    if is_hershey(font):
        return _hershey_metrics(HERSHEY_FACES.get(font, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX))
    ttf = _truetype(font, _REFERENCE_SIZE)
    tops = [ttf.getbbox(c, anchor="ls")[1] for c in _ASCENDERS]
    bottoms = [ttf.getbbox(c, anchor="ls")[3] for c in _DESCENDERS]
    x_tops = [ttf.getbbox(c, anchor="ls")[1] for c in _X_LETTERS]
    probe = ttf.getmask("nouvelle")
    mask = np.frombuffer(bytes(probe), np.uint8).reshape(probe.size[1], probe.size[0])
    return FontMetrics(
        top=float(np.median(tops)) / _REFERENCE_SIZE,
        bottom=float(np.median(bottoms)) / _REFERENCE_SIZE,
        x_height=-float(np.median(x_tops)) / _REFERENCE_SIZE,
        stroke=stroke_width(mask) / _REFERENCE_SIZE,
    )


def _hershey_metrics(face: int) -> FontMetrics:
    # fontScale 1 is the unit "size"; draw each probe letter and find its ink rows
    def extent(char: str) -> tuple[int, int]:
        canvas = np.zeros((120, 80), np.uint8)
        cv2.putText(canvas, char, (10, 70), face, 1.0, 255, 1, cv2.LINE_8)
        rows = np.flatnonzero(canvas.max(axis=1))
        return int(rows[0]) - 70, int(rows[-1]) + 1 - 70

    tops = [extent(c)[0] for c in _ASCENDERS]
    bottoms = [extent(c)[1] for c in _DESCENDERS]
    x_tops = [extent(c)[0] for c in _X_LETTERS]
    return FontMetrics(
        top=float(np.median(tops)),
        bottom=float(np.median(bottoms)),
        x_height=-float(np.median(x_tops)),
        stroke=1.0,
    )


def _letter_offsets(
    text: str, rng: np.random.Generator, style: Style, size: float, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Extra x (spacing) and y (baseline wobble) of each letter, in pixels."""
    n = len(text)
    gaps = (style.tracking + style.jitter * rng.standard_normal(n)) * size
    gaps[0] = 0.0
    dx = np.cumsum(gaps)
    # a slow random walk plus a little independent jump per letter
    walk = np.cumsum(rng.standard_normal(n)) * 0.5 + rng.standard_normal(n) * 0.5
    dy = style.wobble * height * (walk - walk.mean())
    return dx, dy


def _draw_ttf(
    text: str, rng: np.random.Generator, style: Style, height: int, headroom: int = 0
) -> tuple[np.ndarray, int]:
    """Ink mask (headroom + height, W) float32 0..1 and the baseline row."""
    from PIL import Image, ImageDraw

    metrics = font_metrics(style.font)
    size = ink_size(style, height)
    font = _truetype(style.font, size)
    baseline = _baseline(metrics, size, style, height) + headroom
    dx, dy = _letter_offsets(text, rng, style, size, height)
    # kerning-aware pen positions of each letter, then the jitter on top
    starts = np.array([font.getlength(text[:i]) for i in range(len(text))]) + dx
    pad = size  # room for swashes that reach left of the pen or past the advance
    width = int(font.getlength(text) + max(dx[-1], 0) + 2 * pad)
    canvas = Image.new("L", (width, headroom + height), 0)
    draw = ImageDraw.Draw(canvas)
    for char, x, y in zip(text, starts, dy, strict=True):
        draw.text((pad + x, baseline + y), char, fill=255, font=font, anchor="ls")
    return np.asarray(canvas, np.float32) / 255.0, round(baseline)


def _draw_hershey(
    text: str, rng: np.random.Generator, style: Style, height: int, headroom: int = 0
) -> tuple[np.ndarray, int]:
    face = HERSHEY_FACES[style.font]
    metrics = font_metrics(style.font)
    scale = font_scale(style, height)
    thickness = max(1, round(pen_width(style, scale)))
    baseline = _baseline(metrics, scale, style, height) + headroom
    # fontScale s draws a letter about 30*s pixels tall: a "size" for the spacing jitter
    dx, dy = _letter_offsets(text, rng, style, 30 * scale, height)
    advances = [cv2.getTextSize(c, face, scale, thickness)[0][0] for c in text]
    starts = np.concatenate([[0.0], np.cumsum(advances)[:-1]]) + dx
    pad = round(30 * scale)
    width = int(sum(advances) + max(dx[-1], 0) + 2 * pad)
    canvas = np.zeros((headroom + height, width), np.uint8)
    for char, x, y in zip(text, starts, dy, strict=True):
        origin = (round(pad + x), round(baseline + y))
        cv2.putText(canvas, char, origin, face, scale, 255, thickness, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0, round(baseline)


def render_ink(
    text: str, rng: np.random.Generator, style: Style, height: int = 64, headroom: int = 0
) -> np.ndarray:
    """Ink coverage of ``text`` (headroom + height, W) float32 in 0..1, cropped to the ink's columns.

    ``headroom`` rows above the ``height`` band keep what reaches over the font's
    ascenders (the accents of capitals: É, Ä); the baseline moves down by as many.
    """
    if not text.strip():
        raise LabelError("cannot render an empty text")
    if is_hershey(style.font):
        ink, baseline = _draw_hershey(text, rng, style, height, headroom)
    else:
        ink, baseline = _draw_ttf(text, rng, style, height, headroom)
        size = ink_size(style, height)
        ink = adjust_stroke(ink, font_metrics(style.font).stroke * size, pen_width(style, size))
    ink = warp(ink, rng, baseline, style.shear, style.stretch, style.bend * height, style.elastic)
    return crop_columns(ink, margin=0)


def font_scale(style: Style, height: int) -> float:
    """Font size in pixels (TTF) or OpenCV fontScale (Hershey) that ``style`` draws at ``height``.

    The x-height follows the style, but fonts with long ascenders and
    descenders (Ecolier, dkg) are made smaller so that they fit the height.
    """
    metrics = font_metrics(style.font)
    return min(style.x_height * height / metrics.x_height, MAX_SPAN * height / metrics.span)


def ink_size(style: Style, height: int) -> int:
    """The TrueType font size (pixels) that ``style`` draws at ``height``."""
    return max(6, round(font_scale(style, height)))


def pen_width(style: Style, scale: float) -> float:
    """The style's pen width, at most a fifth of the x-height so small letters keep their holes."""
    return min(style.pen, 0.2 * font_metrics(style.font).x_height * scale)


def word_baseline(style: Style, height: int) -> float:
    """The row ``render_ink`` puts the baseline on for ``style`` at ``height`` (its warp keeps the row)."""
    scale = font_scale(style, height) if is_hershey(style.font) else ink_size(style, height)
    return _baseline(font_metrics(style.font), scale, style, height)


def _baseline(metrics: FontMetrics, scale: float, style: Style, height: int) -> float:
    """Row of the baseline: the line's free space split above and below as the style says."""
    free = max(height - metrics.span * scale, 0.0)
    return free * style.top_share - metrics.top * scale


def render_text(text: str, rng: np.random.Generator, font: str | None = None, height: int = 64) -> np.ndarray:
    """``text`` as uint8 grayscale (height, W), dark ink on white, cropped with a small margin.

    ``font`` is a TTF/OTF path, ``"hershey"`` (or a name from
    ``HERSHEY_FONTS``) for OpenCV's script fonts, or None for a random installed
    handwriting font. The same ``rng`` state gives the same pixels.

    >>> image = render_text("hello", np.random.default_rng(0), font="hershey")
    >>> image.dtype, image.shape[0]
    (dtype('uint8'), 64)
    """
    if not text or any(c.isspace() for c in text):
        raise LabelError(f"render_text draws one word without spaces, got {text!r} (see render_line)")
    font = pick_font(rng) if font is None else font
    style = Style.sample(rng, font, height)
    ink = render_ink(text, rng, style, height)
    return add_paper(_margins(ink, rng, height), rng)


def render_line(text: str, rng: np.random.Generator, font: str | None = None, height: int = 64) -> np.ndarray:
    """Several words in one style and on one sheet of paper, joined with word-sized gaps."""
    words = text.split()
    if not words:
        raise LabelError("render_line needs some text")
    font = pick_font(rng) if font is None else font
    style = Style.sample(rng, font, height)
    parts: list[np.ndarray] = []
    for word in words:
        if parts:
            gap = round(height * rng.uniform(0.25, 0.45))
            parts.append(np.zeros((height, gap), np.float32))
        parts.append(render_ink(word, rng, style, height))
    return add_paper(_margins(np.concatenate(parts, axis=1), rng, height), rng)


def _margins(ink: np.ndarray, rng: np.random.Generator, height: int) -> np.ndarray:
    left, right = (round(height * m) for m in rng.uniform(0.03, 0.12, 2))
    return np.pad(ink, ((0, 0), (left, right)))
