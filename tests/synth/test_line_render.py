"""Whole handwritten lines: determinism, size, word gaps, ruled paper, fonts that lack glyphs."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

from mltu_ext.synth.fonts import HERSHEY, find_fonts, missing_glyphs
from mltu_ext.synth.line_render import choose_font, missing_chars, render_handwritten_line
from mltu_ext.synth.render import Style, render_ink

FRENCH = "« Où est l’élève ? » dit-il ; Noël, 1951 : très sûr à 12,50 !"
GERMAN = "Größere Übungen für Äpfel und Öl (weiß)"


def _render(text: str, seed: int, **options) -> np.ndarray:
    return render_handwritten_line(text, np.random.default_rng(seed), **options)


def test_same_seed_same_pixels():
    a, b = _render(FRENCH, 3), _render(FRENCH, 3)
    np.testing.assert_array_equal(a, b)
    c = _render(FRENCH, 4)
    assert a.shape != c.shape or not np.array_equal(a, c)


@pytest.mark.parametrize(("height", "paper"), [(64, "plain"), (48, "page"), (80, "ruled"), (64, "random")])
def test_height_is_exact_and_ink_is_dark_on_paper(height, paper):
    for seed in range(2):
        image = _render(GERMAN, seed, height=height, paper=paper)
        assert image.dtype == np.uint8 and image.ndim == 2 and image.shape[0] == height
        assert image.shape[1] > 4 * height  # a line is wide
        assert np.median(image) > 180 and image.min() < 120


def test_longer_text_is_wider():
    for seed in range(3):
        short = _render("un mot", seed, paper="plain")
        long = _render("un mot, puis beaucoup d'autres mots sur la même ligne", seed, paper="plain")
        assert long.shape[1] > 2.5 * short.shape[1]


def _word_gaps(image: np.ndarray) -> int:
    """Blank runs of 8+ columns between the first and last ink, in the middle rows.

    Only the middle rows are looked at: bits of neighbouring lines reach the top and bottom.
    """
    h = image.shape[0]
    band = image[int(0.3 * h) : int(0.75 * h)]
    inked = band.min(axis=0) < np.median(image) - 70
    columns = np.flatnonzero(inked)
    runs = width = 0
    for is_inked in inked[columns[0] : columns[-1] + 1]:
        width = 0 if is_inked else width + 1
        runs += width == 8
    return runs


def test_words_are_set_apart_by_gaps():
    spaced, joined = "sept mots bien nets sur une ligne", "septmotsbiennetssurunelignes"
    for seed in range(6):
        gaps = _word_gaps(_render(spaced, seed, paper="plain"))
        assert gaps >= len(spaced.split()) - 1
        # the same seed draws the same font and style: without spaces, far fewer gaps
        assert gaps >= _word_gaps(_render(joined, seed, paper="plain")) + 3


def _ruled(image: np.ndarray) -> bool:
    """True when both edge margins (always blank paper) show a dark row at the same height."""
    image = image.astype(np.float32)
    rows = []
    for edge in (image[:, :2], image[:, -2:]):
        profile = edge.mean(axis=1)
        darkness = np.median(profile) - profile
        if darkness.max() <= 12:
            return False
        rows.append(int(darkness.argmax()))
    return abs(rows[0] - rows[1]) <= 3  # a rule crosses the whole line, nearly level


def test_ruled_paper_draws_lines():
    text = "quelques grappes jaunes"
    for seed in range(8):
        assert _ruled(_render(text, seed, paper="ruled"))
        assert not _ruled(_render(text, seed, paper="plain"))
        assert not _ruled(_render(text, seed, paper="page"))


def test_empty_text_and_unknown_paper_are_refused():
    with pytest.raises(ValueError, match="empty"):
        _render("   ", 0)
    with pytest.raises(ValueError, match="paper"):
        _render("deux mots", 0, paper="papyrus")


def test_hershey_draws_ascii_lines_only():
    image = _render("plain ascii words", 0, font=HERSHEY)
    assert image.shape[0] == 64 and image.min() < 120
    assert missing_chars(HERSHEY, "été") == "é"
    with pytest.raises(ValueError, match="no handwriting font"):
        choose_font("un été chaud", np.random.default_rng(0), font=HERSHEY, fonts=())


def test_text_no_font_draws_is_refused():
    with pytest.raises(ValueError, match="no handwriting font"):
        _render("中文 字", 0)


def test_chosen_fonts_draw_every_character():
    fonts = find_fonts()
    if not fonts:
        pytest.skip("no handwriting fonts installed (scripts/install.sh)")
    rng = np.random.default_rng(0)
    for text in (FRENCH, GERMAN):
        for _ in range(15):
            assert missing_glyphs(choose_font(text, rng), text.replace(" ", "")) == ""


def test_font_missing_glyphs_is_not_used(caplog):
    text = "Noël à l’école « été »"
    lacking = [f for f in find_fonts() if missing_glyphs(f, text.replace(" ", ""))]
    if not lacking:
        pytest.skip("every installed font draws French (Rufscript does not: scripts/install.sh)")
    font = lacking[0]
    assert missing_chars(font, text) == "".join(sorted(set(missing_glyphs(font, text.replace(" ", "")))))
    rng = np.random.default_rng(1)
    assert all(choose_font(text, rng) != font for _ in range(30))
    with caplog.at_level(logging.WARNING, logger="mltu_ext.synth.line_render"):
        image = render_handwritten_line(text, np.random.default_rng(2), font=font)
    assert image.shape[0] == 64
    assert any("cannot draw" in r.getMessage() for r in caplog.records)
    # the same font is kept for a text it can draw
    assert choose_font("plain words", rng, font=font) == font


def test_accents_over_capitals_are_drawn_in_the_headroom():
    fonts = [f for f in find_fonts() if not missing_glyphs(f, "EÉ")]
    if not fonts:
        pytest.skip("no handwriting fonts installed (scripts/install.sh)")

    def top_row(font: str, text: str, headroom: int) -> int:
        style = Style.sample(np.random.default_rng(0), font, 64)
        style = dataclasses.replace(style, shear=0.0, bend=0.0, elastic=0.0)
        ink = render_ink(text, np.random.default_rng(1), style, 64, headroom=headroom)
        assert ink.shape[0] == 64 + headroom
        return int(np.flatnonzero(ink.max(axis=1) > 0.3)[0])

    # without headroom most fonts' accents on capitals touch the top row (cut off there);
    # with it the accent stands clear above the capital
    above = [top_row(f, "É", 24) < top_row(f, "E", 24) - 2 for f in fonts]
    assert np.mean(above) > 0.75
    assert all(top_row(f, "É", 24) > 0 for f in fonts)  # nothing reaches the canvas' edge


def test_small_capitals_keep_only_the_first_letters_tall():
    # the upper third of a line in full capitals is inked across most letters; in small
    # capitals only over each word's first letter
    def tall_share(small_caps: bool) -> float:
        shares = []
        for seed in range(4):
            image = _render("HORUS AU SEREKH OU DOUBLE FAUCON", seed, paper="plain", small_caps=small_caps)
            ink = image < 128  # (64, W)
            inked = ink.any(axis=0)
            shares.append(ink[: image.shape[0] // 3].any(axis=0)[inked].mean())
        return float(np.mean(shares))

    assert tall_share(True) < 0.7 * tall_share(False)


def test_small_capitals_are_drawn_only_for_lines_in_capitals_by_default(monkeypatch):
    from mltu_ext.synth import line_render

    calls = []
    original = line_render._line_ink

    def spy(text, rng, font, height, small_caps=None):
        calls.append(small_caps)
        return original(text, rng, font, height, small_caps)

    monkeypatch.setattr(line_render, "_line_ink", spy)
    for seed in range(12):
        _render("HORUS AU SEREKH", seed, paper="plain")
        _render("Horus au serekh", seed, paper="plain")
    capitals, mixed = calls[0::2], calls[1::2]
    assert all(c is None for c in mixed)
    assert 0 < sum(c is not None for c in capitals) < 12  # SMALL_CAPS_SHARE of them (0.6)
    assert all(c is None or 0.5 < c < 0.85 for c in capitals)
