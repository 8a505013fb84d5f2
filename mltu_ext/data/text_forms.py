"""One written form for every text the package compares character by character.

"é" may be one character or "e" and a combining accent, depending on the tool
that wrote the file (macOS writes file names decomposed), and a no-break space
looks like a space. A model's vocabulary, its language model, the labels it is
scored on and the writer ids a split names must agree character for character,
so each of them goes through :func:`normal_text` where it enters the package.
"""

from __future__ import annotations

import unicodedata


def normal_text(text: str) -> str:
    """``text`` composed (NFC), with every kind of space (no-break, thin, ...) a plain space.

    >>> normal_text("e\\u0301te\\u0301\\u00a0!") == "été !"
    True
    """
    composed = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(c) == "Zs" else c for c in composed)


def normal_id(name: str) -> str:
    """A writer id or other name composed (NFC); its spaces stay as they are."""
    return unicodedata.normalize("NFC", name)
