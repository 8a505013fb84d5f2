"""Generic layouts: a CSV/TSV of image paths and labels, or images with ``.txt`` labels.

CSV/TSV: a header row names the columns; any of these names work (case does
not matter). Paths are relative to the CSV's folder.

=========  =================================================
image      file_name, filename, file, image, image_path, path, img
text       text, label, transcription, identity, ground_truth, gt
writer     writer, writer_id, author (optional)
split      split, subset, set (optional: train, val(idation), dev, test)
=========  =================================================

Image + txt folder: ``a.png`` with ``a.txt`` holding its label (one line),
searched recursively.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from mltu_ext.data.images import IMAGE_SUFFIXES
from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.common import (
    check_label,
    composed,
    require_images,
    require_samples,
)
from mltu_ext.data.samples import Sample
from mltu_ext.data.split import SPLIT_ALIASES
from mltu_ext.errors import DatasetError
from mltu_ext.io.folders import walk_files
from mltu_ext.io.text_files import open_text, read_text

COLUMNS = {
    "image": ("file_name", "filename", "file", "image", "image_path", "path", "img"),
    "text": ("text", "label", "transcription", "identity", "ground_truth", "gt"),
    "writer": ("writer", "writer_id", "author"),
    "split": ("split", "subset", "set"),
}
TABLE_SUFFIXES = (".csv", ".tsv")


def find_columns(header: list[str]) -> dict[str, int]:
    """Role (image, text, writer, split) -> column index for the names in ``header``."""
    lower = [h.strip().lstrip("\ufeff").lower() for h in header]
    found = {}
    for role, names in COLUMNS.items():
        index = next((lower.index(n) for n in names if n in lower), None)
        if index is not None:
            found[role] = index
    return found


def table_files(folder: Path) -> list[Path]:
    """The ``.csv``/``.tsv`` files directly in ``folder``."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES)


def find_table(path: Path) -> Path:
    """PATH itself if it is a file, else the one CSV/TSV in the folder PATH."""
    if path.is_file():
        return path
    tables = table_files(path)
    if len(tables) == 1:
        return tables[0]
    if not tables:
        raise DatasetError(f"{path}: no .csv or .tsv labels file in this folder")
    names = ", ".join(p.name for p in tables)
    raise DatasetError(f"{path}: several labels files ({names}); pass the one to use")


def _delimiter(path: Path, first_line: str) -> str:
    """Tab for .tsv; for .csv the separator under which the header names image and text."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    for delimiter in (",", "\t", ";"):
        roles = find_columns(first_line.split(delimiter))
        if "image" in roles and "text" in roles:
            return delimiter
    return ","


def read_generic_csv(
    path: Path | str, log: ReadLog | None = None, encoding: str | None = None
) -> list[Sample]:
    """Samples of a labels CSV/TSV (or the one such file in the folder PATH)."""
    log = log if log is not None else ReadLog()
    table = find_table(Path(path))
    with open_text(table, encoding) as handle:
        first_line = handle.readline()
        handle.seek(0)
        # strict: a field that opens a double quote and does not close it where the field ends
        # is an error, not a label with its quotes dropped (or the rest of the file inside it)
        rows = csv.reader(handle, delimiter=_delimiter(table, first_line), strict=True)
        samples, has_writer = _table_samples(table, QuotedRows(table, rows))
    if not has_writer:
        log.note(f"{table.name} has no writer column")
    require_samples(samples, table, log)
    require_images(samples, table)
    return samples


class QuotedRows:
    """A strict ``csv.reader``'s rows, ``line_num`` the line the last one starts on; a quoting error
    stops with that line (the reader's own ``line_num`` is where it gave up: for a quote never
    closed, the end of the file)."""

    def __init__(self, table: Path, reader: Any) -> None:  # reader: a csv.reader
        self.table, self.reader, self.line_num = table, reader, 0

    def __iter__(self) -> QuotedRows:
        return self

    def __next__(self) -> list[str]:
        start = self.reader.line_num + 1
        try:
            row = next(self.reader)
        except csv.Error as error:
            raise DatasetError(
                f"{self.table}:{start}: malformed quoting ({error}); a text that starts with a double "
                'quote is quoted whole, its own quotes doubled: """Ja"", sagte er"'
            ) from None
        self.line_num = start
        return row


