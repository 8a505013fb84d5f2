"""Two-level (bitonal) images are softened after resizing, in training and in reading alike."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.data.images import (
    is_near_two_level,
    is_two_level,
    pad_right,
    prepare,
    resize_to_height,
    snap_near_two_level,
    soften_edges,
    soften_page,
)

ROOT = Path(__file__).resolve().parents[2]


def test_soften_edges_worked_by_hand():
    # one black pixel on white: weight 4 at the centre, 2 beside it, 1 on the diagonals (of 16)
    image = np.full((3, 3), 255, np.uint8)
    image[1, 1] = 0
    # centre (255 * 12 + 8) >> 4 = 191, beside (255 * 14 + 8) >> 4 = 223, corner (255 * 15 + 8) >> 4 = 239
    assert soften_edges(image).tolist() == [[239, 223, 239], [223, 191, 223], [239, 223, 239]]


def test_soften_edges_repeats_the_border():
    # a flat image stays flat: the border pixels are repeated, not taken as paper or ink
    assert soften_edges(np.full((2, 5), 37, np.uint8)).tolist() == [[37] * 5] * 2
    assert soften_edges(np.array([[0, 255]], np.uint8)).tolist() == [[64, 191]]


@pytest.mark.parametrize(
    "pixels, expected",
    [
        ([[0, 255], [255, 0]], True),
        ([[12, 200, 200]], True),  # any two levels, not only black and white
        ([[255, 255]], False),  # blank: one level
        ([[0, 128, 255]], False),
        (np.zeros((0, 4)), False),
    ],
)
def test_is_two_level(pixels, expected):
    assert is_two_level(np.asarray(pixels, np.uint8)) is expected


def word(height: int) -> np.ndarray:
    image = np.full((height, 3 * height), 250, np.uint8)
    cv2.putText(image, "Weg", (height // 8, int(height * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, height / 40, 20, 3)
    return image


@pytest.mark.parametrize("height", [32, 64, 150])  # enlarged, as it is, shrunk
def test_resize_softens_two_level_images_only(height):
    gray = word(height)
    bitonal = np.where(gray < 135, 0, 255).astype(np.uint8)
    assert not is_two_level(gray) and is_two_level(bitonal)
    plain = resize_to_height(bitonal, 64, soften=False)
    np.testing.assert_array_equal(resize_to_height(bitonal, 64), soften_edges(plain))
    assert not np.array_equal(resize_to_height(bitonal, 64), plain)
    np.testing.assert_array_equal(resize_to_height(gray, 64), resize_to_height(gray, 64, soften=False))


def test_training_and_reading_prepare_the_same_pixels():
    """The training cache (``prepare``) and ``OnnxRecognizer`` give a bitonal word the same pixels."""
    from mltu_ext.inference.recognizer import OnnxRecognizer

    recognizer = OnnxRecognizer(ROOT / "Models" / "dhsd_words", providers=["CPUExecutionProvider"])
    bitonal = np.where(word(100) < 135, 0, 255).astype(np.uint8)
    read = recognizer.prepare_batch([bitonal])[0, :, :, 0]  # H, W float32
    cached = prepare(bitonal, recognizer.height, read.shape[1])  # H, W uint8, padded alike
    np.testing.assert_array_equal(read, cached.astype(np.float32))
    unsoftened = OnnxRecognizer(
        ROOT / "Models" / "dhsd_words", providers=["CPUExecutionProvider"], soften_two_level=False
    ).prepare_batch([bitonal])[0, :, :, 0]
    plain = resize_to_height(bitonal, recognizer.height, soften=False)
    np.testing.assert_array_equal(unsoftened[:, : plain.shape[1]], plain)
    assert not np.array_equal(unsoftened, read)


def test_an_image_cache_written_before_softening_is_not_reused(tmp_path):
    """A cache file from before two-level images were softened holds them hard: it is decoded anew."""
    import hashlib
    import json

    from mltu_ext.data.image_cache import build_cache
    from mltu_ext.data.samples import Sample
    from mltu_ext.data.vocabulary import Vocabulary

    bitonal = np.where(word(100) < 135, 0, 255).astype(np.uint8)
    samples = [Sample("Weg", source="mem:1", image=bitonal)]
    # the file name such a cache was stored under: the sizes, then each sample's name and text
    digest = hashlib.sha1(json.dumps([32, 128]).encode() + f"{samples[0].name}\tWeg\n".encode())
    hard = pad_right(resize_to_height(bitonal, 32, 128, soften=False), 128)
    np.savez(tmp_path / f"images-{digest.hexdigest()[:16]}.npz", images=hard[None])
    cache = build_cache(samples, Vocabulary("Weg"), 32, 128, 16, cache_dir=tmp_path)
    np.testing.assert_array_equal(cache.images[0], prepare(bitonal, 32, 128))


def reference_soften(image: np.ndarray) -> np.ndarray:
    """The filter as docs/onnx_model.md states it, term by term."""
    padded = np.pad(image.astype(np.int32), 1, mode="edge")
    h, w = image.shape
    weights = {(-1, -1): 1, (-1, 0): 2, (-1, 1): 1, (0, -1): 2, (0, 0): 4, (0, 1): 2, (1, -1): 1, (1, 0): 2}
    weights[1, 1] = 1
    total = sum(k * padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for (dy, dx), k in weights.items())
    return ((total + 8) >> 4).astype(np.uint8)


def test_soften_edges_matches_the_contract_on_every_small_shape():
    rng = np.random.default_rng(0)
    for h, w in [(1, 1), (1, 2), (2, 1), (1, 40), (40, 1), (2, 2), (3, 7), (64, 301)]:
        for image in (
            rng.integers(0, 256, (h, w), dtype=np.uint8),
            np.where(rng.random((h, w)) < 0.4, 0, 255),
        ):
            image = image.astype(np.uint8)
            np.testing.assert_array_equal(soften_edges(image), reference_soften(image), err_msg=f"{h}x{w}")
            # a view, as a crop of a page is
            np.testing.assert_array_equal(soften_edges(image[:, ::2]), reference_soften(image[:, ::2]))


def test_softening_a_large_page_takes_little_memory():
    """A 64-megapixel page may be read: the filter's working memory stays a few bytes a pixel."""
    import tracemalloc

    page = np.full((2000, 3000), 255, np.uint8)
    page[::7, ::5] = 0
    tracemalloc.start()
    try:
        soften_edges(page)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 4 * page.size, f"{peak / page.size:.1f} bytes a pixel"


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


