"""The one record every dataset reader returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mltu_ext.errors import ImageReadError


@dataclass
class Sample:
    """One labelled image.

    Exactly one of ``path``, ``data`` or ``image`` gives the pixels:
    ``path`` is a file on disk, ``data`` holds encoded bytes (PNG/JPEG, as in
    parquet files) and ``image`` a decoded uint8 array (H, W), dark ink on
    white. ``source`` says where the label came from (``file:line``) so that
    errors can name it; ``writer`` is ``None`` when the dataset does not know.
    """

    text: str
    path: str | None = None
    writer: str | None = None
    source: str = ""
    data: bytes | None = None
    image: np.ndarray | None = None
    split: str | None = None

    @property
    def name(self) -> str:
        """A short name for messages: the file, else the label's source."""
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
    return read_gray(sample.path)
