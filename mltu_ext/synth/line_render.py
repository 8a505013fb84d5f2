"""Render a whole handwritten line: words in one hand on a wandering baseline, on paper.

Each word is drawn by :func:`mltu_ext.synth.render.render_ink` (so words look
as they do in the word data), with its own small changes of size, slant and
height; words are set side by side with gaps of natural, varying width on a
baseline that wanders slowly along the line. The line is then cut out as a
line crop of a page is (ascenders near the top, descenders near the bottom,
now and then a bit of the neighbouring lines) and put on plain, ruled or
page-like paper.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging

import cv2
import numpy as np

from mltu_ext.errors import ConfigError, LabelError
from mltu_ext.synth.fonts import find_fonts, font_name, is_hershey, missing_glyphs
from mltu_ext.synth.line_texts import charset
from mltu_ext.synth.render import (
    Style,
    font_metrics,
    font_scale,
    ink_size,
    pick_font,
    render_ink,
    word_baseline,
)

logger = logging.getLogger(__name__)

PAPERS = ("random", "plain", "page", "ruled")
HEADROOM = 0.3  # rows drawn above each word's height band, as a share of it
# a line in capitals is often written in small capitals: each word's first letter full size,
# the others about as high as lower-case letters (one Copiste writer of the validation set
# writes so, and a model that never saw it reads most of those letters in lower case)
SMALL_CAPS_SHARE = 0.6  # of the lines in capitals
SMALL_CAPS_SIZE = (0.55, 0.8)  # the small capitals' height, as a share of the full ones


@functools.cache
def _probe() -> str:
    """The characters line texts use: each font is checked for all of them once."""
    return charset().replace(" ", "")


@functools.lru_cache(maxsize=256)
def _missing_probe(font: str) -> frozenset[str]:
    if is_hershey(font):  # OpenCV's Hershey faces draw printable ASCII only ('?' for the rest)
        return frozenset(c for c in _probe() if not (c.isascii() and c.isprintable()))
    try:
        return frozenset(missing_glyphs(font, _probe()))
    except OSError as error:
        raise ConfigError(f"{font}: cannot open the font ({error})") from error


@functools.lru_cache(maxsize=1024)
def _missing_other(font: str, chars: str) -> str:
    if is_hershey(font):
        return "".join(c for c in chars if not (c.isascii() and c.isprintable()))
    try:
        return missing_glyphs(font, chars)
    except OSError as error:
        raise ConfigError(f"{font}: cannot open the font ({error})") from error


def missing_chars(font: str, text: str) -> str:
    """The characters of ``text`` (spaces aside) that ``font`` cannot draw, sorted ('' if none).

    Cached per font, so checking every line of a dataset costs little.
    """
    chars = set(text) - {" "}
    known = chars & set(_probe())
    missing = set(known & _missing_probe(font))
    other = "".join(sorted(chars - known))
    if other:
        missing |= set(_missing_other(font, other))
    return "".join(sorted(missing))


def fonts_for_text(text: str, fonts: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The fonts of ``fonts`` (default: the installed handwriting fonts) that draw all of ``text``."""
    fonts = find_fonts() if fonts is None else tuple(fonts)
    return tuple(f for f in fonts if not missing_chars(f, text))


def choose_font(
    text: str, rng: np.random.Generator, font: str | None = None, fonts: tuple[str, ...] | None = None
) -> str:
    """``font`` when it draws every character of ``text``, else a random font of ``fonts`` that does.

    With no installed font, OpenCV's Hershey faces stand in for ASCII text.
    Raises LabelError when no font can draw the text (no tofu boxes are drawn).
    """
    if font is not None:
        lacking = missing_chars(font, text)
        if not lacking:
            return font
        logger.warning("font %s cannot draw %r; using another font for this line", font_name(font), lacking)
    candidates = fonts_for_text(text, fonts)
    installed = find_fonts() if fonts is None else tuple(fonts)
    if candidates:
        return pick_font(rng, candidates)
    if not installed and text.isascii():
        return pick_font(rng, ())  # the Hershey fallback (it warns once)
    raise LabelError(f"no handwriting font draws every character of {text!r}")


