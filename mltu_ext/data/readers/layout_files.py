"""Files of the ALTO and PAGE XML readers: the XML files, the page image of each, its writer."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from mltu_ext.data.images import IMAGE_SUFFIXES
from mltu_ext.data.readers.common import Listings, composed
from mltu_ext.errors import ConfigError, DatasetError
from mltu_ext.io.folders import walk_files

# Folders that hold the XML files beside (or inside) the image folder:
# eScriptorium exports alto/, Transkribus page/, others xml/.
LAYOUT_FOLDERS = ("alto", "page", "xml")


def xml_files(path: Path) -> list[Path]:
    """PATH itself if it is a file, else every ``*.xml`` below the folder PATH in a stable order."""
    if path.is_file():
        return [path]
    found = []
    for folder, files in walk_files(path):
        found.extend(Path(folder, name) for name in files if name.lower().endswith(".xml"))
    return found


def candidate_files(folder: Path, limit: int = 2) -> Iterator[Path]:
    """Up to ``limit`` XML files directly in ``folder`` and in each of its layout folders (for detection)."""
    for place in (folder, *(folder / name for name in LAYOUT_FOLDERS)):
        if place.is_dir():
            found = (p for p in place.iterdir() if p.suffix.lower() == ".xml" and p.is_file())
            yield from sorted(found)[:limit]


# ---------------------------------------------------------------- images


class ImageFinder:
    """Finds the page image of an XML file; lists each folder once per dataset."""

    def __init__(self) -> None:
        self._listings: dict[Path, tuple[set[str], dict[str, str]]] = {}
        self._other_forms = Listings()
        # (xml, the image it names, the image used instead): a reference that matched nothing
        self.stand_ins: list[tuple[Path, str, Path]] = []

    def _names(self, folder: Path) -> tuple[set[str], dict[str, str]]:
        """The names of the files in ``folder`` (none when it is not one), and each one's
        lower-cased composed (NFC) form -> the name."""
        if folder not in self._listings:
            try:
                names = sorted(e.name for e in os.scandir(folder) if e.is_file())
            except OSError:
                names = []
            folded: dict[str, str] = {}
            for name in names:
                folded.setdefault(composed(name).lower(), name)
            self._listings[folder] = set(names), folded
        return self._listings[folder]

    def _lookup(self, folder: Path, name: str) -> Path | None:
        """``folder / name`` when it is a file; else the file whose name differs only in case or in
        the Unicode normalisation of its accents (``café.png`` decomposed, as macOS writes it)."""
        exact, folded = self._names(folder)
        real = name if name in exact else folded.get(composed(name).lower())
        return folder / real if real is not None else None

    @staticmethod
    def places(xml: Path) -> list[Path]:
        """Where an image may be: the XML's folder, its parent, and ``images/`` in either."""
        here, up = xml.parent, xml.parent.parent
        return list(dict.fromkeys((here, up, here / "images", up / "images")))

    def find(self, xml: Path, reference: str | None) -> Path:
        """The image ``reference`` names (or one named like the XML); DatasetError when none is found."""
        places = self.places(xml)
        if reference:
            reference = reference.strip().removeprefix("file://")
            given = Path(reference)
            if given.is_absolute() and given.is_file():
                return given
            for folder in places:
                if not given.is_absolute() and (folder / given).is_file():
                    return folder / given
            for folder in places:  # a folder of the path written in the other Unicode normalisation
                other = None if given.is_absolute() else self._other_forms.other_form(str(folder / given))
                if other is not None:
                    return Path(other)
            # exports often keep the path of the machine they were made on: the name is what counts
            name = re.split(r"[\\/]", reference)[-1]
            for folder in places:
                found = self._lookup(folder, name)
                if found is not None:
                    return found
        # page.xml, or page.alto.xml / page.page.xml as this package writes them
        stems = dict.fromkeys((xml.stem, xml.stem.rsplit(".", 1)[0]))
        for folder in places:
            for stem in stems:
                for suffix in IMAGE_SUFFIXES:
                    found = self._lookup(folder, stem + suffix)
                    if found is not None:
                        if reference:
                            self.stand_ins.append((xml, reference, found))
                        return found
        shown = ", ".join(str(p) for p in places)
        suffixes = ", ".join(IMAGE_SUFFIXES)
        if not reference:
            raise DatasetError(
                f"{xml}: the file names no image, and no image with its stem ({' or '.join(stems)}, "
                f"ending in any of {suffixes}) was found beside it; looked in {shown}"
            )
        raise DatasetError(
            f"{xml}: image {reference!r} not found; looked in {shown}, also for {xml.stem} with any of "
            f"{suffixes}"
        )


# ---------------------------------------------------------------- writers


def compile_writer_pattern(pattern: str | re.Pattern | None) -> re.Pattern | None:
    """``pattern`` compiled; ConfigError for one that is not a regular expression."""
    if pattern is None or isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ConfigError(f"writer pattern {pattern!r} is not a regular expression: {error}") from None


def writer_id(xml: Path, pattern: re.Pattern | None) -> str:
    """The writer of a page: the file's stem, or the part of it that ``pattern`` picks.

    The pattern is searched in the stem (the name without ``.xml``); its first
    group is the writer when it has groups, else the whole match.

    >>> writer_id(Path("a/x_2.xml"), re.compile(r"^(.*?)(?:_\\d+)?$"))
    'x'
    """
    if pattern is None:
        return xml.stem
    match = pattern.search(xml.stem)
    if match is None:
        raise DatasetError(f"{xml}: the writer pattern {pattern.pattern!r} does not match {xml.stem!r}")
    writer = match.group(1) if pattern.groups and match.group(1) is not None else match.group(0)
    if not writer:
        raise DatasetError(f"{xml}: the writer pattern {pattern.pattern!r} gives an empty writer id")
    return writer
