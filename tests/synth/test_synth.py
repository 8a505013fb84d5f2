"""The handwriting renderer, the rendered dataset and its command."""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.synth import render_text
from mltu_ext.synth.dataset import build_synthetic_dataset, held_out
from mltu_ext.synth.fonts import (
    HERSHEY,
    HERSHEY_FONTS,
    find_fonts,
    font_name,
    missing_glyphs,
    scan_fonts,
    warn_hershey_fallback,
)
from mltu_ext.synth.render import pick_font, render_line
from mltu_ext.synth.words import CHARSET, MAX_LENGTH, load_words, make_label

DEBIAN_FONTS = Path("/usr/share/fonts/opentype/dancingscript")
needs_fonts = pytest.mark.skipif(
    not DEBIAN_FONTS.is_dir(), reason="Debian handwriting fonts not installed (scripts/install.sh)"
)


@needs_fonts
def test_fonts_are_found_sorted_and_once():
    fonts, skipped = scan_fonts()
    names = [font_name(f) for f in fonts]
    assert names == sorted(names, key=str.lower)
    assert {"DancingScript-Regular", "Kristi", "dkg", "Delphine", "SteveHand"} <= set(names)
    # Breip ships the same font under two file names: kept once, the other reported
    assert sum(n.lower().startswith("breip") for n in names) == 1
    assert any("same font" in why for _, why in skipped)
    assert all(missing_glyphs(f, CHARSET) == "" for f in fonts[:3])


@needs_fonts
def test_missing_glyphs_are_detected():
    font = find_fonts()[0]
    assert missing_glyphs(font, "a\u4e2d\u0e01") == "\u4e2d\u0e01"  # CJK and Thai: not drawn


def test_hershey_fallback_when_no_fonts(tmp_path, caplog):
    assert find_fonts(dirs=(str(tmp_path),)) == ()
    warn_hershey_fallback.cache_clear()
    rng = np.random.default_rng(0)
    with caplog.at_level(logging.WARNING, logger="mltu_ext.synth.fonts"):
        chosen = {pick_font(rng, fonts=()) for _ in range(20)}
    assert chosen == set(HERSHEY_FONTS)
    assert sum("Hershey" in r.getMessage() for r in caplog.records) == 1  # said once
    image = render_text("hello", rng, font=HERSHEY)
    assert image.dtype == np.uint8 and image.shape[0] == 64
    assert (image < 128).any()


@pytest.mark.parametrize("font", [None, HERSHEY])
def test_render_is_dark_ink_on_white(font):
    image = render_text("handwriting", np.random.default_rng(3), font=font, height=48)
    assert image.dtype == np.uint8 and image.ndim == 2 and image.shape[0] == 48
    assert np.median(image) > 215  # mostly paper
    assert image.min() < 120  # some ink


@pytest.mark.parametrize("font", [None, HERSHEY])
def test_longer_text_is_wider(font):
    for seed in range(3):
        short, long = (render_text(t, np.random.default_rng(seed), font) for t in ("am", "amalgamation"))
        assert long.shape[1] > 2.5 * short.shape[1]


@needs_fonts
def test_capitals_are_taller_than_lower_case():
    # the vertical scale comes from the font, not from the word's own ink
    def ink_rows(text: str) -> int:
        image = render_text(text, np.random.default_rng(4), font=find_fonts()[0])
        return int((image.min(axis=1) < 150).sum())

    assert ink_rows("SOX") > 1.2 * ink_rows("sox")