@dataclasses.dataclass(frozen=True)
class _Word:
    ink: np.ndarray  # (h, w) float32 0..1
    baseline: float  # baseline row in ``ink``
    dy: float  # the word's own baseline offset, pixels


def _ink_and_baseline(
    text: str, rng: np.random.Generator, style: Style, height: int
) -> tuple[np.ndarray, float]:
    """``text`` drawn at ``height`` with headroom: (headroom + height, W) ink and its baseline row."""
    headroom = round(HEADROOM * height)  # accents over capitals stand above the ascenders
    return render_ink(text, rng, style, height, headroom), word_baseline(style, height) + headroom


def _join_on_baseline(parts: list[tuple[np.ndarray, float]], gaps: list[int]) -> tuple[np.ndarray, float]:
    """Inks set side by side (``gaps`` blank columns between them) with their baselines on one row."""
    above = max(b for _, b in parts)
    below = max(ink.shape[0] - b for ink, b in parts)
    rows = int(np.ceil(above + below))
    width = sum(ink.shape[1] for ink, _ in parts) + sum(gaps)
    canvas = np.zeros((rows, width), np.float32)
    x = 0
    for (ink, baseline), gap in zip(parts, [0, *gaps], strict=True):
        x += gap
        _paste(canvas, ink, round(above - baseline), x)
        x += ink.shape[1]
    return canvas, above


def _small_caps_split(word: str) -> tuple[str, str]:
    """``word`` cut after its first letter or digit: the part drawn full size and the small rest."""
    for i, char in enumerate(word):
        if char.isalnum():
            return word[: i + 1], word[i + 1 :]
    return word, ""


def _draw_words(
    words: list[str], rng: np.random.Generator, base: Style, height: int, small_caps: float | None = None
) -> list[_Word]:
    """Each word in the line's hand, with its own size (±10 %), slant and baseline offset.

    With ``small_caps`` (a share of the height) the letters after each word's
    first are drawn that much smaller, on the same baseline.
    """
    drawn = []
    for word in words:
        scale = float(np.clip(rng.normal(1.0, 0.04), 0.9, 1.1))  # most words within ±5 %
        style = dataclasses.replace(
            base,
            shear=float(np.clip(base.shear + rng.normal(0.0, 0.04), -0.45, 0.45)),
            stretch=base.stretch * rng.uniform(0.95, 1.05),
            pen=base.pen * scale,
        )
        word_height = max(8, round(height * scale))
        head, tail = _small_caps_split(word) if small_caps else (word, "")
        if tail.strip():
            small = max(8, round(word_height * small_caps))
            parts = [
                _ink_and_baseline(head, rng, style, word_height),
                _ink_and_baseline(tail, rng, style, small),
            ]
            ink, baseline = _join_on_baseline(parts, [round(word_height * rng.uniform(0.0, 0.08))])
        else:
            ink, baseline = _ink_and_baseline(word, rng, style, word_height)
        drawn.append(_Word(ink, baseline, rng.normal(0.0, 0.015 * height)))
    return drawn


def _gaps(words: list[str], rng: np.random.Generator, x_height: float) -> list[int]:
    """Blank columns before each word after the first: about an x-height, varying by word."""
    typical = x_height * rng.uniform(0.7, 1.4)  # one writer spaces wide, another tight
    gaps = []
    for before, after in itertools.pairwise(words):
        gap = typical * rng.lognormal(0.0, 0.25)
        if not any(c.isalnum() for c in before + after[:1]) or not after[:1].isalnum():
            gap *= 0.55  # a lone '«', ';' or '»' sits closer to its word
        gaps.append(max(round(gap), max(3, round(0.3 * x_height))))
    return gaps


