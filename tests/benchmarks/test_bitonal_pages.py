"""benchmarks/page_segmentation/bitonal_pages.py: a bitonal page stored as JPEG."""

import numpy as np

from mltu_ext.data.images import is_two_level
from tests.benchmarks.scripts import load_script


def test_bitonal_page_through_jpeg_keeps_its_size_but_not_its_two_levels():
    bitonal_pages = load_script("page_segmentation/bitonal_pages.py")
    page = np.full((120, 200), 255, np.uint8)
    page[40:60, 20:180] = 0  # a stroke: its edges ring once compressed
    assert is_two_level(page)
    stored = bitonal_pages.jpeg(page)
    assert stored.shape == page.shape and stored.dtype == np.uint8
    # so PageReader's softening, which only touches two-level pages, leaves it as it is
    assert not is_two_level(stored)