def test_same_seed_same_pixels_different_seed_differs():
    a = render_text("seeded", np.random.default_rng(5))
    b = render_text("seeded", np.random.default_rng(5))
    c = render_text("seeded", np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_render_text_refuses_spaces_and_empty():
    with pytest.raises(ValueError, match="render_line"):
        render_text("two words", np.random.default_rng(0))
    with pytest.raises(ValueError):
        render_text("", np.random.default_rng(0))


def test_labels_use_the_charset_and_vary():
    rng = np.random.default_rng(2)
    labels = [make_label(rng, load_words()) for _ in range(2000)]
    assert all(1 <= len(t) <= MAX_LENGTH and set(t) <= set(CHARSET) for t in labels)
    assert "'" not in CHARSET and " " not in CHARSET
    assert sum(t.islower() for t in labels) > len(labels) / 2  # mostly lower case
    assert any(t[0].isupper() and t[1:].islower() for t in labels)
    assert any(len(t) > 2 and t.isupper() for t in labels)
    assert any(t.isdigit() for t in labels)
    assert any("-" in t for t in labels) and any(t.endswith((".", ",")) for t in labels)


def test_word_list_is_plain_letters():
    words = load_words()
    assert len(words) > 100  # installed list (~70,000), else the fallback (~400)
    assert all(w.isascii() and w.isalpha() and 2 <= len(w) <= 12 for w in words)


def test_line_has_word_gaps():
    image = render_line("two words", np.random.default_rng(0), font=HERSHEY)
    blank_columns = (image.min(axis=0) > 180).sum()
    assert blank_columns >= 64 // 4


def _rows(folder):
    with (folder / "labels.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_held_out_share_is_exact_and_seeded():
    assert held_out(40, 0.1, 0).sum() == 4
    assert held_out(3, 0.01, 0).sum() == 1  # never empty when asked for
    np.testing.assert_array_equal(held_out(50, 0.2, 1), held_out(50, 0.2, 1))
    assert not np.array_equal(held_out(50, 0.2, 1), held_out(50, 0.2, 2))


def test_dataset_is_complete_reproducible_and_reused(tmp_path, monkeypatch):
    import mltu_ext.synth.dataset as dataset

    monkeypatch.setattr(dataset, "CHUNK", 8)  # several chunks, so two workers share the work
    one = build_synthetic_dataset(tmp_path / "a", 40, seed=4, val_fraction=0.1, workers=1)
    rows = _rows(one)
    assert list(rows[0]) == ["file_name", "text", "writer_id", "split"]
    assert len(rows) == 40 and sum(r["split"] == "val" for r in rows) == 4
    fonts = {font_name(f) for f in find_fonts()} or set(HERSHEY_FONTS)
    assert {r["writer_id"] for r in rows} <= fonts
    for row in rows:
        image = cv2.imread(str(one / row["file_name"]), cv2.IMREAD_GRAYSCALE)
        assert image is not None and image.shape[0] == 64
    # a second build with the same arguments renders nothing again
    stamps = [os.path.getmtime(one / r["file_name"]) for r in rows] + [os.path.getmtime(one / "labels.csv")]
    build_synthetic_dataset(tmp_path / "a", 40, seed=4, val_fraction=0.1, workers=1)
    assert [os.path.getmtime(one / r["file_name"]) for r in rows] + [
        os.path.getmtime(one / "labels.csv")
    ] == stamps
    # the worker count does not change labels or pixels
    two = build_synthetic_dataset(tmp_path / "b", 40, seed=4, val_fraction=0.1, workers=2)
    assert _rows(two) == rows
    for row in rows:
        a = cv2.imread(str(one / row["file_name"]), cv2.IMREAD_GRAYSCALE)
        b = cv2.imread(str(two / row["file_name"]), cv2.IMREAD_GRAYSCALE)
        np.testing.assert_array_equal(a, b)


def test_dataset_with_other_parameters_is_rendered_again(tmp_path):
    build_synthetic_dataset(tmp_path / "d", 30, seed=1, workers=1)
    first = _rows(tmp_path / "d")
    build_synthetic_dataset(tmp_path / "d", 20, seed=2, workers=1)
    second = _rows(tmp_path / "d")
    assert len(second) == 20 and [r["text"] for r in second] != [r["text"] for r in first[:20]]
    assert len(list((tmp_path / "d" / "images").iterdir())) == 20  # no stale images left


def test_dataset_refuses_a_foreign_labels_file(tmp_path):
    (tmp_path / "labels.csv").write_text("file_name,text\n")
    with pytest.raises(ValueError, match=r"synth\.json"):
        build_synthetic_dataset(tmp_path, 5, workers=1)


def test_dataset_loads_as_generic_csv_with_its_split(tmp_path):
    from mltu_ext.data import load_dataset, split_samples

    folder = build_synthetic_dataset(tmp_path / "s", 30, seed=1, val_fraction=0.3, workers=1)
    dataset = load_dataset(str(folder / "labels.csv"))
    parts = split_samples(dataset.samples)
    assert len(parts.train) + len(parts.val) == 30
    assert {s.split for s in parts.val} == {"val"}


def test_command_writes_a_png(tmp_path, capsys):
    from mltu_ext.cli.synth import main

    out = tmp_path / "word.png"
    assert main(["hello world", "-o", str(out), "--seed", "2", "--font", "hershey"]) == 0
    image = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)
    assert image is not None and image.shape[0] == 64
    assert main(["x", "-o", str(tmp_path / "bad.unknownext")]) == 2
    assert main(["x", "--font", "no-such-font-anywhere"]) == 2
    assert main(["--list-fonts"]) == 0
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_command_says_plainly_that_a_blank_text_is_empty(tmp_path, capsys, text):
    from mltu_ext.cli.synth import main

    out = tmp_path / "word.png"
    with pytest.raises(SystemExit) as stop:
        main([text, "-o", str(out)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "the text to render is empty" in err and "render_text" not in err
    assert not out.exists()


@pytest.mark.parametrize("name", ["x.gif", "x.ppm", "x.txt", "x"])
def test_command_refuses_an_image_name_it_cannot_write_before_rendering(tmp_path, capsys, monkeypatch, name):
    from mltu_ext.cli import synth

    monkeypatch.setattr(synth, "normal_text", lambda text: pytest.fail("rendering began"))
    out = tmp_path / name
    assert synth.main(["hi", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"-o {out}: cannot write" in err and ".png" in err and "folder" not in err
    assert not out.exists()


def test_a_failed_image_write_leaves_no_file(tmp_path, capsys, monkeypatch):
    from mltu_ext.cli.synth import main

    def half_written(path, image):
        Path(path).write_bytes(b"part")
        return False

    monkeypatch.setattr(cv2, "imwrite", half_written)
    out = tmp_path / "word.png"
    assert main(["hi", "-o", str(out), "--font", "hershey"]) == 2
    assert f"{out}: OpenCV could not write the image" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_command_refuses_a_file_that_is_no_font_and_a_text_too_long_for_one_image(tmp_path, capsys):
    from mltu_ext.cli.synth import main

    not_a_font = tmp_path / "notes.ttf"
    not_a_font.write_text("not a font")
    assert main(["hello", "-o", str(tmp_path / "a.png"), "--font", str(not_a_font)]) == 2
    assert f"{not_a_font}: not a font file" in capsys.readouterr().err
    # 400 characters fit at height 64; 401 are refused before anything is drawn
    assert main(["a" * 401, "-o", str(tmp_path / "b.png"), "--font", "hershey"]) == 2
    assert "at most 400" in capsys.readouterr().err
    assert not (tmp_path / "b.png").exists()


def test_command_builds_a_dataset(tmp_path):
    from mltu_ext.cli.synth import main

    assert main(["--dataset", str(tmp_path / "cli"), "--num", "6", "--workers", "1"]) == 0
    assert len(_rows(tmp_path / "cli")) == 6


def test_dataset_from_given_texts_with_umlauts(tmp_path):
    texts = ["Große Straße", "Müllerweg", "Am Ölberg"]
    folder = build_synthetic_dataset(tmp_path / "de", 12, seed=0, workers=1, texts=texts)
    rows = _rows(folder)
    assert {r["text"] for r in rows} <= set(texts)
    assert all(cv2.imread(str(folder / r["file_name"])) is not None for r in rows)


def test_decomposed_text_renders_as_its_composed_form(tmp_path):
    import unicodedata

    from mltu_ext.cli.synth import main

    text = "Une ligne écrite à la main"
    for name, form in (("nfc.png", "NFC"), ("nfd.png", "NFD")):
        assert main([unicodedata.normalize(form, text), "-o", str(tmp_path / name), "--seed", "3"]) == 0
    composed, decomposed = (
        cv2.imread(str(tmp_path / n), cv2.IMREAD_GRAYSCALE) for n in ("nfc.png", "nfd.png")
    )
    assert composed.shape == decomposed.shape and np.array_equal(composed, decomposed)


def test_command_refuses_a_word_that_no_font_draws(tmp_path, capsys):
    from mltu_ext.cli.synth import main

    # the installed fonts (and OpenCV's) have no Japanese: a word of it was drawn as boxes
    out = tmp_path / "word.png"
    assert main(["日本語", "-o", str(out)]) == 2
    assert "no handwriting font draws every character of '日本語'" in capsys.readouterr().err
    assert not out.exists()


def test_command_names_the_texts_file_and_line_that_no_font_draws(tmp_path, capsys):
    from mltu_ext.cli.synth import main

    texts = tmp_path / "texts.txt"
    texts.write_text("hello\n\nwörld 日本\n", encoding="utf-8")
    out = tmp_path / "words"
    assert main(["--dataset", str(out), "--num", "2", "--texts", str(texts), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert f"error: {texts}:3: no installed handwriting font draws '日本' (in 'wörld 日本')" in err
    assert str(out) not in err and not out.exists()


def test_texts_that_no_one_font_draws_all_of_name_the_file(tmp_path, monkeypatch):
    from mltu_ext.cli.synth import check_texts_drawn
    from mltu_ext.errors import InputFileError
    from mltu_ext.synth import fonts

    # each line drawn by one of two fonts, neither drawing both
    lacks = {"a.ttf": "б", "b.ttf": "β"}
    monkeypatch.setattr(fonts, "find_fonts", lambda glyphs="": () if glyphs else tuple(lacks))
    monkeypatch.setattr(fonts, "missing_glyphs", lambda font, glyphs: lacks[font])
    with pytest.raises(InputFileError, match=r"^t\.txt: no one installed handwriting font draws every"):
        check_texts_drawn("t.txt", [(1, "β"), (2, "б")])


@needs_fonts
def test_command_draws_a_word_in_a_font_that_has_its_characters(tmp_path, monkeypatch):
    from mltu_ext.cli.synth import main
    from mltu_ext.synth import render
    from mltu_ext.synth.line_render import missing_chars

    fonts = []
    drawing = render.render_ink

    def recording(text, rng, style, *args, **kwargs):
        fonts.append(style.font)
        return drawing(text, rng, style, *args, **kwargs)

    monkeypatch.setattr(render, "render_ink", recording)
    # seed 0 picks Rufscript among all fonts, and it has no 'é': drawn in it the word reads 'h□llo'
    for seed in range(4):
        assert main(["héllo", "-o", str(tmp_path / "word.png"), "--seed", str(seed)]) == 0
    assert len(fonts) == 4 and not any(missing_chars(font, "héllo") for font in fonts)


@pytest.mark.parametrize("height", ["2049", "12800"])
def test_command_refuses_a_height_above_its_cap_in_one_line(tmp_path, capsys, height):
    from mltu_ext.cli.synth import MAX_HEIGHT, main

    out = tmp_path / "hi.png"
    with pytest.raises(SystemExit) as stop:
        main(["hi", "--height", height, "-o", str(out)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and f"must be from 8 to {MAX_HEIGHT}, got {height}" in err
    assert not out.exists()
    assert main(["hi", "--height", str(MAX_HEIGHT), "-o", str(out), "--font", "hershey"]) == 0


def test_command_refuses_a_height_too_large_for_the_datasets_texts(tmp_path, capsys):
    from mltu_ext.cli.synth import main

    # too wide for OpenCV's warps, a rendered line ended in OpenCV's traceback
    argv = ["--lines", "2", "-o", str(tmp_path / "lines"), "--height", "1000", "--workers", "1"]
    assert main(argv) == 2
    assert "the rendered lines have up to 100 characters" in capsys.readouterr().err
    texts = tmp_path / "texts.txt"
    texts.write_text("short\n" + "x" * 200 + "\n", encoding="utf-8")
    argv = ["--dataset", str(tmp_path / "words"), "--num", "2", "--texts", str(texts), "--height", "200"]
    assert main([*argv, "--workers", "1"]) == 2
    assert f"the longest line of {texts} has 200 characters" in capsys.readouterr().err
    assert not (tmp_path / "lines").exists() and not (tmp_path / "words").exists()
