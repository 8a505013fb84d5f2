"""Recognise a dataset's format from its files, and load it with the right reader."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltu_ext.data.images import IMAGE_SUFFIXES
from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.alto import read_alto
from mltu_ext.data.readers.common import LoadedDataset
from mltu_ext.data.readers.emnist import DATA_FILE as EMNIST_DATA_FILE
from mltu_ext.data.readers.emnist import MAPPING_FILE as EMNIST_MAPPING_FILE
from mltu_ext.data.readers.emnist import read_emnist
from mltu_ext.data.readers.generic import (
    TABLE_SUFFIXES,
    label_file_name,
    read_generic_csv,
    read_image_txt_folder,
    table_files,
)
from mltu_ext.data.readers.iam import read_iam_lines, read_iam_sentences, read_iam_words
from mltu_ext.data.readers.iam_parquet import read_iam_parquet
from mltu_ext.data.readers.kaggle import LABEL_FILE as KAGGLE_LABEL_FILE
from mltu_ext.data.readers.kaggle import read_kaggle
from mltu_ext.data.readers.layout_files import candidate_files
from mltu_ext.data.readers.layout_xml import ALTO_ROOT, PAGE_ROOT, sniff_root
from mltu_ext.data.readers.page_xml import read_page_xml
from mltu_ext.data.samples import Sample
from mltu_ext.data.text_forms import normal_samples
from mltu_ext.errors import DatasetError
from mltu_ext.io.folders import walk_files


@dataclass(frozen=True)
class Format:
    """A dataset format: its name, what identifies it, and its reader."""

    name: str
    description: str
    reader: Callable[..., list[Sample]]


FORMATS = {
    f.name: f
    for f in (
        Format("iam_words", "IAM words.txt + words/a01/a01-000u/*.png", read_iam_words),
        Format("iam_lines", "IAM lines.txt + lines/a01/a01-000u/*.png", read_iam_lines),
        Format("iam_sentences", "IAM sentences.txt + sentences/...", read_iam_sentences),
        Format(
            "iam_parquet",
            "IAM-line parquet: data/{train,validation,test}-*.parquet (image bytes + text)",
            read_iam_parquet,
        ),
        Format(
            "kaggle",
            "Kaggle handwriting recognition: written_name_*_v2.csv + {train,validation,test}_v2/",
            read_kaggle,
        ),
        Format(
            "emnist",
            "EMNIST CSV: emnist-<variant>-{train,test}.csv + emnist-<variant>-mapping.txt",
            read_emnist,
        ),
        Format(
            "alto",
            "page images + ALTO XML (v2-v4; eScriptorium): one sample per TextLine; also in alto/ or xml/",
            read_alto,
        ),
        Format(
            "page_xml",
            "page images + PAGE XML (2013, 2019; Transkribus): one sample per TextLine; also in page/",
            read_page_xml,
        ),
        Format("generic_csv", "CSV/TSV with a header: image path + text (+ writer, split)", read_generic_csv),
        Format(
            "image_txt_folder", "folder of images, each with a same-named .txt label", read_image_txt_folder
        ),
    )
}

LAYOUT_ROOTS = {ALTO_ROOT: "alto", PAGE_ROOT: "page_xml"}
IAM_LABEL_FILES = {"words.txt": "iam_words", "lines.txt": "iam_lines", "sentences.txt": "iam_sentences"}
# What detect_format looks for, for its error message.
LOOKED_FOR = (
    "words.txt, lines.txt or sentences.txt (also in ascii/), *.parquet (also in "
    "data/), written_name_*_v2.csv, emnist-*-mapping.txt, ALTO or PAGE .xml files "
    "(also in alto/, page/ or xml/), one .csv/.tsv labels file, or images with same-named .txt files"
)


def _detect_file(path: Path) -> str | None:
    name = path.name
    if name in IAM_LABEL_FILES:
        return IAM_LABEL_FILES[name]
    if path.suffix == ".parquet":
        return "iam_parquet"
    if KAGGLE_LABEL_FILE.search(name):
        return "kaggle"
    if EMNIST_MAPPING_FILE.search(name) or EMNIST_DATA_FILE.search(name):
        return "emnist"
    if path.suffix.lower() in TABLE_SUFFIXES:
        return "generic_csv"
    if path.suffix.lower() == ".xml":
        return LAYOUT_ROOTS.get(sniff_root(path) or "")
    return None


def _detect_layout(folder: Path) -> str | None:
    """alto or page_xml when one of the first XML files here or in alto/, page/, xml/ is one."""
    for candidate in candidate_files(folder):
        fmt = LAYOUT_ROOTS.get(sniff_root(candidate) or "")
        if fmt is not None:
            return fmt
    return None


def _has_image_with_txt(folder: Path) -> bool:
    """True when some image below ``folder`` has a same-named .txt file."""
    for _folder, files in walk_files(folder):
        present = set(files)
        for name in files:
            stem, suffix = os.path.splitext(name)
            if suffix.lower() in IMAGE_SUFFIXES and label_file_name(stem, present):
                return True
    return False


def _detect_folder(path: Path) -> str | None:
    for folder in (path, path / "ascii"):
        for name, fmt in IAM_LABEL_FILES.items():
            if (folder / name).is_file():
                return fmt
    if any(path.glob("*.parquet")) or any((path / "data").glob("*.parquet")):
        return "iam_parquet"
    if any(KAGGLE_LABEL_FILE.search(p.name) for p in path.glob("written_name_*_v2.csv")):
        return "kaggle"
    if any(path.glob("emnist-*-mapping.txt")):
        return "emnist"
    layout = _detect_layout(path)
    if layout is not None:
        return layout
    if table_files(path):
        return "generic_csv"
    if _has_image_with_txt(path):
        return "image_txt_folder"
    return None


def detect_format(path: str | os.PathLike) -> str:
    """The format name of the dataset at PATH (a folder or its labels file).

    Raises DatasetError naming what was looked for when nothing matches.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    fmt = _detect_file(path) if path.is_file() else _detect_folder(path)
    if fmt is None:
        raise DatasetError(f"{path}: unknown dataset format; looked for {LOOKED_FOR}")
    return fmt


