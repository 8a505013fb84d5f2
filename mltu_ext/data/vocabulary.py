"""The character set of a model: sorted, so every process agrees on the order."""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mltu_ext.errors import LabelError

# encoded labels (N, L) are padded with this after their characters; it is
# never read as a character (the CTC loss, the metrics and the batches share it)
LABEL_PAD = -1


@dataclass(frozen=True)
class Vocabulary:
    """Characters in a fixed order; index ``len(chars)`` is the CTC blank.

    The blank is last, as in mltu, so an mltu-trained ONNX model and this
    package decode the same way.

    >>> v = Vocabulary.from_texts(["ba", "ab c"])
    >>> v.chars, v.blank_index
    (' abc', 4)
    >>> v.encode("cab")
    [3, 1, 2]
    """

    chars: str

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise LabelError(f"vocabulary has repeated characters: {self.chars!r}")
        if not self.chars:
            raise LabelError("vocabulary is empty")

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        """The sorted set of characters used in ``texts``."""
        found: set[str] = set()
        for text in texts:
            found.update(text)
        return cls("".join(sorted(found)))

    @property
    def blank_index(self) -> int:
        """The CTC blank's class index: last, after every character."""
        return len(self.chars)

    @property
    def num_classes(self) -> int:
        """Softmax size: every character plus the blank."""
        return len(self.chars) + 1

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` that are not in the vocabulary, sorted."""
        return sorted(set(text) - set(self.chars))

    def encode(self, text: str, where: str = "") -> list[int]:
        """Indices of the characters of ``text``; raises LabelError for empty or unknown."""
        problem = label_problem(text, self.chars)
        if problem:
            raise LabelError(f"{where}: {problem}" if where else problem)
        return [self._lookup[c] for c in text]

    @functools.cached_property
    def _lookup(self) -> dict[str, int]:
        # built once per vocabulary, not once per label
        return {c: i for i, c in enumerate(self.chars)}

    def decode(self, indices: Sequence[int]) -> str:
        """Characters for ``indices``; the blank and out-of-range indices are skipped."""
        return "".join(self.chars[i] for i in indices if 0 <= i < len(self.chars))

    def merged_with(self, texts: Iterable[str]) -> Vocabulary:
        """This vocabulary with new characters appended (old indices keep their meaning)."""
        extra = sorted(set().union(*map(set, texts)) - set(self.chars))
        return Vocabulary(self.chars + "".join(extra))


def ctc_steps_needed(text: str) -> int:
    """Fewest CTC time steps that can emit ``text``.

    A letter repeated next to itself needs a blank in between, so "ll" costs 3.

    >>> ctc_steps_needed("hello")
    6
    """
    return len(text) + sum(a == b for a, b in itertools.pairwise(text))


def is_empty_label(text: str) -> bool:
    """True for a label with nothing to learn: empty, spaces, or invisible characters only (U+200B).

    >>> is_empty_label(" \u200b"), is_empty_label("a")
    (True, False)
    """
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


def label_problem(text: str, chars: str | None = None, time_steps: int | None = None) -> str | None:
    """Why a model cannot learn ``text``, or None: the one set of label rules.

    Empty (or blank) labels, characters outside ``chars`` (when given) and
    labels that need more than ``time_steps`` CTC steps (when given; a doubled
    letter costs two).

    >>> label_problem("hello", "ehlo", 5)
    "label 'hello' needs 6 time steps but the model has 5; raise max_width or use a smaller width stride"
    """
    if not text or not text.strip():
        return "empty label"
    if is_empty_label(text):
        shown = ", ".join(f"U+{ord(c):04X}" for c in sorted(set(text.replace(" ", ""))))
        return f"empty label: only invisible characters ({shown})"
    controls = sorted({c for c in text if unicodedata.category(c) == "Cc"})
    if controls:
        # a newline or NUL inside a quoted field: a model would learn it as a character
        shown = ", ".join(f"U+{ord(c):04X}" for c in controls)
        return f"label {text!r} holds a control character ({shown}); a label is one line of text"
    if chars is not None:
        missing = sorted(set(text) - set(chars))
        if missing:
            return f"label {text!r} has characters outside the vocabulary: {''.join(missing)!r}"
    if time_steps is not None and ctc_steps_needed(text) > time_steps:
        return (
            f"label {text!r} needs {ctc_steps_needed(text)} time steps but the model has "
            f"{time_steps}; raise max_width or use a smaller width stride"
        )
    return None
