"""Kaggle "Handwriting Recognition" (names): ``written_name_{split}_v2.csv`` + image folders.

CSV: ``FILENAME,IDENTITY``. Images: ``train_v2/train/TRAIN_00001.jpg`` (the
doubled folder level is how the archive unpacks; ``train_v2/`` alone works too).
Rows whose label is empty or a marker (``UNREADABLE``, ``EMPTY``) are left out
and counted by reason. The dataset has no writer ids.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.common import check_label, require_images, require_samples
from mltu_ext.data.readers.generic import QuotedRows
from mltu_ext.data.samples import Sample
from mltu_ext.data.split import SPLIT_ALIASES
from mltu_ext.errors import DatasetError
from mltu_ext.io.text_files import open_text

LABEL_FILE = re.compile(r"written_name_(\w+?)_v2\.csv$")
# Labels that say "no text here" rather than being text.
MARKERS = ("UNREADABLE", "EMPTY")


def label_files(path: Path | str) -> list[Path]:
    """The ``written_name_*_v2.csv`` files at PATH (a folder or one such file)."""
    path = Path(path)
    if path.is_file():
        return [path]
    found = sorted(p for p in path.glob("written_name_*_v2.csv") if LABEL_FILE.search(p.name))
    if not found:
        raise DatasetError(f"{path}: no written_name_*_v2.csv files")
    return found


def image_folder(root: Path, split_word: str) -> Path:
    """``train_v2/train`` if it exists, else ``train_v2``, else ``train``."""
    candidates = [root / f"{split_word}_v2" / split_word, root / f"{split_word}_v2", root / split_word]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def read_kaggle_file(label_file: Path, log: ReadLog, encoding: str | None = None) -> list[Sample]:
    """Samples of one ``written_name_{split}_v2.csv``."""
    match = LABEL_FILE.search(label_file.name)
    if match is None:
        raise DatasetError(f"{label_file}: not a written_name_<split>_v2.csv file")
    split_word = match.group(1)
    split = SPLIT_ALIASES.get(split_word, split_word)
    folder = image_folder(label_file.parent, split_word)
    samples = []
    with open_text(label_file, encoding) as handle:
        # strict: a quote never closed is an error at its line, not the rest of the file in one label
        rows = QuotedRows(label_file, csv.reader(handle, strict=True))
        header = next(rows, None)
        if header is None or [h.strip().upper() for h in header[:2]] != ["FILENAME", "IDENTITY"]:
            raise DatasetError(f"{label_file}:1: expected the header FILENAME,IDENTITY, found {header}")
        for row in rows:
            where = f"{label_file}:{rows.line_num}"
            if not row:
                continue
            if len(row) < 2:
                raise DatasetError(f"{where}: malformed line, expected FILENAME,IDENTITY")
            if any(cell.strip() for cell in row[2:]):
                # an unquoted comma in a name would cut the label short
                raise DatasetError(
                    f"{where}: malformed line, expected FILENAME,IDENTITY, found {len(row)} fields "
                    '(put a label that holds a comma in double quotes: "SMITH, JR")'
                )
            name, text = row[0].strip(), row[1].strip()
            if not name:
                raise DatasetError(f"{where}: malformed line, empty FILENAME")
            if not text:
                log.skip("empty label")
                continue
            if text in MARKERS:
                log.skip(f"{text} label")
                continue
            text = check_label(text, where)  # a tab or newline inside a quoted label
            samples.append(Sample(text=text, path=str(folder / name), source=where, split=split))
    return samples


def read_kaggle(path: Path | str, log: ReadLog | None = None, encoding: str | None = None) -> list[Sample]:
    """Samples of the Kaggle handwriting-recognition dataset at PATH (folder or one CSV)."""
    log = log if log is not None else ReadLog()
    samples = []
    files = label_files(path)
    for label_file in files:
        found = read_kaggle_file(label_file, log, encoding)
        require_images(found, label_file)
        samples.extend(found)
    log.note("Kaggle names carry no writer ids")
    require_samples(samples, path, log)
    return samples
