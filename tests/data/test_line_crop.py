"""Cutting text lines out of a page by their outline, and region samples."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from mltu_ext.data import samples as samples_module
from mltu_ext.data.check import inspect_image
from mltu_ext.data.line_crop import crop_polygon, crop_size, paper_value
from mltu_ext.data.samples import Sample, sample_pixels
from mltu_ext.data.split import sample_key
from mltu_ext.errors import ImageReadError


def test_triangle_keeps_ink_inside_and_paper_outside():
    page = np.zeros((6, 8), np.uint8)  # all "ink"
    crop = crop_polygon(page, [(2, 1), (6, 1), (6, 4)], background=255)
    # the bounding box x 2..6, y 1..4 (both ends included); below the diagonal is outside
    expected = np.array(
        [
            [0, 0, 0, 0, 0],
            [255, 0, 0, 0, 0],
            [255, 255, 255, 0, 0],
            [255, 255, 255, 255, 0],
        ],
        np.uint8,
    )
    np.testing.assert_array_equal(crop, expected)


def test_background_is_the_paper_near_the_line_not_white():
    page = np.full((20, 30), 200, np.uint8)  # gray paper
    page[5:15, 5:25] = 10  # ink covering most of the box
    page[0:3, :] = 20  # a line above, outside the polygon but inside its box
    square = [(4, 0), (26, 0), (26, 16), (4, 16)]
    triangle = [(4, 0), (26, 16), (4, 16)]
    assert paper_value(crop_polygon(page, square)) == 200  # ink does not pull it darker
    crop = crop_polygon(page, triangle)
    assert crop.shape == (17, 23)
    assert crop[0, 22] == 200  # top-right corner: outside, filled with the paper gray
    assert crop[1:3, 15:].max() == 200  # the line above, outside the polygon, is gone
    assert crop[10, 5] == 10  # ink inside stays


def test_polygon_past_the_edge_is_clipped_and_one_outside_stops():
    page = np.full((10, 10), 255, np.uint8)
    page[:, 8:] = 0
    crop = crop_polygon(page, [(5, -4), (14, -4), (14, 6), (5, 6)])
    assert crop.shape == (7, 5)  # rows 0..6, columns 5..9
    assert crop[:, 3:].max() == 0 and crop[:, :3].min() == 255
    with pytest.raises(ImageReadError, match="outside the 10x10 page"):
        crop_polygon(page, [(20, 20), (30, 20), (30, 30)])
    with pytest.raises(ValueError, match="at least 3"):
        crop_polygon(page, [(1, 1), (5, 5)])


def test_crop_size_is_the_size_of_the_crop_without_cutting_it():
    # the check reports a line's size from crop_size; training reads the crop itself
    page = np.full((50, 70), 255, np.uint8)
    rng = np.random.default_rng(3)
    for _ in range(200):
        points = rng.uniform(-20, 90, size=(int(rng.integers(3, 9)), 2))
        try:
            expected = crop_polygon(page, points).shape
        except ImageReadError:
            with pytest.raises(ImageReadError, match="outside the 70x50 page"):
                crop_size(page.shape, points)
            continue
        assert crop_size(page.shape, points) == expected
    with pytest.raises(ValueError, match="at least 3"):
        crop_size(page.shape, [(1, 1), (5, 5)])


def test_a_line_outside_its_page_is_named_by_the_check(tmp_path):
    write_page(tmp_path / "page.png")
    outside = Sample(
        "x", path=str(tmp_path / "page.png"), source="a.xml#l3", region=((200, 0), (210, 0), (210, 9))
    )
    assert inspect_image(outside).error.startswith(
        "line outline (200,0)-(210,9) lies outside the 120x60 page"
    )


def write_page(path) -> np.ndarray:
    page = np.full((60, 120), 255, np.uint8)
    cv2.putText(page, "ab", (5, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    cv2.putText(page, "cd", (5, 55), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    assert cv2.imwrite(str(path), page)
    return page


def test_region_samples_crop_the_page_and_key_by_line(tmp_path):
    page = write_page(tmp_path / "page.png")
    top = Sample(
        "ab",
        path=str(tmp_path / "page.png"),
        source="page.xml#l1",
        region=((0, 0), (59, 0), (59, 29), (0, 29)),
    )
    bottom = Sample("cd", path=top.path, source="page.xml#l2", region=((0, 30), (59, 30), (59, 59), (0, 59)))
    assert top.name == "page.xml#l1"  # the line, not the shared page file
    crop = sample_pixels(top)
    assert crop.shape == (30, 60)
    np.testing.assert_array_equal(crop, page[0:30, 0:60])
    assert sample_key(top) != sample_key(bottom)
    assert sample_key(top) == sample_key(Sample("ab", path=top.path, region=top.region))
    info = inspect_image(bottom)
    assert (info.height, info.width, info.error) == (30, 60, "")
    assert info.digest != inspect_image(top).digest


def test_threads_decode_a_page_once(tmp_path, monkeypatch):
    write_page(tmp_path / "page.png")
    from mltu_ext.data import images

    calls = []
    lock = threading.Lock()
    real = images.read_gray

    def counting(path, *args):
        with lock:
            calls.append(path)
        return real(path, *args)

    monkeypatch.setattr(images, "read_gray", counting)
    monkeypatch.setattr(samples_module, "_PAGES", samples_module._PageCache(2))
    lines = [
        Sample("x", path=str(tmp_path / "page.png"), region=((i, 0), (i + 20, 0), (i + 20, 20)))
        for i in range(40)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        crops = list(pool.map(sample_pixels, lines))
    assert len(calls) == 1
    assert all(c.shape == (21, 21) for c in crops)


def test_missing_page_names_the_line(tmp_path):
    sample = Sample("x", path=str(tmp_path / "gone.png"), source="a.xml#l7", region=((0, 0), (5, 0), (5, 5)))
    with pytest.raises(ImageReadError, match=r"a\.xml#l7.*gone\.png"):
        sample_pixels(sample)
    assert "gone.png" in inspect_image(sample).error
    # a page that cannot be read keys its lines by the page's path (and the outline)
    assert sample_key(sample).startswith(f"region-path:{tmp_path / 'gone.png'}#")
