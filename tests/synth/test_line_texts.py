"""Line texts in English, French and German: lengths, sentence features, letters, fallback lists."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from mltu_ext.synth import line_texts as lt
from mltu_ext.synth.line_texts import (
    LETTERS,
    MAX_CHARS,
    MAX_WORDS,
    MIN_WORDS,
    charset,
    content_words,
    in_capitals,
    line_texts,
    make_line_text,
)

FRENCH_ACCENTS = set("àâçéèêëîïôùûü")
GERMAN_UMLAUTS = set("äöüßÄÖÜ")


def _words(text: str) -> int:
    return sum(any(c.isalnum() for c in token) for token in text.split())


@pytest.fixture
def fresh_lists():
    """Word lists read again in the test, and again after it (no fallback leaks into other tests)."""
    lt._word_table.cache_clear()
    lt._warn_fallback.cache_clear()
    yield
    lt._word_table.cache_clear()
    lt._warn_fallback.cache_clear()


def test_lengths_and_word_counts_are_within_bounds():
    texts = line_texts(600, seed=0)
    lengths = np.array([len(t) for t in texts])
    assert all(MIN_WORDS <= _words(t) <= MAX_WORDS for t in texts)
    assert lengths.max() <= MAX_CHARS
    assert np.mean((lengths >= 20) & (lengths <= 90)) > 0.85  # most lines, as in Copiste
    assert 38 <= np.median(lengths) <= 58  # Copiste's median is 47
    assert all(t == t.strip() and "  " not in t for t in texts)


def test_texts_read_like_sentences():
    rng = np.random.default_rng(1)
    french = [make_line_text(rng, "fr") for _ in range(400)]
    english = [make_line_text(rng, "en") for _ in range(200)]
    texts = french + english
    assert all(t[0].isupper() or t[0].isdigit() or t[0] in '«("' for t in texts)
    assert sum("," in t for t in texts) > len(texts) / 5
    assert sum(t.endswith(".") for t in texts) > len(texts) / 4
    assert any(t.endswith("?") for t in texts) and any(t.endswith("!") for t in texts)
    assert any(c.isdigit() for t in texts for c in t)
    assert any("-" in t for t in texts)
    assert any(e in t for t in french for e in ("l'", "d'", "qu'", "l’", "d’", "qu’"))
    assert any("«" in t and "»" in t for t in french)
    assert not any("«" in t or "’" in t for t in english)


def test_some_lines_are_in_capitals_and_stay_in_the_charset():
    texts = line_texts(1500, seed=5)
    capitals = [t for t in texts if sum(c.isalpha() for c in t) > 5 and t == t.upper()]
    assert 0.04 < len(capitals) / len(texts) < 0.14  # CAPITALS_SHARE is 0.1
    assert set("".join(capitals)) <= set(charset())
    assert in_capitals("Größe: l'été", "de") == "GRÖßE: L'éTé"  # no ß capital, no é in German


def test_same_seed_same_texts():
    assert line_texts(40, seed=3) == line_texts(40, seed=3)
    assert line_texts(40, seed=3) != line_texts(40, seed=4)
    assert len(line_texts(7, seed=0, languages=("de",))) == 7


def test_charset_holds_every_character():
    for languages in (("en",), ("fr",), ("de",), ("en", "fr", "de")):
        texts = line_texts(300, seed=2, languages=languages)
        assert set("".join(texts)) <= set(charset(languages))
    assert "ß" in charset(("de",)) and "é" not in charset(("de",)) and "é" not in charset(("en",))
    assert " " in charset() and "«" in charset() and list(charset()) == sorted(charset())


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        line_texts(3, languages=("es",))
    with pytest.raises(ValueError):
        line_texts(3, languages=())


def _accents(texts: list[str], letters: set[str]) -> int:
    return sum(bool(set(t) & letters) for t in texts)


@pytest.mark.parametrize("language", ["fr", "de", "en"])
def test_installed_lists_give_clean_words(language):
    if lt.word_list(language) is None:
        pytest.skip(f"Debian word list for {language} not installed (scripts/install.sh)")
    words = content_words(language)
    assert len(words) > 10_000
    allowed = set(LETTERS[language])
    assert all(set(w) <= allowed and len(w) >= 2 and not w.isupper() for w in words)


@pytest.mark.parametrize("fallback", [False, True])
def test_french_accents_and_german_umlauts(fallback, fresh_lists, monkeypatch, tmp_path, caplog):
    if fallback:
        missing = str(tmp_path / "no-such-list")
        monkeypatch.setattr(lt, "WORD_LIST_PATHS", {lang: (missing,) for lang in lt.LANGUAGES})
    elif lt.word_list("fr") is None or lt.word_list("de") is None:
        pytest.skip("Debian word lists not installed (scripts/install.sh)")
    with caplog.at_level(logging.WARNING, logger=lt.__name__):
        french = line_texts(200, seed=5, languages=("fr",))
        german = line_texts(200, seed=5, languages=("de",))
        line_texts(20, seed=6, languages=("fr", "de"))
    assert _accents(french, FRENCH_ACCENTS) > 50
    assert _accents(german, GERMAN_UMLAUTS) > 30
    assert any("ß" in t for t in german)
    assert not _accents(german, FRENCH_ACCENTS - {"ü"})  # German lines keep to German letters
    notes = [r.getMessage() for r in caplog.records if "built-in" in r.getMessage()]
    if fallback:
        assert len(notes) == 2  # once per language, not once per text
        assert set(content_words("fr")) <= set(lt.FALLBACK_WORDS["fr"].split())
    else:
        assert not notes
        assert Path(lt.word_list("fr")).name == "french"
