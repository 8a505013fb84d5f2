"""Texts of whole lines in English, French and German, for rendering handwritten lines.

Content words come from Debian's word lists (wamerican, wfrench, wngerman;
scripts/install.sh installs them) or, when a list is missing, from a small
built-in list. Short function words (articles, prepositions) are built in,
so that lines read like sentences and not like a dictionary: a capital at
the start, commas, sometimes a final '.', '?' or '!', numbers, French
elisions (l', d', qu') and guillemets, hyphenated pairs.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import string
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mltu_ext.errors import ConfigError

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "fr", "de")

# where the Debian packages put their lists (dpkg -L wamerican wfrench wngerman)
WORD_LIST_PATHS: dict[str, tuple[str, ...]] = {
    "en": ("/usr/share/dict/american-english",),
    "fr": ("/usr/share/dict/french",),
    "de": ("/usr/share/dict/ngerman",),
}

# letters a word may use, per language: what the fonts draw and the languages need
# (no œ: the French list spells "coeur", and several fonts lack the glyph)
_FRENCH = "àâäçéèêëîïôöùûü"
_GERMAN = "äöüß"
LETTERS = {
    "en": string.ascii_letters,
    "fr": string.ascii_letters + _FRENCH + _FRENCH.upper(),
    "de": string.ascii_letters + _GERMAN + "ÄÖÜ",
}
PUNCTUATION = ",.;:'’«»()-?!\""
DIGITS = string.digits

MIN_WORDS, MAX_WORDS = 3, 14  # words: tokens with a letter or digit (not a lone '«' or ';')
MAX_CHARS = 100  # the longest Copiste lines have about 100 characters
MAX_WORD_LENGTH = 16
# some people write whole lines in capitals (in Copiste, small capitals that are easily
# read as lower case); a model that never saw such lines reads them in lower case
CAPITALS_SHARE = 0.1

# short words that make a line read like a sentence (built in: the lists have no frequencies)
FUNCTION_WORDS = {
    "en": """the the the of of and and to to a a in in is was for on that with as it at by from
        his her this be are not or have had but which one all were we they their an you there been
        has when more would will who so if out up into them some can its our than then only also""",
    "fr": """de de de la la le le les les et et des des un une en en du dans que qui pour sur au par
        est il elle ne pas plus se son sa ses avec ce cette aux ou mais nous vous ils sont était
        comme on tout bien très sans leur été fait deux encore aussi même puis donc entre après""",
    "de": """der der die die das und und in in den von zu mit ist im des sich dem nicht ein eine
        als auch es an er so dass aus bei sie nach wird war für auf noch wie einer um oder aber vor
        nur zur bis mehr durch man sein wurde über dann unter schon zum sehr wieder""",
}

# used only when the Debian list of a language is missing
FALLBACK_WORDS = {
    "en": """house river morning garden letter window mountain village country evening market
        station teacher history animal question paper family winter summer island music answer
        picture number kitchen bridge forest street journey silver stone yellow quiet ancient
        remember travel written beautiful important different government children together
        building thousand afternoon century language business friendly northern western""",
    "fr": """maison rivière matin jardin lettre fenêtre montagne village pays soir marché gare
        enseignant histoire animal question papier famille hiver été île musique réponse image
        nombre cuisine pont forêt rue voyage argent pierre jaune calme ancien élève écrit
        première année église château côté théâtre fête général français société
        université célèbre études région siècle département découverte réalisé né où
        déjà près âge frère mère père lycée rôle créé être connu très""",
    "de": """Haus Fluss Morgen Garten Brief Fenster Berg Dorf Land Abend Markt Bahnhof Lehrer
        Geschichte Tier Frage Papier Familie Winter Sommer Insel Musik Antwort Bild Zahl Küche
        Brücke Wald Straße Reise Silber Stein gelb ruhig alt schön wichtig größer Schüler
        Bürger Gemeinde Jahrhundert Übersicht Größe Mädchen Häuser Bäume Vögel Fußball
        heißt gemäß außerdem früher später natürlich während gegründet Universität""",
}

# years, amounts and counts: how often a token is a number
NUMBER_SHARE = 0.06
FUNCTION_SHARE = 0.42
HYPHEN_SHARE = 0.03
COMMA_SHARE = 0.08
ELISION_SHARE = 0.12  # French: share of content words starting with a vowel given l', d', ...
NAME_SHARE = 0.3  # English and French: how often a drawn name is kept
ELISIONS = ("l'", "d'", "l'", "d'", "qu'", "n'", "s'", "c'", "j'")


@functools.cache
def _warn_fallback(language: str) -> None:
    """Say once per process and language that the built-in words stand in for the Debian list."""
    logger.warning(
        "no %s word list at %s (scripts/install.sh installs it from Debian); using a short built-in list",
        language,
        ", ".join(WORD_LIST_PATHS.get(language, ())),
    )


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ConfigError(f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}")


def word_list(language: str) -> str | None:
    """The path of the language's installed word list, or None when the built-in words stand in."""
    _check_language(language)
    return next((name for name in WORD_LIST_PATHS[language] if Path(name).is_file()), None)


