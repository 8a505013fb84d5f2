"""Helpers shared by the readers: the result record, line reading, file checks."""

from __future__ import annotations

import dataclasses
import os
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.samples import Sample
from mltu_ext.data.vocabulary import label_problem
from mltu_ext.errors import DatasetError
from mltu_ext.io.text_files import read_text

# How many missing file names an error message shows before "...".
SHOW_NAMES = 3


@dataclass
class LoadedDataset:
    """Samples of one dataset plus what was left out while reading it."""

    samples: list[Sample]
    format: str
    root: str
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: count, format, root and skipped rows."""
        text = f"{len(self.samples)} samples ({self.format}) from {self.root}"
        if self.skipped:
            parts = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
            text += f"; skipped: {parts}"
        return text


def data_lines(path: Path, encoding: str | None = None) -> Iterator[tuple[int, str]]:
    """(line number, line) for the non-blank, non-``#`` lines of a text file.

    Read as UTF-8 unless ``encoding`` names another (``--encoding``); bytes
    that do not decode stop with the file, line and byte (``io.text_files``).
    """
    for number, raw in enumerate(read_text(path, encoding).splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        yield number, raw


def check_label(text: str, where: str) -> str:
    """``text`` unchanged; raises DatasetError for an empty or blank label."""
    problem = label_problem(text)
    if problem:
        raise DatasetError(f"{where}: {problem}")
    return text


def composed(name: str) -> str:
    """``name`` composed (NFC): "é" one character, as most systems write it; macOS writes file names
    decomposed ("e" and a combining accent), and the two look the same but do not match."""
    return unicodedata.normalize("NFC", name)


class Listings:
    """Folders' entries, each folder listed once: for finding a file whose name was written in
    the other Unicode normalisation (a labels file or layout made on macOS, images copied
    elsewhere, or the reverse)."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, list[str]] | None] = {}

    def entries(self, folder: str) -> dict[str, list[str]] | None:
        """Composed name -> the real names of ``folder``'s entries; None when it cannot be listed."""
        if folder not in self._entries:
            try:
                names = sorted(e.name for e in os.scandir(folder or "."))
            except OSError:
                self._entries[folder] = None
            else:
                forms: dict[str, list[str]] = {}
                for name in names:
                    forms.setdefault(composed(name), []).append(name)
                self._entries[folder] = forms
        return self._entries[folder]

    def other_form(self, path: str, folder: bool = False) -> str | None:
        """The existing file (``folder``: folder) that ``path`` names, with each part of it that
        is missing matched in the other Unicode normalisation; None when there is none.

        For a path that is missing as written: an exact name always comes first.
        """
        if path.isascii():  # only accents and other non-ASCII letters have two forms
            return None
        head, name = os.path.split(path)
        if not name:
            return None
        if head and head != path and not os.path.isdir(head):
            head = self.other_form(head, folder=True)
            if head is None:
                return None
        is_kind = os.path.isdir if folder else os.path.isfile
        for real in (self.entries(head) or {}).get(composed(name), []):
            found = os.path.join(head, real)
            if is_kind(found):
                return found
        return None


def missing_files(paths: Iterable[str]) -> list[str]:
    """The paths that are not existing files, in input order.

    Lists each folder once instead of calling stat per file, which is much
    faster on a 400,000-image dataset (and on network disks).
    """
    listing: dict[str, set[str] | None] = {}
    missing = []
    for path in paths:
        folder, name = os.path.split(path)
        if folder not in listing:
            try:
                listing[folder] = {e.name for e in os.scandir(folder or ".") if e.is_file()}
            except OSError:
                listing[folder] = None
        names = listing[folder]
        if names is None or name not in names:
            missing.append(path)
    return missing


def require_images(samples: list[Sample], label_file: Path | str) -> None:
    """Raise one DatasetError naming every missing image count and the first few.

    An image missing under the name the labels give but there with its name in the other
    Unicode normalisation (``café.png`` decomposed in the labels, composed on disk, or the
    reverse) is found: its sample's path is changed in ``samples`` to the name on disk.
    """
    paths = [s.path for s in samples if s.path is not None]
    missing = set(missing_files(paths))
    if not missing:
        return
    listings = Listings()
    found = {path: listings.other_form(path) for path in missing}
    for index, sample in enumerate(samples):
        if sample.path in missing and found[sample.path] is not None:
            samples[index] = dataclasses.replace(sample, path=found[sample.path])
    missing = {path for path in missing if found[path] is None}
    if not missing:
        return
    first = [s for s in samples if s.path in missing][:SHOW_NAMES]
    shown = ", ".join(f"{s.path} ({s.source})" for s in first)
    more = ", ..." if len(missing) > len(first) else ""
    raise DatasetError(f"{label_file}: {len(missing)} of {len(paths)} image files are missing: {shown}{more}")


def require_samples(samples: list[Sample], where: Path | str, log: ReadLog | None) -> None:
    """Raise DatasetError when a reader found nothing, saying what was skipped."""
    if samples:
        return
    reasons = ""
    if log is not None and log.skipped:
        reasons = " (skipped: " + ", ".join(f"{n} {r}" for r, n in log.skipped.items()) + ")"
    raise DatasetError(f"{where}: empty dataset, no samples found{reasons}")


def split_name(text: str) -> str | None:
    """Normalise a split name from a file name or column: train, val or test.

    >>> split_name("validationset1"), split_name("written_name_train_v2"), split_name("x")
    ('val', 'train', None)
    """
    from mltu_ext.data.split import SPLIT_ALIASES

    lower = text.lower()
    # longest alias first: "validation" before "val", "training" before "train"
    for alias in sorted(SPLIT_ALIASES, key=len, reverse=True):
        if alias in lower:
            return SPLIT_ALIASES[alias]
    return None
