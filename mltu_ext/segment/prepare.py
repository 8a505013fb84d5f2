"""Training pages for the segmenter: each page scaled to ``long_side`` with its three target maps.

Writes ``prepared.json`` (the scale), ``pages/<name>.jpg`` (grayscale, JPEG quality 90, as scans mostly are),
``targets/<name>.png`` (the region,
core and baseline maps as the three colour planes) and ``pages.csv`` (name,
writer, scale, width, height) into one folder, small enough to copy to a
GPU machine.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
from tqdm import tqdm

from mltu_ext.data.images import read_gray
from mltu_ext.data.readers.layout_files import compile_writer_pattern, writer_id, xml_files
from mltu_ext.errors import DatasetError, InputFileError
from mltu_ext.pages.layout_file import read_layout_file
from mltu_ext.segment.targets import line_targets, scale_for


def prepare_pages(
    layout_dir: str | Path,
    out_dir: str | Path,
    long_side: int = 1024,
    writer_pattern: str | re.Pattern | None = None,
    writers: Iterable[str] | None = None,
    exclude_writers: Iterable[str] = (),
) -> int:
    """Write the scaled pages and targets of every layout file below ``layout_dir``; the page count.

    ``writers`` keeps only those writers, ``exclude_writers`` leaves those out
    (a validation split); the writer is the file's stem or what
    ``writer_pattern`` picks from it.
    """
    pattern = compile_writer_pattern(writer_pattern)
    keep = set(writers) if writers is not None else None
    skip = set(exclude_writers)
    out = Path(out_dir)
    files = layout_files(Path(layout_dir))
    names = page_names(files, Path(layout_dir))
    (out / "pages").mkdir(parents=True, exist_ok=True)
    (out / "targets").mkdir(exist_ok=True)
    # an earlier run's table and scale would vouch for pages this run rewrites at its own
    # scale: a run that stops midway then leaves a folder train refuses, not one of mixed scales
    for name in ("prepared.json", "pages.csv"):
        (out / name).unlink(missing_ok=True)
    rows = []
    for xml in tqdm(files, desc="pages", unit="page"):
        writer = writer_id(xml, pattern)
        if (keep is not None and writer not in keep) or writer in skip:
            continue
        layout = read_layout_file(xml)
        page = read_gray(str(layout.image))
        height, width = page.shape
        scale = scale_for((width, height), long_side)
        shape = (max(1, round(height * scale)), max(1, round(width * scale)))
        small = cv2.resize(page, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
        targets = line_targets(layout.lines, shape, scale)
        name = names[xml]
        cv2.imwrite(str(out / "pages" / f"{name}.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, 90])
        cv2.imwrite(str(out / "targets" / f"{name}.png"), targets)
        rows.append([name, writer, f"{scale:.6f}", width, height])
    if not rows:
        raise DatasetError(f"{layout_dir}: no layout file of the chosen writers")
    with open(out / "pages.csv", "w", newline="", encoding="utf-8") as handle:
        table = csv.writer(handle)
        table.writerow(["name", "writer", "scale", "width", "height"])
        table.writerows(rows)
    # the scale the segmenter is trained at, and so must be run at
    (out / "prepared.json").write_text(json.dumps({"long_side": long_side}) + "\n", encoding="utf-8")
    return len(rows)


def layout_files(source: Path) -> list[Path]:
    """The ALTO / PAGE XML files at or below ``source`` (METS files aside); one line when there are none.

    Checked apart from the writers, so that a mistyped path is not reported as an empty choice of them.
    """
    if not source.exists():
        raise InputFileError(f"{source}: no such file or folder")
    files = [p for p in xml_files(source) if p.name.lower() != "mets.xml"]
    if not files:
        raise DatasetError(f"{source}: no ALTO or PAGE XML file (*.xml) in it")
    return files


def page_names(files: Sequence[Path], root: Path) -> dict[Path, str]:
    """The name each layout file's page and targets are written under: its stem, unless stems repeat.

    Exports keep each document in its own folder, often with the same file names in
    each (``page/0001.xml``): named by the stem alone, a later page would overwrite an
    earlier one. A repeated stem is named by the file's folders below ``root`` as well.
    """
    stems = Counter(path.stem for path in files)
    names: dict[Path, str] = {}
    for path in files:
        below = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        names[path] = path.stem if stems[path.stem] == 1 else "__".join(below.with_suffix("").parts)
    taken: dict[str, Path] = {}
    for path, name in names.items():
        if name in taken:
            raise DatasetError(f"{path}: its page would be written as {name!r}, as {taken[name]}'s is")
        taken[name] = path
    return names


def prepared_long_side(folder: str | Path) -> int:
    """The ``long_side`` a prepared folder was made with; DatasetError names a bad prepared.json."""
    path = Path(folder) / "prepared.json"
    if not path.is_file():
        raise DatasetError(f"{folder}: no prepared.json; make it with `python -m mltu_ext.segment prepare`")
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: not valid JSON ({error})") from error
    long_side = values.get("long_side") if isinstance(values, dict) else None
    if isinstance(long_side, bool) or not isinstance(long_side, int) or long_side < 1:
        raise DatasetError(f"{path}: long_side must be a whole number of at least 1, got {long_side!r}")
    return long_side


def load_prepared(folder: str | Path) -> list[tuple[str, object, object]]:
    """(name, page uint8 (H, W), targets uint8 (H, W, 3)) for each page of a prepared folder."""
    folder = Path(folder)
    table = folder / "pages.csv"
    if not table.is_file():
        raise DatasetError(f"{folder}: no pages.csv; make it with `python -m mltu_ext.segment prepare`")
    with open(table, newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        if "name" not in (rows.fieldnames or ()):
            raise DatasetError(
                f"{table}: has no 'name' column; make it with `python -m mltu_ext.segment prepare`"
            )
        names = [row["name"] for row in rows]
    if not names:
        raise DatasetError(f"{table}: lists no page; make it with `python -m mltu_ext.segment prepare`")
    found = []
    for name in names:
        page = read_gray(str(folder / "pages" / f"{name}.jpg"))
        targets = cv2.imread(str(folder / "targets" / f"{name}.png"), cv2.IMREAD_COLOR)
        if targets is None or targets.shape[:2] != page.shape:
            raise DatasetError(f"{folder / 'targets' / (name + '.png')}: missing or not the page's size")
        found.append((name, page, targets))
    return found
