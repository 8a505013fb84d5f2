"""Decode and resize every image once into a compact uint8 array.

Training then shuffles and batches from memory (tf.data or plain numpy),
instead of decoding and resizing each file in Python every epoch.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mltu_ext.data.images import PAD_VALUE, prepare
from mltu_ext.data.samples import Sample, sample_pixels
from mltu_ext.data.vocabulary import LABEL_PAD, Vocabulary, label_problem
from mltu_ext.errors import DatasetError, ImageReadError, LabelError
from mltu_ext.io.atomic import replacing

# how the pixels are made (``sample_pixels``, ``prepare``), part of a cache file's name: a cache
# written by an earlier version (two-level images or pages not softened) would otherwise be reused,
# and a model trained on it would see other pixels than the reader gives it. Change it with them.
PIXELS_VERSION = "soften-near-two-level-lines-and-pages"
# More than SQUEEZE_SHARE of the images squeezed to less than 1 / SQUEEZE_WARN of their width
# (at the model's height) to fit max_width: a recipe whose max_width is too small for its data
SQUEEZE_WARN = 1.5
SQUEEZE_SHARE = 0.05


@dataclass
class ImageCache:
    """Images (N, H, W) uint8 padded with white, labels (N, L) int32 padded with -1."""

    images: np.ndarray
    labels: np.ndarray
    texts: list[str]
    names: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def nbytes(self) -> int:
        """Bytes held by the images and the labels."""
        return int(self.images.nbytes + self.labels.nbytes)

    def min_widths(self, time_scale: int, margin: int = 8) -> np.ndarray:
        """(N,) int: the narrowest width each row can be cropped to without losing anything.

        That is the ink (every column up to the last one that is not all
        padding) plus ``margin`` columns, and at least the columns that the
        label's CTC steps need (``time_scale`` columns per step), capped at
        the cache's width.
        """
        width = self.images.shape[2]
        return np.minimum(
            np.maximum(ink_widths(self.images) + margin, label_steps(self.labels) * time_scale), width
        )


def ink_widths(images: np.ndarray) -> np.ndarray:
    """(N, H, W) uint8 -> (N,) columns up to and including the last one that is not all padding."""
    used = (images != PAD_VALUE).any(axis=1)  # N,W
    last = used.shape[1] - np.argmax(used[:, ::-1], axis=1)  # 1 + index of the last used column
    return np.where(used.any(axis=1), last, 0)


def label_steps(labels: np.ndarray) -> np.ndarray:
    """(N, L) int32 padded with -1 -> (N,) CTC steps each label needs (a doubled letter costs two)."""
    real = labels != LABEL_PAD
    repeats = (labels[:, 1:] == labels[:, :-1]) & real[:, 1:]
    return real.sum(axis=1) + repeats.sum(axis=1)


def encode_labels(samples: Sequence[Sample], vocabulary: Vocabulary, time_steps: int) -> np.ndarray:
    """Labels as (N, L) int32 padded with -1; every problem is reported at once.

    Raises LabelError listing each empty label, unknown character and label
    that needs more CTC steps than ``time_steps`` (a doubled letter costs two).
    """
    problems: list[str] = []
    encoded: list[list[int]] = []
    for sample in samples:
        problem = label_problem(sample.text, vocabulary.chars, time_steps)
        if problem:
            problems.append(f"{sample.path or sample.source or '<sample>'}: {problem}")
            continue
        encoded.append(vocabulary.encode(sample.text))
    if problems:
        raise LabelError(_summarise(problems, "label problem"))
    length = max((len(ids) for ids in encoded), default=1)
    labels = np.full((len(encoded), length), LABEL_PAD, dtype=np.int32)
    for row, ids in zip(labels, encoded, strict=True):
        row[: len(ids)] = ids
    return labels


def build_cache(
    samples: Sequence[Sample],
    vocabulary: Vocabulary,
    height: int,
    width: int,
    time_steps: int,
    workers: int | None = None,
    cache_dir: str | Path | None = None,
    desc: str = "decoding images",
) -> ImageCache:
    """Check labels, then decode and resize all images (in parallel) into one array.

    Images keep their aspect ratio at ``height`` and are padded on the right
    with white to ``width``; wider ones are squeezed to ``width``. With
    ``cache_dir``, the arrays are stored there and reused when the same
    samples and sizes come again.
    """
    if not samples:
        raise DatasetError(f"{desc}: no samples")
    labels = encode_labels(samples, vocabulary, time_steps)
    texts = [s.text for s in samples]
    names = [s.name for s in samples]
    cache_file = _cache_file(cache_dir, samples, height, width) if cache_dir else None
    if cache_file is not None and cache_file.is_file():
        stored = _read_cache(cache_file, (len(samples), height, width))
        if stored is not None:
            return ImageCache(stored, labels, texts, names)
    try:
        images = np.empty((len(samples), height, width), dtype=np.uint8)
    except MemoryError:
        raise DatasetError(
            f"{desc}: {len(samples)} images of {height} x {width} need "
            f"{len(samples) * height * width / 1e9:.1f} GB of memory, more than this machine gives; "
            "use fewer samples or a smaller max_width"
        ) from None
    failures: list[str] = []
    natural = np.zeros(len(samples), np.float64)  # each image's width at ``height``, unsqueezed

    def load(index: int) -> None:
        try:
            pixels = sample_pixels(samples[index])
            natural[index] = pixels.shape[1] * height / max(pixels.shape[0], 1)
            images[index] = prepare(pixels, height, width)
        except ImageReadError as error:
            failures.append(str(error))

    # OpenCV releases the GIL while decoding and resizing, so threads scale
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        list(tqdm(pool.map(load, range(len(samples))), total=len(samples), desc=desc, unit="img"))
    if failures:
        raise ImageReadError(_summarise(sorted(failures), "unreadable image"))
    _warn_of_squeezing(natural, width, desc)
    if cache_file is not None:
        try:
            # a temporary name per writer (training processes may write at once), then renamed
            with replacing(cache_file, suffix=".tmp.npz") as tmp:
                np.savez(tmp, images=images)
        except OSError as error:  # the cache only saves time: training goes on without it
            print(f"note: {cache_file}: cannot write the image cache ({error.strerror or error}); not cached")
    return ImageCache(images, labels, texts, names)


def _warn_of_squeezing(natural: np.ndarray, width: int, desc: str) -> None:
    """A warning when many images are squeezed hard into ``width``: their letters lose shape."""
    squeezed = natural > width * SQUEEZE_WARN
    if squeezed.mean() > SQUEEZE_SHARE:
        print(
            f"warning: {desc}: {int(squeezed.sum())} of {len(natural)} images are squeezed to less than "
            f"1/{SQUEEZE_WARN} of their width to fit max_width {width} (the widest is "
            f"{int(natural.max())} columns at this height); raise max_width",
            file=sys.stderr,
        )


def _read_cache(path: Path, shape: tuple[int, int, int]) -> np.ndarray | None:
    """The cached images, or None (with a note) when the file is damaged: it is decoded again."""
    try:
        # opened here, so that a file np.load cannot parse is closed all the same
        with open(path, "rb") as handle, np.load(handle) as stored:
            images = stored["images"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        print(f"note: {path}: damaged image cache ({error}); decoding the images again")
        return None
    if images.shape != shape or images.dtype != np.uint8:
        print(f"note: {path}: image cache holds {images.shape}, expected {shape}; decoding again")
        return None
    return images


def _cache_file(cache_dir: str | Path, samples: Sequence[Sample], height: int, width: int) -> Path:
    digest = hashlib.sha1()
    digest.update(json.dumps([height, width, PIXELS_VERSION]).encode())
    for sample in samples:
        digest.update(f"{sample.name}\t{sample.text}\n".encode())
        if sample.region is not None:  # a page segmented anew keeps its line ids, not its outlines
            digest.update(repr(sample.region).encode())
        if sample.path and os.path.isfile(sample.path):
            digest.update(str(os.path.getmtime(sample.path)).encode())
    return Path(cache_dir) / f"images-{digest.hexdigest()[:16]}.npz"


def _summarise(problems: list[str], what: str) -> str:
    shown = "; ".join(problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    plural = "s" if len(problems) != 1 else ""
    return f"{len(problems)} {what}{plural}: {shown}{more}"