def _smooth(rng: np.random.Generator, length: int, period: float) -> np.ndarray:
    """A smooth random curve of ``length`` samples in about -1..1, varying over ``period`` samples."""
    knots = max(int(length / period) + 3, 4)
    curve = cv2.resize(
        rng.standard_normal((1, knots)).astype(np.float32), (length, 1), interpolation=cv2.INTER_CUBIC
    )
    return np.clip(curve[0] / 1.5, -1.5, 1.5)


def _wander(ink: np.ndarray, rng: np.random.Generator, height: int) -> np.ndarray:
    """Move the columns of ``ink`` up and down along a slow curve and a slight tilt (a few px)."""
    width = ink.shape[1]
    amplitude = rng.uniform(0.0, 0.05) * height
    curve = amplitude * _smooth(rng, width, height * rng.uniform(4.0, 12.0))
    curve += rng.normal(0.0, 0.004) * (np.arange(width) - width / 2)
    v = np.arange(ink.shape[0], dtype=np.float32)[:, None]
    u = np.arange(width, dtype=np.float32)[None, :]
    map_y = (v - curve[None, :].astype(np.float32)).astype(np.float32)
    map_x = np.broadcast_to(u, ink.shape).astype(np.float32)
    return cv2.remap(ink, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _paste(canvas: np.ndarray, ink: np.ndarray, top: int, left: int) -> None:
    """Add ``ink`` into ``canvas`` at (top, left), clipped to the canvas, keeping the darker ink."""
    h, w = ink.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, canvas.shape[0]), min(left + w, canvas.shape[1])
    if y1 > y0 and x1 > x0:
        region = canvas[y0:y1, x0:x1]
        np.maximum(region, ink[y0 - top : y1 - top, x0 - left : x1 - left], out=region)


def _line_ink(
    text: str, rng: np.random.Generator, font: str, height: int, small_caps: float | None = None
) -> tuple[np.ndarray, float, tuple[int, int]]:
    """The line's ink at ``height`` rows (float32 0..1), its baseline row and (left, right) margins."""
    words = text.split()
    base = Style.sample(rng, font, height)
    # line crops of pages are cut close to the writing: larger letters and a finer pen than
    # the word data's average (Copiste: x-height about a third of the crop, ballpoint strokes)
    base = dataclasses.replace(base, x_height=rng.uniform(0.27, 0.4), pen=height * rng.uniform(0.025, 0.06))
    metrics = font_metrics(font)
    scale = font_scale(base, height) if is_hershey(font) else ink_size(base, height)
    drawn = _draw_words(words, rng, base, height, small_caps)
    gaps = _gaps(words, rng, metrics.x_height * scale)
    margins = tuple(round(height * m) for m in rng.uniform(0.05, 0.4, 2))
    width = sum(w.ink.shape[1] for w in drawn) + sum(gaps) + sum(margins)
    rows = 3 * height
    line = round(1.5 * height)  # the baseline's row on the canvas
    canvas = np.zeros((rows, width), np.float32)
    x = margins[0]
    for word, gap in zip(drawn, [0, *gaps], strict=True):
        x += gap
        _paste(canvas, word.ink, round(line - word.baseline + word.dy), x)
        x += word.ink.shape[1]
    canvas = _wander(canvas, rng, height)
    # the crop: the line's ink plus a small margin, as a line's polygon or box is drawn, but
    # never much less than the font's ascender-to-descender band (a line such as "ou non une once"
    # must not come out twice as large as one with capitals and descenders)
    ink_rows = np.flatnonzero(canvas.max(axis=1) > 0.2)
    span = metrics.span * scale
    top = float(ink_rows[0]) if ink_rows.size else line + metrics.top * scale
    bottom = float(ink_rows[-1] + 1) if ink_rows.size else line + metrics.bottom * scale
    top -= rng.uniform(0.0, 0.1) * height
    bottom += rng.uniform(0.0, 0.1) * height
    short = 0.85 * span - (bottom - top)
    if short > 0:
        top -= short * base.top_share
        bottom += short * (1.0 - base.top_share)
    top, bottom = max(round(top), 0), min(round(bottom), rows)
    if rng.random() < 0.2:
        _neighbours(canvas, drawn, rng, line, (top, bottom))
    ink = canvas[top:bottom]
    baseline = line - top
    if ink.shape[0] != height:  # to the model's height, keeping the aspect
        factor = height / ink.shape[0]
        ink = cv2.resize(ink, (max(1, round(ink.shape[1] * factor)), height), interpolation=cv2.INTER_AREA)
        baseline *= factor
        margins = tuple(round(m * factor) for m in margins)
    return ink, baseline, margins