def _table_samples(table: Path, rows: QuotedRows) -> tuple[list[Sample], bool]:
    """(the samples of the open ``csv.reader`` ``rows`` over ``table``, whether it has a writer column)."""
    folder = table.parent
    samples = []
    header = next(rows, None)
    if header is None:
        raise DatasetError(f"{table}: empty dataset, the file is empty")
    roles = find_columns(header)
    for role in ("image", "text"):
        if role not in roles:
            raise DatasetError(
                f"{table}:1: no {role} column in the header {header}; "
                f"expected one of {', '.join(COLUMNS[role])}"
            )
    needed = max(roles.values()) + 1
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        where = f"{table}:{rows.line_num}"
        if len(row) < needed:
            raise DatasetError(f"{where}: malformed line, expected {len(header)} fields, found {len(row)}")
        if any(cell.strip() for cell in row[len(header) :]):
            # an unquoted separator in a text would shift the fields after it
            raise DatasetError(
                f"{where}: malformed line, expected {len(header)} fields, found {len(row)} "
                '(put a text that holds the separator in double quotes: "Berlin, Mitte")'
            )
        name = row[roles["image"]].strip()
        if not name:
            raise DatasetError(f"{where}: malformed line, empty image path")
        name = _posix_path(folder, name)
        writer = None
        if "writer" in roles:
            writer = row[roles["writer"]].strip() or None
        split = None
        if "split" in roles and row[roles["split"]].strip():
            value = row[roles["split"]].strip().lower()
            if value not in SPLIT_ALIASES:
                raise DatasetError(
                    f"{where}: unknown split {value!r}; expected one of {', '.join(SPLIT_ALIASES)}"
                )
            split = SPLIT_ALIASES[value]
        samples.append(
            Sample(
                text=check_label(row[roles["text"]], where),
                path=os.path.join(folder, name),
                writer=writer,
                source=where,
                split=split,
            )
        )
    return samples, "writer" in roles


def _posix_path(folder: Path, name: str) -> str:
    """``name`` with Windows backslashes as ``/`` (``lines\\a01.png`` from a CSV made on Windows),
    unless a file of that very name is there (on Linux a backslash may be part of a name)."""
    if os.sep == "\\" or "\\" not in name or os.path.isfile(os.path.join(folder, name)):
        return name
    return name.replace("\\", "/")


def label_file_name(stem: str, names: set[str]) -> str | None:
    """The name of image ``stem``'s label file among ``names``: ``stem.txt``, else the first of
    ``stem.TXT`` and other spellings of the ending (as some scanners and old systems write it), else
    the stem in the other Unicode normalisation (``café.txt`` decomposed beside ``café.png`` composed),
    or None."""
    if stem + ".txt" in names:
        return stem + ".txt"
    others = sorted(n for n in names if n[: len(stem)] == stem and n[len(stem) :].lower() == ".txt")
    if others or stem.isascii():
        return others[0] if others else None
    # the stem written in the other Unicode normalisation (café decomposed, as macOS writes names)
    wanted = composed(stem)
    others = sorted(
        n for n in names if not n.isascii() and n[-4:].lower() == ".txt" and composed(n[:-4]) == wanted
    )
    return others[0] if others else None


def read_image_txt_folder(
    path: Path | str, log: ReadLog | None = None, encoding: str | None = None
) -> list[Sample]:
    """Samples of a folder tree where each image ``x.png`` has its label in ``x.txt``."""
    root = Path(path)
    log = log if log is not None else ReadLog()
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    samples = []
    for folder, files in walk_files(root):
        present = set(files)
        for name in files:
            stem, suffix = os.path.splitext(name)
            if suffix.lower() not in IMAGE_SUFFIXES:
                continue
            label_name = label_file_name(stem, present)
            if label_name is None:
                log.skip("images without a .txt label")
                continue
            label_file = os.path.join(folder, label_name)
            where = f"{label_file}:1"
            text = read_text(label_file, encoding).strip("\r\n")
            if "\n" in text:
                raise DatasetError(f"{where}: malformed label file, expected one line")
            samples.append(
                Sample(text=check_label(text, where), path=os.path.join(folder, name), source=where)
            )
    log.note("image + txt folders carry no writer ids")
    require_samples(samples, root, log)
    return samples
