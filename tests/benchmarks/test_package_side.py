"""benchmarks/copiste_lines/package_side.py: the lines as the training copies store them."""

import numpy as np

from tests.benchmarks.scripts import load_script


def test_stored_copy_is_resized_gray_and_lossy_by_quality():
    package_side = load_script("copiste_lines/package_side.py")
    rng = np.random.default_rng(0)
    image = np.full((128, 300, 3), 230, np.uint8)
    image[40:90, 20:280] = rng.integers(0, 120, (50, 260, 3), dtype=np.uint8)  # noisy ink
    low = package_side._stored_copy(image, 64, 30)
    high = package_side._stored_copy(image, 64, 95)
    assert low.shape == high.shape == (64, 150) and low.dtype == np.uint8
    best = package_side._stored_copy(image, 64, 100).astype(float)
    # a lower quality moves the pixels further from the best copy
    assert np.abs(low - best).mean() > np.abs(high - best).mean() > 0


def test_lines_are_read_as_cut_unless_a_quality_is_given():
    package_side = load_script("copiste_lines/package_side.py")
    assert package_side.get_args(["test", "--out", "x"]).jpeg_quality is None
    assert package_side.get_args(["test", "--out", "x", "--jpeg-quality", "50"]).jpeg_quality == 50