def _neighbours(
    canvas: np.ndarray, drawn: list[_Word], rng: np.random.Generator, line: int, window: tuple[int, int]
) -> None:
    """Copy some words one line pitch above or below, so their tails reach into the crop."""
    top, bottom = window
    pitch = (bottom - top) * rng.uniform(1.0, 1.35)
    for direction in (-1, 1):
        if rng.random() < 0.6:
            for _ in range(int(rng.integers(1, 5))):
                word = drawn[int(rng.integers(len(drawn)))]
                x = int(rng.integers(0, max(canvas.shape[1] - word.ink.shape[1], 1)))
                _paste(canvas, word.ink, round(line + direction * pitch - word.baseline), x)


def _paper(shape: tuple[int, int], rng: np.random.Generator, page: bool) -> np.ndarray:
    """Paper tone (float32): near white, or with a page's tone, texture and light gradient."""
    h, w = shape
    if not page:
        return np.full(shape, 255.0 - 30.0 * rng.random() ** 2, np.float32)
    paper = np.full(shape, rng.uniform(212.0, 250.0), np.float32)
    # fibres and uneven sizing: a low-frequency texture plus a fine grain
    cell = max(h // 3, 3)
    coarse = rng.standard_normal((h // cell + 2, w // cell + 2)).astype(np.float32)
    paper += rng.uniform(0.5, 4.0) * cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    grain = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), 0.8)
    paper += rng.uniform(1.0, 5.0) * grain
    # light falling across the sheet
    paper += rng.uniform(-10, 10) * np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    paper += rng.uniform(-6, 6) * np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    return paper


def _bleed(paper: np.ndarray, ink: np.ndarray, rng: np.random.Generator) -> None:
    """Faint writing from the other side of the sheet (mirrored, blurred), or faint blobs, in place."""
    h, w = paper.shape
    if rng.random() < 0.6:
        shift = (int(rng.integers(-h // 3, h // 3 + 1)), int(rng.integers(w)))
        ghost = np.roll(ink[::-1, ::-1], shift, (0, 1))
    else:
        ghost = np.zeros_like(ink)
        for _ in range(int(rng.integers(1, 4))):
            center = (int(rng.integers(w)), int(rng.integers(h)))
            axes = (int(rng.integers(2, max(h // 2, 3))), int(rng.integers(2, max(h // 3, 3))))
            cv2.ellipse(ghost, center, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    ghost = cv2.GaussianBlur(ghost, (0, 0), rng.uniform(1.2, 3.0))
    paper -= rng.uniform(6.0, 22.0) * ghost


def _rules(
    paper: np.ndarray, rng: np.random.Generator, baseline: float, height: int, margin: int | None
) -> None:
    """Faint ruled lines (one under the writing, maybe one a pitch above) and sometimes a margin, in place."""
    h, w = paper.shape
    # the row nearest a rule is always at least 15 levels darker (thickness 1: half covered)
    darkness = rng.uniform(30.0, 120.0)
    thickness = rng.uniform(1.0, 2.2)
    rows = np.arange(h, dtype=np.float32)[:, None]
    # the writer aims at the rule: the baseline sits on it or a little above
    rule = baseline + rng.uniform(-0.01, 0.06) * height
    tilt = rng.normal(0.0, 0.0015) * (np.arange(w, dtype=np.float32)[None, :] - w / 2)
    lines = [rule]
    if rng.random() < 0.5:
        lines.append(rule - height * rng.uniform(0.9, 1.4))
    for y in lines:
        distance = np.abs(rows - (y + tilt))
        paper -= darkness * np.clip(thickness / 2 + 0.5 - distance, 0.0, 1.0)
    if margin is not None:  # a margin line, at column ``margin``
        x = float(margin)
        distance = np.abs(np.arange(w, dtype=np.float32)[None, :] - x)
        paper -= rng.uniform(25.0, 70.0) * np.clip(rng.uniform(1.0, 2.5) / 2 + 0.5 - distance, 0.0, 1.0)


def _finish(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise and sometimes JPEG compression, as in scanned pages; uint8."""
    image += rng.uniform(0.0, 5.0) * rng.standard_normal(image.shape, dtype=np.float32)
    out = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        quality = int(rng.integers(40, 90))
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return out


def render_handwritten_line(
    text: str,
    rng: np.random.Generator,
    font: str | None = None,
    height: int = 64,
    paper: str = "random",
    small_caps: bool | None = None,
) -> np.ndarray:
    """``text`` (words separated by spaces) as a handwritten line: uint8 (height, W), dark ink on paper.

    ``font`` is a TTF/OTF path or a Hershey name; None picks a random
    installed handwriting font. A font that lacks a character of ``text`` is
    replaced by one that has it (LabelError when none does). ``paper`` is
    "plain", "page" (tone, texture, gradient, now and then bleed-through),
    "ruled" (faint lines, sometimes a margin line) or "random".
    ``small_caps`` draws each word's letters after the first smaller (True),
    never (False) or, by default, for SMALL_CAPS_SHARE of the texts without
    lower-case letters. The same ``rng`` state gives the same pixels.

    >>> image = render_handwritten_line("two words", np.random.default_rng(0), font="hershey")
    >>> image.dtype, image.shape[0]
    (dtype('uint8'), 64)
    """
    if not text.split():
        raise LabelError("cannot render an empty line")
    if paper not in PAPERS:
        raise ConfigError(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    if height < 8:
        raise ConfigError(f"height must be at least 8 pixels, got {height}")
    font = choose_font(text, rng, font)
    if small_caps is None:
        capitals = any(c.isupper() for c in text) and not any(c.islower() and c != "ß" for c in text)
        small_caps = capitals and rng.random() < SMALL_CAPS_SHARE
    factor = float(rng.uniform(*SMALL_CAPS_SIZE)) if small_caps else None
    ink, baseline, (left, _) = _line_ink(text, rng, font, height, factor)
    if paper == "random":
        paper = str(rng.choice(["plain", "page", "ruled"], p=[0.3, 0.35, 0.35]))
    margin = None
    if paper == "ruled" and rng.random() < 0.2:  # room on the left for a margin line
        pad = round(height * rng.uniform(0.3, 1.0))
        ink = np.pad(ink, ((0, 0), (pad, 0)))
        margin = round((pad + left) * rng.uniform(0.2, 0.6))
    if rng.random() < 0.35:
        ink = cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.4, 0.9))
    background = _paper(ink.shape, rng, page=paper == "page" or (paper == "ruled" and rng.random() < 0.5))
    if paper == "page" and rng.random() < 0.35:
        _bleed(background, ink, rng)
    if paper == "ruled":
        _rules(background, rng, baseline, height, margin)
    # pen pressure and ink flow change slowly along the line
    flow = np.abs(_smooth(rng, ink.shape[1], height * rng.uniform(1.0, 4.0)))
    pressure = 1.0 - rng.uniform(0.0, 0.3) * flow
    ink_level = rng.uniform(0.0, 90.0)
    image = background + (ink_level - background) * (ink * pressure[None, :])
    return _finish(image, rng)
