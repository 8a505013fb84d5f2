"""EMNIST as CSV: ``emnist-<variant>-{train,test}.csv`` + ``emnist-<variant>-mapping.txt``.

Each CSV row is ``label,pixel0,...,pixel783`` with no header. The 28x28 images
are stored transposed and as white ink on black; the reader turns them back
(transpose) and inverts them to this package's dark ink on white. Mapping
lines are ``label ascii_code [ascii_code ...]``; the first code is used (the
``letters`` variant lists upper and lower case for one label).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.common import require_samples
from mltu_ext.data.samples import Sample
from mltu_ext.errors import DatasetError
from mltu_ext.io.text_files import open_text

SIDE = 28
MAPPING_FILE = re.compile(r"emnist-(\w+)-mapping\.txt$")
DATA_FILE = re.compile(r"emnist-(\w+)-(train|test)\.csv$")


def read_mapping(path: Path) -> dict[int, str]:
    """Label -> character from ``emnist-<variant>-mapping.txt``."""
    mapping = {}
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 2 or not all(f.isdigit() for f in fields):
                raise DatasetError(f"{path}:{number}: malformed line, expected 'label ascii_code'")
            mapping[int(fields[0])] = chr(int(fields[1]))
    if not mapping:
        raise DatasetError(f"{path}: empty mapping file")
    return mapping


def find_files(path: Path, variant: str | None) -> tuple[Path, list[Path]]:
    """(mapping file, data CSVs) for PATH: a folder, a mapping file or one data CSV."""
    if path.is_file():
        match = DATA_FILE.search(path.name) or MAPPING_FILE.search(path.name)
        if match is None:
            raise DatasetError(f"{path}: not an emnist-<variant>-(train|test|mapping) file")
        variant, folder = match.group(1), path.parent
        data = [path] if path.suffix == ".csv" else None
    else:
        folder = path
        variants = sorted(
            m.group(1) for p in path.glob("emnist-*-mapping.txt") if (m := MAPPING_FILE.search(p.name))
        )
        if variant is None:
            if len(variants) != 1:
                raise DatasetError(
                    f"{path}: found EMNIST variants {variants or 'none'}; pass variant=... or one CSV file"
                )
            variant = variants[0]
        data = None
    mapping = folder / f"emnist-{variant}-mapping.txt"
    if not mapping.is_file():
        raise DatasetError(f"{mapping}: mapping file not found")
    if data is None:
        data = [folder / f"emnist-{variant}-{part}.csv" for part in ("train", "test")]
        data = [p for p in data if p.is_file()]
        if not data:
            raise DatasetError(f"{folder}: no emnist-{variant}-train.csv or -test.csv")
    return mapping, data


def read_pixels(path: Path) -> np.ndarray:
    """The CSV as uint8 (N, 1 + 784); raises DatasetError at the first bad line."""
    import pandas as pd  # pandas' C parser reads 100k rows of 785 numbers in seconds

    width = 1 + SIDE * SIDE
    parts = [np.zeros((0, width), dtype=np.uint8)]
    first_line = 1
    try:
        # float32 chunks so that short rows show up as NaN; 10k rows = 31 MB at a time
        for chunk in pd.read_csv(path, header=None, dtype=np.float32, chunksize=10_000):
            values = chunk.to_numpy()
            if values.shape[1] != width:
                raise DatasetError(
                    f"{path}:{first_line}: malformed line, expected {width} "
                    f"fields (label + 28x28 pixels), found {values.shape[1]}"
                )
            bad = np.flatnonzero(
                np.isnan(values).any(axis=1) | (values < 0).any(axis=1) | (values > 255).any(axis=1)
            )
            if bad.size:
                raise DatasetError(
                    f"{path}:{first_line + bad[0]}: malformed line, expected "
                    f"{width} numbers with pixels in 0..255"
                )
            parts.append(values.astype(np.uint8))
            first_line += len(values)
    except pd.errors.EmptyDataError:
        pass  # an empty file holds no rows: (0, 785); the caller names a dataset without samples
    except DatasetError:
        raise
    except (ValueError, pd.errors.ParserError) as exc:
        raise DatasetError(f"{path}: malformed CSV ({str(exc).splitlines()[0]})") from exc
    return np.concatenate(parts)


def to_image(pixels: np.ndarray) -> np.ndarray:
    """784 stored values -> upright (28, 28) uint8, dark ink on white."""
    # stored column-major: transposing the 28x28 puts rows back as rows
    return (255 - pixels.reshape(SIDE, SIDE).T).astype(np.uint8)


def read_emnist(path: Path | str, variant: str | None = None, log: ReadLog | None = None) -> list[Sample]:
    """Samples of EMNIST CSVs at PATH with the image in ``Sample.image`` (28, 28) uint8."""
    path = Path(path)
    log = log if log is not None else ReadLog()
    mapping_file, data_files = find_files(path, variant)
    mapping = read_mapping(mapping_file)
    samples = []
    for data_file in data_files:
        split = DATA_FILE.search(data_file.name).group(2)
        values = read_pixels(data_file)
        for row, line in enumerate(values, start=1):
            where = f"{data_file}:{row}"
            label = int(line[0])
            if label not in mapping:
                raise DatasetError(f"{where}: label {label} is not in {mapping_file.name}")
            samples.append(Sample(text=mapping[label], image=to_image(line[1:]), source=where, split=split))
    log.note("EMNIST CSVs carry no writer ids")
    require_samples(samples, path, log)
    return samples