@dataclasses.dataclass(frozen=True)
class _WordTable:
    words: tuple[str, ...]  # in the list's order
    groups: dict[int, tuple[str, ...]]  # the words by length
    lengths: tuple[int, ...]
    weights: np.ndarray  # how often a word of each length is drawn


def content_words(language: str) -> tuple[str, ...]:
    """The language's words from its Debian list (else the fallback), in its order, read once per process.

    Words with characters outside ``LETTERS[language]`` (apostrophes,
    hyphens, other alphabets), single letters, all-capital abbreviations and
    words over ``MAX_WORD_LENGTH`` letters are left out.
    """
    return _word_table(language).words


@functools.cache
def _word_table(language: str) -> _WordTable:
    _check_language(language)
    # one word a line; one regex over the whole file is much faster than one per word
    pattern = re.compile(f"^[{re.escape(LETTERS[language])}]{{2,{MAX_WORD_LENGTH}}}$", re.MULTILINE)

    def usable(text: str) -> tuple[str, ...]:
        # the list's own order, duplicates dropped: deterministic without a costly sort
        return tuple(dict.fromkeys(w for w in pattern.findall(text) if not w.isupper()))

    words: tuple[str, ...] = ()
    source = word_list(language)
    if source is not None:
        words = usable(Path(source).read_text(encoding="utf-8", errors="ignore").replace("\r", ""))
    if not words:
        _warn_fallback(language)
        words = usable("\n".join(FALLBACK_WORDS[language].split()))
    groups: dict[int, list[str]] = {}
    for word in words:
        groups.setdefault(len(word), []).append(word)
    lengths = tuple(sorted(groups))
    # running text has content words of about 4..10 letters; weight each length by a bump
    # around 6, times the (square root of the) number of words, so a tiny fallback still works
    weights = np.array([np.exp(-0.5 * ((n - 6.5) / 2.2) ** 2) * np.sqrt(len(groups[n])) for n in lengths])
    return _WordTable(words, {n: tuple(ws) for n, ws in groups.items()}, lengths, weights / weights.sum())


def _content_word(rng: np.random.Generator, language: str) -> str:
    """A word of a natural length: dictionaries are full of long rare forms, text is not.

    In English and French a capitalised word (a name) is mostly drawn again:
    the lists hold thousands of names, text far fewer.
    """
    table = _word_table(language)
    for _ in range(3):
        n = table.lengths[int(rng.choice(len(table.lengths), p=table.weights))]
        word = table.groups[n][int(rng.integers(len(table.groups[n])))]
        if language == "de" or not word[0].isupper() or rng.random() < NAME_SHARE:
            break
    return word


def _number(rng: np.random.Generator, language: str) -> str:
    roll = rng.random()
    if roll < 0.4:
        return str(int(rng.integers(1600, 2025)))  # a year
    if roll < 0.7:
        return str(int(rng.integers(1, 100)))
    if roll < 0.85:
        separator = "." if language == "en" else ","
        return f"{int(rng.integers(1, 1000))}{separator}{int(rng.integers(0, 100)):02d}"  # an amount
    return str(int(rng.integers(100, 100000)))


def _tokens(rng: np.random.Generator, language: str, target: int) -> list[str]:
    """Plain words and numbers until about ``target`` characters (MIN..MAX_WORDS tokens)."""
    function = FUNCTION_WORDS[language].split()
    tokens: list[str] = []
    length = -1
    while len(tokens) < MAX_WORDS and (length < target or len(tokens) < MIN_WORDS):
        roll = rng.random()
        if roll < NUMBER_SHARE:
            token = _number(rng, language)
        elif roll < NUMBER_SHARE + FUNCTION_SHARE and tokens:
            token = function[int(rng.integers(len(function)))]
        else:
            token = _content_word(rng, language)
            if rng.random() < HYPHEN_SHARE:
                token = f"{token}-{_content_word(rng, language)}"
            elif language == "fr" and token[0].lower() in "aeéèêiouh" and rng.random() < ELISION_SHARE:
                token = ELISIONS[int(rng.integers(len(ELISIONS)))] + token
        tokens.append(token)
        length += len(token) + 1
    return tokens


