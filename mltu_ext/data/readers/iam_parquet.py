"""IAM-line as published on model hubs: ``data/{train,validation,test}-*.parquet``.

Each file has a column ``image`` (a struct with ``bytes`` and ``path``) and a
column ``text``. The encoded image bytes go into ``Sample.data`` untouched:
decoding happens once, later, in the check or cache step.
"""

from __future__ import annotations

from pathlib import Path

from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.common import check_label, require_samples, split_name
from mltu_ext.data.samples import Sample
from mltu_ext.errors import DatasetError

# Rows converted to Python objects at a time: bounds the peak memory to one
# batch of image bytes on top of the samples themselves.
BATCH_ROWS = 1024


def parquet_files(path: Path | str) -> list[Path]:
    """The parquet files of a dataset: the file itself, or ``*.parquet`` in PATH or PATH/data."""
    path = Path(path)
    if path.is_file():
        return [path]
    for folder in (path / "data", path):
        found = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if found:
            return found
    raise DatasetError(f"{path}: no *.parquet files here or in {path / 'data'}")


def _image_bytes(value: object, where: str, folder: Path) -> bytes:
    """Encoded bytes from an ``image`` cell: a struct ``{bytes, path}`` or raw bytes."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        if value.get("bytes"):
            return value["bytes"]
        if value.get("path"):
            # Hub datasets may store only a path, relative to the parquet file.
            image_file = folder / value["path"]
            if image_file.is_file():
                return image_file.read_bytes()
            raise DatasetError(f"{where}: image has no bytes and {image_file} does not exist")
    raise DatasetError(f"{where}: image cell holds no image bytes")


def read_parquet_file(path: Path, log: ReadLog) -> list[Sample]:
    """Samples of one parquet file; the split comes from its name."""
    try:
        import pyarrow.parquet as pq  # imported here: only this format needs pyarrow
    except ImportError as exc:
        raise DatasetError(f"{path}: reading parquet needs pyarrow (pip install pyarrow)") from exc

    try:
        table_file = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read as parquet ({exc})") from exc
    names = table_file.schema_arrow.names
    missing = [c for c in ("image", "text") if c not in names]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(names)}")
    split = split_name(path.stem)
    if split is None:
        log.note(f"{path.name}: split unknown (no train/validation/test in the name)")
    samples = []
    row = 0
    for batch in table_file.iter_batches(batch_size=BATCH_ROWS, columns=["image", "text"]):
        images = batch.column(0).to_pylist()
        texts = batch.column(1).to_pylist()
        for image, text in zip(images, texts, strict=True):
            row += 1
            where = f"{path}:{row}"
            samples.append(
                Sample(
                    text=check_label(text or "", where),
                    data=_image_bytes(image, where, path.parent),
                    source=where,
                    split=split,
                )
            )
    return samples


def read_iam_parquet(path: Path | str, log: ReadLog | None = None) -> list[Sample]:
    """Samples of every parquet file of an IAM-line style dataset at PATH.

    PATH is one ``.parquet`` file, a folder of them, or a folder with ``data/``.
    Writers are unknown in this layout.
    """
    log = log if log is not None else ReadLog()
    files = parquet_files(path)
    samples = []
    for file in files:
        samples.extend(read_parquet_file(file, log))
    log.note("parquet rows carry no writer ids")
    require_samples(samples, path, log)
    return samples