def _label_path(path: Path, fmt: str) -> Path:
    """The file an IAM reader wants when given a folder: ``words.txt`` etc. (or in ascii/)."""
    if path.is_file() or not fmt.startswith("iam_") or fmt == "iam_parquet":
        return path
    name = fmt.removeprefix("iam_") + ".txt"
    for candidate in (path / name, path / "ascii" / name):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{path}: no {name} here or in {path / 'ascii'}")


def load_dataset(path: str | os.PathLike, fmt: str | None = None, **options: Any) -> LoadedDataset:
    """Read the dataset at PATH (detecting its format unless ``fmt`` is given).

    ``options`` go to the reader that takes them (``keep_err``, ``split_files``,
    ``variant``, ``encoding``, ``writer_pattern``); options a format has no use
    for are noted, not fatal, when set.

    >>> load_dataset("/data/iam", keep_err=True).summary()  # doctest: +SKIP
    '96456 samples (iam_words) from /data/iam'
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise DatasetError(f"{path}: unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    reader = FORMATS[fmt].reader
    accepted = set(inspect.signature(reader).parameters)
    log = ReadLog()
    used = {k: v for k, v in options.items() if k in accepted}
    for key, value in options.items():
        if key not in accepted and value not in (None, False):
            log.note(f"option {key}={value!r} does not apply to {fmt}; ignored")
    samples = normal_samples(reader(_label_path(path, fmt), log=log, **used), log)
    root = path if path.is_dir() else path.parent
    return LoadedDataset(
        samples=samples, format=fmt, root=str(root), skipped=dict(log.skipped), notes=list(log.notes)
    )