def _wrap(tokens: list[str], rng: np.random.Generator, opening: str, closing: str, spaced: bool) -> None:
    """Put 1..3 tokens (not the first) between ``opening`` and ``closing``, in place."""
    if len(tokens) < 3:
        return
    first = int(rng.integers(1, len(tokens) - 1))
    last = min(first + int(rng.integers(0, 3)), len(tokens) - 1)
    if spaced:  # French typography: « mot »
        tokens.insert(last + 1, closing)
        tokens.insert(first, opening)
    else:
        tokens[first] = opening + tokens[first]
        tokens[last] = tokens[last] + closing


def make_line_text(rng: np.random.Generator, language: str = "fr", capitals: float = CAPITALS_SHARE) -> str:
    """One line of ``language`` text, mostly 20..90 characters (median near 47), at most ``MAX_CHARS``;
    in capitals with probability ``capitals``.

    >>> text = make_line_text(np.random.default_rng(0), "fr")
    >>> 3 <= len(text.split()) and len(text) <= MAX_CHARS
    True
    """
    _check_language(language)
    target = int(np.clip(rng.normal(44.0, 17.0), 14, 90))
    tokens = _tokens(rng, language, target)
    apostrophe = "’" if language == "fr" and rng.random() < 0.35 else "'"
    tokens = [t.replace("'", apostrophe) for t in tokens]
    function = set(FUNCTION_WORDS[language].split())
    if language == "en" and rng.random() < 0.15:  # a possessive
        i = int(rng.integers(len(tokens)))
        if tokens[i].isalpha() and tokens[i] not in function:
            tokens[i] += "'s"
    if rng.random() < 0.08:
        _wrap(tokens, rng, "(", ")", spaced=False)
    if rng.random() < 0.1:
        if language == "fr":
            _wrap(tokens, rng, "«", "»", spaced=rng.random() < 0.8)
        else:
            _wrap(tokens, rng, '"', '"', spaced=False)
    tokens[0] = tokens[0][:1].upper() + tokens[0][1:]
    french_space = language == "fr" and rng.random() < 0.6  # "mot :" and "quoi ?" in French typography
    for i in range(len(tokens) - 1):
        if not tokens[i][-1:].isalnum() or not tokens[i + 1][:1].isalnum() or tokens[i] in function:
            continue  # punctuation follows content words, and not twice
        roll = rng.random()
        if roll < COMMA_SHARE:
            tokens[i] += ","
        elif roll < COMMA_SHARE + 0.015:
            tokens[i] += " ;" if french_space else ";"
        elif roll < COMMA_SHARE + 0.03:
            tokens[i] += " :" if french_space else ":"
        elif roll < COMMA_SHARE + 0.06:  # a sentence ends inside the line
            tokens[i] += "."
            tokens[i + 1] = tokens[i + 1][:1].upper() + tokens[i + 1][1:]
    roll = rng.random()
    if roll < 0.45:
        tokens[-1] += "."
    elif roll < 0.5:
        tokens[-1] += " ?" if french_space else "?"
    elif roll < 0.54:
        tokens[-1] += " !" if french_space else "!"
    text = " ".join(tokens)
    if rng.random() < capitals:
        text = in_capitals(text, language)
    while len(text) > MAX_CHARS and " " in text:  # long words can overshoot: drop the last ones
        text = text.rsplit(" ", 1)[0]
    return text[:MAX_CHARS]


def in_capitals(text: str, language: str) -> str:
    """``text`` in capitals, leaving a letter whose capital the language's letters lack (ß).

    >>> in_capitals("straße, l'été", "de"), in_capitals("l'été", "fr")
    ("STRAßE, L'éTé", "L'ÉTÉ")
    """
    letters = LETTERS[language]
    upper = {c: c.upper() for c in set(text)}
    return "".join(u if len(u) == 1 and u in letters else c for c, u in ((c, upper[c]) for c in text))


def line_texts(count: int, seed: int = 0, languages: Sequence[str] = LANGUAGES) -> list[str]:
    """``count`` line texts, each in a language drawn evenly from ``languages``; seeded.

    >>> len(line_texts(5, seed=1, languages=("de",)))
    5
    """
    languages = tuple(languages)
    if not languages:
        raise ConfigError("line_texts needs at least one language")
    for language in languages:
        _check_language(language)
    rng = np.random.default_rng([seed, 13])
    return [make_line_text(rng, languages[int(rng.integers(len(languages)))]) for _ in range(count)]


def charset(languages: Sequence[str] = LANGUAGES) -> str:
    """Every character line texts in ``languages`` can hold, the space included, sorted.

    >>> "ß" in charset(("de",)) and "é" not in charset(("de",)) and " " in charset()
    True
    """
    chars = set(DIGITS + PUNCTUATION + " ")
    for language in languages:
        _check_language(language)
        chars |= set(LETTERS[language])
    return "".join(sorted(chars))
