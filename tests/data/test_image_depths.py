"""Images of any depth and orientation read as the page a viewer shows, not black or sideways."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from mltu_ext.data.images import decode_gray, exif_orientation, to_gray, upright
from mltu_ext.errors import ImageReadError


def _pattern() -> np.ndarray:
    """A gray image (60, 90) whose four quarters differ, so any turn or flip shows."""
    image = np.full((60, 90), 255, np.uint8)
    image[:30, :45], image[30:, 45:], image[:30, 45:] = 0, 100, 180
    return image


@pytest.mark.parametrize("orientation", range(1, 9))
def test_an_exif_orientation_turns_the_pixels_as_pillow_does(orientation):
    from PIL import ImageOps

    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(_pattern()).save(buffer, "JPEG", quality=100, exif=exif)
    data = buffer.getvalue()

    assert exif_orientation(data) == orientation
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L"), np.float32)
    got = decode_gray(data)
    assert got.shape == expected.shape
    assert np.abs(got.astype(np.float32) - expected).mean() < 3  # two JPEG decoders, the same turn


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_tiff_with_an_orientation_tag_is_turned_once(tmp_path, orientation):
    # some OpenCV versions turn a TIFF by its tag while decoding, others do not: either way the
    # page must come out as a viewer shows it, and its size from the header must say the same
    from mltu_ext.data.images import read_gray, upright_size

    path = tmp_path / "scan.tif"
    Image.fromarray(_pattern()).save(path, tiffinfo={0x0112: orientation})
    expected = upright(_pattern(), orientation)
    got = read_gray(str(path))
    assert got.shape == expected.shape and np.array_equal(got, expected)
    assert upright_size(path) == (expected.shape[1], expected.shape[0])


def test_a_png_is_not_asked_for_exif():
    ok, png = cv2.imencode(".png", _pattern())
    assert ok and exif_orientation(png.tobytes()) == 1
    assert upright(_pattern(), 1) is not None and np.array_equal(decode_gray(png.tobytes()), _pattern())


def test_depths_read_as_the_same_gray_image():
    gray = _pattern()
    for image in (
        gray.astype(np.float32) / 255,  # floats 0..1
        gray.astype(np.float32),  # floats 0..255
        gray.astype(np.uint16) * 16,  # 12-bit data in 16 bits
        gray.astype(np.uint16) * 257,  # full 16 bits
        gray.astype(np.uint16),  # 8-bit values in 16 bits
        gray.astype(np.int32),
    ):
        assert np.abs(to_gray(image).astype(int) - gray).max() <= 1, image.dtype
    assert np.array_equal(to_gray(gray < 128), np.where(gray < 128, 255, 0))


def test_what_is_no_image_is_refused():
    with pytest.raises(ImageReadError, match="unsupported image type"):
        to_gray(np.array([["a", "b"]]))
