"""Write a dataset's samples as image files plus a ``labels.csv``: line crops out of pages.

The result is the package's generic CSV format (file_name, text, writer_id,
source), so other tools (or another machine) can use the lines without the
page images and their XML.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mltu_ext.data.images import resize_to_height
from mltu_ext.data.samples import Sample, sample_pixels
from mltu_ext.errors import ConfigError, ImageReadError, OutputWriteError
from mltu_ext.io.atomic import write_bytes, write_text

COLUMNS = ("file_name", "text", "writer_id", "source")


def encode_image(image: np.ndarray, suffix: str, jpeg_quality: int = 92) -> bytes:
    """uint8 (H, W) as PNG or JPEG bytes."""
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if suffix == ".jpg" else []
    ok, data = cv2.imencode(suffix, image, params)
    if not ok:
        raise ImageReadError(f"cannot encode a {image.shape} image as {suffix}")
    return data.tobytes()


def refuse_source_folder(samples: Sequence[Sample], out: Path) -> None:
    """ConfigError when an image file of ``samples`` lies in ``out`` (at any depth).

    The export overwrites ``images/NNNNNN`` while other samples are still to be read
    from such files, removes those no new label names, and replaces the folder's
    ``labels.csv``: the dataset it reads from would be lost.
    """
    target = out.resolve()
    checked: set[str] = set()  # each folder once: a page's lines share its image
    for sample in samples:
        folder = os.path.dirname(sample.path) if sample.path is not None else None
        if folder is None or folder in checked:
            continue
        checked.add(folder)
        if Path(folder).resolve().is_relative_to(target):
            raise ConfigError(
                f"{out}: holds the images being exported ({sample.path}); write the export to another folder"
            )


def export_samples(
    samples: Sequence[Sample],
    out_dir: str | os.PathLike,
    height: int | None = None,
    jpeg_quality: int | None = None,
    workers: int | None = None,
) -> Path:
    """Write ``out_dir/images/NNNNNN.png`` (or ``.jpg``) and ``out_dir/labels.csv``; its path.

    ``height`` scales every image to that height (keeping the aspect ratio);
    ``jpeg_quality`` writes JPEG instead of lossless PNG. Samples keep their
    order; an unreadable sample stops the export with its name. A folder that
    holds the samples' own image files is refused.
    """
    out = Path(out_dir)
    refuse_source_folder(samples, out)
    suffix = ".jpg" if jpeg_quality else ".png"
    try:
        (out / "images").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputWriteError(f"{out}: cannot create the folder ({error.strerror or error})") from error
    # an earlier export's table would pair its texts with the images this one overwrites
    # if this one stops half-way (an unreadable sample, Ctrl-C): it goes before the first image
    (out / "labels.csv").unlink(missing_ok=True)
    names = [f"images/{i:06d}{suffix}" for i in range(len(samples))]

    def write(index: int) -> None:
        image = sample_pixels(samples[index])
        if height:
            image = resize_to_height(image, height)
        write_bytes(out / names[index], encode_image(image, suffix, jpeg_quality or 92))

    # OpenCV releases the GIL while decoding, cropping and encoding
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        list(tqdm(pool.map(write, range(len(samples))), total=len(samples), desc="writing lines", unit="img"))
    table = io.StringIO(newline="")
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(COLUMNS)
    for name, sample in zip(names, samples, strict=True):
        writer.writerow((name, sample.text, sample.writer or "", sample.source or sample.name))
    write_text(out / "labels.csv", table.getvalue())
    # an earlier, larger export into this folder left images that no label names any more
    written = set(names)
    stale = [
        path
        for path in (out / "images").iterdir()
        if re.fullmatch(r"\d{6}\.(png|jpg)", path.name) and f"images/{path.name}" not in written
    ]
    for path in stale:
        path.unlink()
    if stale:
        print(f"note: removed {len(stale)} images of an earlier export from {out / 'images'}")
    return out / "labels.csv"
