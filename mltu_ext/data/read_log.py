"""The log a dataset reader fills: what it left out, and what the user should know."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ReadLog:
    """What a reader left out (reason -> count) and what it wants the user to know."""

    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def skip(self, reason: str, count: int = 1) -> None:
        """Count ``count`` samples left out for ``reason``."""
        if count:  # a reader may report an empty count; it is not a reason in the summary
            self.skipped[reason] += count

    def note(self, text: str) -> None:
        """Keep a line to tell the user (a reader prints none itself)."""
        self.notes.append(text)