@pytest.mark.parametrize("quality", [75, 95])
def test_a_bitonal_image_saved_as_jpeg_reads_as_the_bitonal_image(quality):
    bitonal = np.where(word(150) < 135, 0, 255).astype(np.uint8)
    saved = jpeg(bitonal, quality)
    # JPEG's ringing puts levels between black and white: no longer two-level, so it was read
    # with hard edges, as if it were grayscale
    assert not is_two_level(saved) and is_near_two_level(saved)
    np.testing.assert_array_equal(snap_near_two_level(saved), bitonal)
    np.testing.assert_array_equal(resize_to_height(saved, 64), resize_to_height(bitonal, 64))
    np.testing.assert_array_equal(soften_page(saved), soften_page(bitonal))


def test_grayscale_images_are_not_taken_for_bitonal_ones():
    for height in (32, 64, 150):  # antialiased strokes: many levels between ink and paper
        gray = word(height)
        assert not is_near_two_level(gray)
        assert snap_near_two_level(gray) is gray
    assert not is_near_two_level(np.full((4, 4), 255, np.uint8))  # blank: no ink at all
    assert not is_near_two_level(np.zeros((0, 3), np.uint8))
    # ink that is mostly mid-gray (a pencil) on white, with a few black pixels
    pencil = np.full((10, 10), 250, np.uint8)
    pencil[2:8, 4:6] = 120
    pencil[5, 5] = 10
    assert not is_near_two_level(pencil)


def test_near_two_level_counts_worked_by_hand():
    # dark: 0 and 47 (below 48); light: 208 and 255 (from 256 - 48); between: 48 and 207
    image = np.array([[0, 47] * 19 + [48, 207] + [208, 255] * 10], np.uint8)
    # 38 dark, 2 between: 2 <= 0.05 * 40
    assert is_near_two_level(image)
    image[0, 0] = 100  # 37 dark, 3 between: 3 > 0.05 * 40
    assert not is_near_two_level(image)


def test_the_two_level_tests_take_8_bit_images_and_say_so_for_others():
    # a bitonal word at 16 bits (0 and 65535) and as fractions of white (0.0 and 1.0): before, the
    # 16-bit one was softened with int16 sums that overflow and the float one came back as 0s and 1s
    # (near black), and a float image of many levels stopped with numpy's "Cannot cast" TypeError
    bitonal = np.where(word(64) < 135, 0, 255).astype(np.uint8)
    for image in (bitonal.astype(np.uint16) * 257, bitonal / 255.0, word(64) / 255.0):
        for step in (
            lambda im: resize_to_height(im, 32),
            soften_page,
            snap_near_two_level,
            is_near_two_level,
        ):
            with pytest.raises(TypeError, match=rf"8-bit gray images \(uint8\), got {image.dtype}: convert"):
                step(image)
        plain = resize_to_height(image, 32, soften=False)  # resizing alone takes any depth, as before
        assert plain.dtype == image.dtype and plain.shape == (32, 96)
