"""The ink check: empty paper has no writing, a drawn word has."""

from __future__ import annotations

import cv2
import numpy as np

from mltu_ext.inference.ink import has_writing, ink_share
from tests.conftest import draw_word


def test_blank_noisy_and_ruled_paper_hold_no_writing():
    rng = np.random.default_rng(3)
    blank = np.full((64, 256), 235, np.uint8)
    noise = np.clip(rng.normal(220, 30, (64, 256)), 0, 255).astype(np.uint8)
    ruled = np.full((64, 256), 245, np.uint8)
    for y in range(8, 64, 16):
        cv2.line(ruled, (0, y), (255, y), 90, 2)
    cv2.line(ruled, (20, 0), (20, 63), 150, 1)  # a margin
    for image in (blank, noise, ruled):
        assert not has_writing(image), ink_share(image)


def test_a_word_is_writing_also_on_ruled_paper_and_in_faint_ink():
    word = draw_word("hello", height=64, thickness=2)
    assert has_writing(word)
    faint = (255 - (255 - word.astype(np.int32)) * 0.35).astype(np.uint8)  # 90 levels dark at most
    assert has_writing(faint)
    ruled = word.copy()
    for y in range(8, 64, 16):
        cv2.line(ruled, (0, y), (word.shape[1] - 1, y), 90, 1)
    assert has_writing(ruled)
    assert ink_share(np.zeros((0, 0), np.uint8)) == 0.0
