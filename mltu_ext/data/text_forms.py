"""One written form for every text the package compares character by character.

"é" may be one character or "e" and a combining accent, depending on the tool
that wrote the file (macOS writes file names decomposed), and a no-break space
looks like a space. A model's vocabulary, its language model, the labels it is
scored on and the writer ids a split names must agree character for character,
so each of them goes through :func:`normal_text` where it enters the package.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mltu_ext.data.read_log import ReadLog
    from mltu_ext.data.samples import Sample


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


def normal_samples(samples: list[Sample], log: ReadLog) -> list[Sample]:
    """``samples`` with labels and writer ids in the written form above; ``log`` notes how many changed."""
    accents = spaces = 0
    out = []
    for sample in samples:
        text = normal_text(sample.text)
        writer = None if sample.writer is None else normal_id(sample.writer)
        if text != sample.text or writer != sample.writer:
            accents += unicodedata.normalize("NFC", sample.text) != sample.text or writer != sample.writer
            spaces += any(unicodedata.category(c) == "Zs" and c != " " for c in sample.text)
            sample = dataclasses.replace(sample, text=text, writer=writer)
        out.append(sample)
    if accents:
        log.note(f"{accents} label(s) or writer id(s) written with decomposed accents were composed (NFC)")
    if spaces:
        log.note(f"{spaces} label(s) with no-break or other special spaces: read as plain spaces")
    return out
