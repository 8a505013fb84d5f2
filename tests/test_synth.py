"""The handwriting renderer, the rendered dataset and its command."""

from __future__ import annotations

import csv
import os

import cv2
import numpy as np
import pytest

from mltu_ext.synth import render_text
from mltu_ext.synth.dataset import build_synthetic_dataset
from mltu_ext.synth.fonts import HERSHEY, find_fonts
from mltu_ext.synth.render import pick_font, render_line
from mltu_ext.synth.words import CHARSET, MAX_LENGTH, load_words, make_label


def test_fonts_are_found_and_draw_the_charset():
    fonts = find_fonts()
    if not fonts:
        pytest.skip("no handwriting fonts installed (scripts/install.sh installs them)")
    assert list(fonts) == sorted(fonts)
    assert all(f.lower().endswith((".ttf", ".otf")) for f in fonts)


def test_hershey_fallback_when_no_fonts():
    rng = np.random.default_rng(0)
    assert pick_font(rng, fonts=()) == HERSHEY
    image = render_text("hello", rng, font=HERSHEY)
    assert image.ndim == 2 and image.shape[0] == 64
    assert (image < 128).any()


@pytest.mark.parametrize("font", [None, HERSHEY])
def test_render_is_dark_ink_on_white(font):
    image = render_text("handwriting", np.random.default_rng(3), font=font, height=48)
    assert image.dtype == np.uint8 and image.ndim == 2 and image.shape[0] == 48
    assert np.median(image) > 180  # mostly paper
    assert image.min() < 120  # some ink


def test_longer_text_is_wider():
    widths = [render_text("a" * n, np.random.default_rng(1), font=HERSHEY).shape[1] for n in (2, 8)]
    assert widths[1] > 2 * widths[0]


def test_same_seed_same_pixels_different_seed_differs():
    a = render_text("seeded", np.random.default_rng(5))
    b = render_text("seeded", np.random.default_rng(5))
    c = render_text("seeded", np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_labels_use_the_charset():
    rng = np.random.default_rng(2)
    words = load_words()
    labels = [make_label(rng, words) for _ in range(300)]
    assert all(1 <= len(t) <= MAX_LENGTH and set(t) <= set(CHARSET) for t in labels)
    assert any(t[0].isupper() for t in labels) and any(t.isdigit() for t in labels)


def test_line_has_word_gaps():
    image = render_line("two words", np.random.default_rng(0), font=HERSHEY)
    blank_columns = (image.min(axis=0) > 200).sum()
    assert blank_columns >= 64 // 3


def _rows(folder):
    with (folder / "labels.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_dataset_is_complete_reproducible_and_reused(tmp_path):
    one = build_synthetic_dataset(tmp_path / "a", 40, seed=4, val_fraction=0.25, workers=1)
    rows = _rows(one)
    assert list(rows[0]) == ["file_name", "text", "writer_id", "split"]
    assert len(rows) == 40 and {r["split"] for r in rows} == {"train", "val"}
    for row in rows:
        image = cv2.imread(str(one / row["file_name"]), cv2.IMREAD_GRAYSCALE)
        assert image is not None and image.shape[0] == 64
    # a second build with the same arguments renders nothing again
    stamp = os.path.getmtime(one / rows[0]["file_name"])
    build_synthetic_dataset(tmp_path / "a", 40, seed=4, val_fraction=0.25, workers=1)
    assert os.path.getmtime(one / rows[0]["file_name"]) == stamp
    # the worker count does not change labels or pixels
    two = build_synthetic_dataset(tmp_path / "b", 40, seed=4, val_fraction=0.25, workers=2)
    assert _rows(two) == rows
    for row in rows[:5]:
        a = cv2.imread(str(one / row["file_name"]), cv2.IMREAD_GRAYSCALE)
        b = cv2.imread(str(two / row["file_name"]), cv2.IMREAD_GRAYSCALE)
        np.testing.assert_array_equal(a, b)


def test_dataset_loads_as_generic_csv_with_its_split(tmp_path):
    from mltu_ext.data import load_dataset, split_samples

    folder = build_synthetic_dataset(tmp_path / "s", 30, seed=1, val_fraction=0.3, workers=1)
    dataset = load_dataset(str(folder / "labels.csv"))
    parts = split_samples(dataset.samples)
    assert len(parts.train) + len(parts.val) == 30
    assert {s.split for s in parts.val} == {"val"}


def test_command_writes_a_png(tmp_path):
    from mltu_ext.synth.__main__ import main

    out = tmp_path / "word.png"
    assert main(["hello world", "-o", str(out), "--seed", "2", "--font", "hershey"]) == 0
    image = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)
    assert image is not None and image.shape[0] == 64
    assert main(["x", "-o", str(tmp_path / "bad.unknownext")]) == 2


def test_dataset_from_given_texts_with_umlauts(tmp_path):
    texts = ["Große Straße", "Müllerweg", "Am Ölberg"]
    folder = build_synthetic_dataset(tmp_path / "de", 12, seed=0, workers=1, texts=texts)
    rows = _rows(folder)
    assert {r["text"] for r in rows} <= set(texts)
    assert all(cv2.imread(str(folder / r["file_name"])) is not None for r in rows)
