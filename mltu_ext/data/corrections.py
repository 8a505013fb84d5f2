"""Label corrections kept next to a dataset: a CSV of file, published text, text in the image.

Published word datasets carry a few wrong labels (an image labelled with the
word of its neighbour in the writer's list). A corrections file records each
one that a person has checked by looking at the image, so that evaluations can
be run on the published labels and on the corrected ones side by side.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from mltu_ext.data.samples import Sample
from mltu_ext.data.text_forms import normal_text
from mltu_ext.errors import DatasetError
from mltu_ext.io.text_files import open_text

COLUMNS = ("file_name", "published", "corrected")


@dataclasses.dataclass(frozen=True)
class Correction:
    """One checked label: the file (relative to the dataset folder) and both texts."""

    file_name: str
    published: str
    corrected: str


def load_corrections(path: str | Path) -> list[Correction]:
    """Read a corrections CSV with the columns ``file_name,published,corrected``."""
    path = Path(path)
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            expected = ", ".join(COLUMNS)
            raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}; expected {expected}")
        # in the labels' written form (data.text_forms), which the published texts are compared with
        rows = [
            Correction(row["file_name"], normal_text(row["published"]), normal_text(row["corrected"]))
            for row in reader
        ]
    names = [row.file_name for row in rows]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise DatasetError(f"{path}: more than one correction for {', '.join(twice)}")
    return rows


def apply_corrections(samples: list[Sample], corrections: list[Correction], root: str | Path) -> list[Sample]:
    """Copies of ``samples`` with the corrected texts; every correction must find its sample.

    A correction whose file is not among the samples, or whose published text
    is not the sample's label, raises: the corrections belong to another
    version of the dataset and would otherwise be skipped without a word.
    """
    root = Path(root).resolve()
    by_file = {str(Path(row.file_name)): row for row in corrections}
    used = set()
    out = []
    for sample in samples:
        key = str(Path(sample.path).resolve().relative_to(root)) if sample.path else None
        row = by_file.get(key) if key else None
        if row is None:
            out.append(sample)
            continue
        if sample.text != row.published:
            raise DatasetError(
                f"{sample.name}: label is {sample.text!r}, the correction expects {row.published!r}"
            )
        used.add(key)
        out.append(dataclasses.replace(sample, text=row.corrected, source=f"{sample.source} (corrected)"))
    unused = sorted(set(by_file) - used)
    if unused:
        raise DatasetError(f"corrections for files not among the samples under {root}: {', '.join(unused)}")
    return out
