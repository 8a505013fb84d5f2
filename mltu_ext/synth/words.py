"""Words to render: Debian's English word list, dressed up as people write them."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import numpy as np

WORD_LISTS = ("/usr/share/dict/american-english", "/usr/share/dict/words")
WORD_LIST_ENV = "MLTU_EXT_WORD_LIST"  # a word list file to use instead

# the characters the generated labels use
CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,-'"

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


@functools.lru_cache(maxsize=2)
def load_words(min_length: int = 2, max_length: int = 12) -> tuple[str, ...]:
    """Plain ASCII-letter words (no possessives) from the installed list, else the fallback."""
    pattern = re.compile(r"^[A-Za-z]+$")
    override = os.environ.get(WORD_LIST_ENV)
    for name in (override, *WORD_LISTS) if override else WORD_LISTS:
        path = Path(name)
        if path.is_file():
            words = {
                w.strip()
                for w in path.read_text(encoding="utf-8", errors="ignore").splitlines()
                if pattern.match(w.strip()) and min_length <= len(w.strip()) <= max_length
            }
            if len(words) > 1000:
                return tuple(sorted(words))
    return tuple(sorted(set(FALLBACK_WORDS.split())))


def make_label(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    """One label: mostly lower case, some Capitalised or UPPER, some numbers and punctuation.

    >>> label = make_label(np.random.default_rng(1), ("cat", "dog"))
    >>> 1 <= len(label) <= MAX_LENGTH and set(label) <= set(CHARSET)
    True
    """
    roll = rng.random()
    if roll < 0.08:
        return str(int(rng.integers(0, 10 ** int(rng.integers(1, 5)))))
    word = words[int(rng.integers(len(words)))].lower()
    if roll < 0.13:
        other = words[int(rng.integers(len(words)))].lower()
        word = f"{word}-{other}"
    style = rng.random()
    if style < 0.25:
        word = word.capitalize()
    elif style < 0.30:
        word = word.upper()
    tail = rng.random()
    if tail < 0.05:
        word += "."
    elif tail < 0.08:
        word += ","
    elif tail < 0.10:
        word += "'s"
    return word[:MAX_LENGTH]
