"""Words to render: Debian's English word list, dressed up as people write them."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import numpy as np

from mltu_ext.errors import ConfigError

WORD_LISTS = ("/usr/share/dict/american-english", "/usr/share/dict/words")
WORD_LIST_ENV = "MLTU_EXT_WORD_LIST"  # a word list file to use instead

# the characters the generated labels use (sorted, as a Vocabulary orders them)
CHARSET = "".join(sorted("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,-"))

MAX_LENGTH = 16

# used only when no word list is installed
FALLBACK_WORDS = """
about above across after again against almost along already also always among animal another answer
around asked away back because become been before began behind being below better between big black
blue body book both bread bring brother brought build built call came carry cause center change
children city close cold color come common could country course cover cross dark daughter day deep
different distance does done door down draw dream during early earth east easy eight enough even
evening every example eyes face fall family far farm father feel feet field fire first fish five
floor follow food foot force form found four free friend front full game garden gave girl give glass
go gold good great green ground group grow half hand happy hard have head hear heard heart heavy help
here high hill hold home horse hot hour house however hundred idea important inside island just keep
kind king knew know land large last late laugh learn leave left letter life light like line list
listen little live long look love made make many mark may mean measure men might mile mind minute
miss money moon more morning mother mountain move much music must name near need never new next
night north nothing notice number ocean often old once only open order other our outside over page
paper part pass people picture piece place plain plan plant play point poor power press problem
pull question quick quiet rain ran reach read ready real record red remember rest right river road
rock room round rule run said same sat saw say school sea second seem seen sentence set seven shape
short should show side simple since sing sister six size sleep slow small snow soft some song soon
sound south space speak special spell spring stand star start state stay step still stone stood stop
story street strong study such summer sun sure surface table tail take talk teacher tell ten than
thing think third those though thought thousand three through time today together told took top
toward town travel tree true try turn under until upon usual very voice walk wall want warm watch
water wave weather week weight well went west what wheel where which while white whole wind window
winter with without woman wonder wood word work world would write wrong year yellow young
"""


@functools.lru_cache(maxsize=4)
def load_words(min_length: int = 2, max_length: int = 12) -> tuple[str, ...]:
    """Plain ASCII-letter words from the installed list, else the built-in fallback.

    ``$MLTU_EXT_WORD_LIST`` names a list to use instead. Words with apostrophes
    (possessives such as "dog's"), accents or digits are left out; the result
    keeps the file's case and is sorted and de-duplicated.
    """
    pattern = re.compile(r"[A-Za-z]+")
    override = os.environ.get(WORD_LIST_ENV)
    for name in (override, *WORD_LISTS) if override else WORD_LISTS:
        path = Path(name)
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8", errors="ignore").splitlines()
        words = {w for w in map(str.strip, lines) if pattern.fullmatch(w)}
        words = {w for w in words if min_length <= len(w) <= max_length}
        if words:
            return tuple(sorted(words))
    words = {w for w in FALLBACK_WORDS.split() if min_length <= len(w) <= max_length}
    if not words:
        raise ConfigError(f"no fallback word has {min_length} to {max_length} letters")
    return tuple(sorted(words))


# how often a label is a number, a hyphenated pair, Capitalised, UPPER, or ends in '.' / ','
NUMBER_SHARE = 0.08
HYPHEN_SHARE = 0.05
CAPITAL_SHARE = 0.22
UPPER_SHARE = 0.06
PERIOD_SHARE = 0.04
COMMA_SHARE = 0.04


def make_number(rng: np.random.Generator) -> str:
    """1 to 4 digits; longer numbers rarely start with 0, as people write them."""
    digits = int(rng.integers(1, 5))
    text = "".join(str(d) for d in rng.integers(0, 10, digits))
    if digits > 1 and text[0] == "0" and rng.random() < 0.8:
        text = str(int(rng.integers(1, 10))) + text[1:]
    return text


def make_label(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    """One label of 1..MAX_LENGTH characters from CHARSET, no spaces.

    Mostly lower-case words, some Capitalised, a few UPPER, some numbers,
    now and then a hyphenated pair or a trailing '.' or ','.

    >>> label = make_label(np.random.default_rng(1), ("cat", "dog"))
    >>> 1 <= len(label) <= MAX_LENGTH and set(label) <= set(CHARSET)
    True
    """
    roll = rng.random()
    if roll < NUMBER_SHARE:
        text = make_number(rng)
    else:
        text = _pick(rng, words, MAX_LENGTH - 1)
        if roll < NUMBER_SHARE + HYPHEN_SHARE and len(text) <= MAX_LENGTH - 3:
            # a second word that fits: the pair plus a possible '.' stays within MAX_LENGTH
            text = f"{text}-{_pick(rng, words, MAX_LENGTH - 2 - len(text))}"
        style = rng.random()
        if style < CAPITAL_SHARE:
            text = text.capitalize()
        elif style < CAPITAL_SHARE + UPPER_SHARE:
            text = text.upper()
    tail = rng.random()
    if tail < PERIOD_SHARE:
        text += "."
    elif tail < PERIOD_SHARE + COMMA_SHARE:
        text += ","
    return text


def _pick(rng: np.random.Generator, words: tuple[str, ...], max_length: int) -> str:
    """A random lower-case word of at most ``max_length`` letters (cut when none fits)."""
    for _ in range(20):
        word = words[int(rng.integers(len(words)))].lower()
        if len(word) <= max_length:
            return word
    return word[:max_length]


UMLAUTS = {"a": "ä", "o": "ö", "u": "ü"}


def name_like_words(count: int, seed: int = 0) -> list[str]:
    """``count`` distinct English words written as German names are (for a warm-up on rendered text).

    Most are Capitalised; about a quarter get an umlaut (a/o/u -> ä/ö/ü), some
    an ß for "ss", and about one in ten is a hyphenated pair ("Neu-Ulm"
    style), so a model that learns them knows every letter a German place
    name uses.

    >>> words = name_like_words(50, seed=1)
    >>> len(words) == len(set(words)) == 50
    True
    """
    rng = np.random.default_rng([seed, 11])
    words = load_words(3, 12)
    out: set[str] = set()
    for _ in range(count * 20):
        if len(out) >= count:
            break
        word = words[int(rng.integers(len(words)))].lower()
        if rng.random() < 0.25:
            spots = [i for i, c in enumerate(word) if c in UMLAUTS]
            if spots:
                i = spots[int(rng.integers(len(spots)))]
                word = word[:i] + UMLAUTS[word[i]] + word[i + 1 :]
        if "ss" in word and rng.random() < 0.5:
            word = word.replace("ss", "ß", 1)
        if rng.random() < 0.1:
            word = f"{word}-{words[int(rng.integers(len(words)))].lower()}"
        if rng.random() < 0.7:
            word = "-".join(part.capitalize() for part in word.split("-"))
        out.add(word)
    return sorted(out)
