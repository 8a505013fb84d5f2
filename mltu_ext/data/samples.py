"""The one record every dataset reader returns."""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from mltu_ext.errors import ImageReadError

# A line's outline in page pixels: (x, y) points.
Region = tuple[tuple[int, int], ...]
# Decoded pages kept for region samples. Readers list a page's lines together
# and the image cache decodes in that order with one thread per core, so the
# threads work on one or two pages at a time; a few more cover many cores.
PAGE_CACHE_SIZE = 8


@dataclass
class Sample:
    """One labelled image.

    Exactly one of ``path``, ``data`` or ``image`` gives the pixels:
    ``path`` is a file on disk, ``data`` holds encoded bytes (PNG/JPEG, as in
    parquet files) and ``image`` a decoded uint8 array (H, W), dark ink on
    white. ``source`` says where the label came from (``file:line``) so that
    errors can name it; ``writer`` is ``None`` when the dataset does not know.
    ``region``, when set, is a text line's outline in the page image at
    ``path``: the pixels are that line cut out of the page (decoded only when
    needed), and ``source`` (``alto/page.xml#line_id``) names the line.
    """

    text: str
    path: str | None = None
    writer: str | None = None
    source: str = ""
    data: bytes | None = None
    image: np.ndarray | None = None
    split: str | None = None
    region: Region | None = None

    @property
    def name(self) -> str:
        """A short name for messages: the file (the line, for a region), else the label's source."""
        if self.region is not None and self.source:
            return self.source  # many lines share one page file
        return self.path or self.source or "<in-memory image>"


def sample_pixels(sample: Sample) -> np.ndarray:
    """The sample's image as uint8 grayscale (H, W), whichever way it is stored.

    ImageReadError names the sample when it cannot be read or has no image.
    """
    from mltu_ext.data.images import decode_gray, read_gray, to_gray

    if sample.image is not None:
        return to_gray(np.asarray(sample.image))
    if sample.data is not None:
        return decode_gray(sample.data, sample.name)
    if sample.path is None:
        raise ImageReadError(f"{sample.source or sample.name}: sample has no path, data or image")
    if sample.region is not None:
        from mltu_ext.data.line_crop import crop_polygon

        try:
            return crop_polygon(_PAGES.get(sample.path), sample.region)
        except ImageReadError as error:
            raise ImageReadError(f"{sample.name}: {error}") from None
    return read_gray(sample.path)


def region_size(sample: Sample) -> tuple[int, int]:
    """(height, width) of a region sample's line crop, from its page's size: the page is decoded
    (once for all its lines, through the page cache) but the line is not cut out.

    ImageReadError names the sample when its page cannot be read or the line lies outside it.
    """
    from mltu_ext.data.line_crop import crop_size

    try:
        return crop_size(_PAGES.get(sample.path).shape, sample.region)
    except ImageReadError as error:
        raise ImageReadError(f"{sample.name}: {error}") from None


class _PageCache:
    """The last few decoded pages, shared by threads; each page is decoded once at a time.

    Threads asking for a page that another thread is decoding wait for it
    instead of decoding it again (``functools.lru_cache`` would let them all
    decode it).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._pages: OrderedDict[str, np.ndarray] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}

    def _cached(self, path: str) -> np.ndarray | None:
        with self._lock:
            page = self._pages.get(path)
            if page is not None:
                self._pages.move_to_end(path)
            return page

    def get(self, path: str) -> np.ndarray:
        """The page at ``path`` as uint8 grayscale, softened when it has two gray levels (as
        ``PageReader`` softens such a page before cutting its lines, so that a line is trained on
        with the pixels it is read with); ImageReadError when it cannot be read."""
        from mltu_ext.data.images import read_gray, soften_page

        page = self._cached(path)
        if page is not None:
            return page
        with self._lock:
            loading = self._loading.setdefault(path, threading.Lock())
        with loading:
            page = self._cached(path)
            if page is not None:
                return page
            try:
                page = soften_page(read_gray(path))
                page.flags.writeable = False  # shared: crops copy, nothing writes into it
                with self._lock:
                    self._pages[path] = page
                    while len(self._pages) > self._size:
                        self._pages.popitem(last=False)
            finally:
                with self._lock:
                    if self._loading.get(path) is loading:
                        del self._loading[path]
        return page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


_PAGES = _PageCache(PAGE_CACHE_SIZE)


def page_digest(sample: Sample) -> str:
    """A hash of a region sample's page file bytes: the same page image, under any name.

    Each page file is read and hashed once (memoised by path, size and
    modification time), however many lines it has. OSError when unreadable.
    """
    stat = os.stat(sample.path)
    return _file_digest(os.path.abspath(sample.path), stat.st_size, stat.st_mtime_ns)


def region_digest(sample: Sample) -> str:
    """A hash of a region sample's page file bytes and its outline: the same line of the same page.

    The page is hashed as :func:`page_digest` does. OSError when unreadable.
    """
    digest = hashlib.blake2b(page_digest(sample).encode(), digest_size=16)
    digest.update(repr(sample.region).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=4096)
def _file_digest(path: str, _size: int, _mtime_ns: int) -> str:
    """Hex digest of a file's bytes; size and time are in the key so that a changed file is read again."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
