"""Every bad input a hostile but realistic user tried ends in one line naming the file, and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.cli import data as data_command
from mltu_ext.cli import quantize as quantize_command
from mltu_ext.cli import recognize
from mltu_ext.cli import train as train_command
from tests.conftest import draw_word


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def _dataset(folder, encoding="utf-8", texts=("München", "Köln", "Straße")):
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["file_name,text"]
    for i, text in enumerate(texts):
        cv2.imwrite(str(folder / f"{i}.png"), draw_word(f"w{i}"))
        rows.append(f"{i}.png,{text}")
    (folder / "labels.csv").write_bytes(("\n".join(rows) + "\n").encode(encoding))
    return folder


def test_a_cp1252_table_names_file_line_and_byte_and_reads_with_encoding(tmp_path, capsys):
    folder = _dataset(tmp_path / "d", encoding="cp1252")
    assert data_command.main(["check", str(folder), "--no-decode"]) == 2
    err = _one_line_error(capsys)
    assert "labels.csv:2: byte 0xfc" in err and "--encoding" in err
    assert data_command.main(["check", str(folder), "--no-decode", "--encoding", "cp1252"]) == 0
    assert "ü" in capsys.readouterr().out
    assert train_command.main(["--dataset", str(folder), "--check", "--cache-dir", ""]) == 2
    assert "labels.csv:2: byte 0xfc" in _one_line_error(capsys)


def test_a_latin1_txt_label_stops_instead_of_becoming_a_replacement_character(tmp_path, capsys):
    folder = tmp_path / "folder"
    folder.mkdir()
    for i, text in enumerate(["München", "Köln"]):
        cv2.imwrite(str(folder / f"{i}.png"), draw_word(f"w{i}"))
        (folder / f"{i}.txt").write_bytes(text.encode("latin-1"))
    assert data_command.main(["check", str(folder), "--no-decode"]) == 2
    assert "0.txt:1: byte 0xfc" in _one_line_error(capsys)
    assert data_command.main(["check", str(folder), "--no-decode", "--encoding", "latin-1"]) == 0
    out = capsys.readouterr().out
    assert "\ufffd" not in out and "ü" in out


def test_encoding_reads_the_files_that_are_not_utf8_and_leaves_the_utf8_ones(tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i, (text, codec) in enumerate((("Königshain", "cp1252"), ("Großröhrsdorf", "utf-8"))):
        cv2.imwrite(str(folder / f"{i}.png"), draw_word(f"w{i}"))
        (folder / f"{i}.txt").write_bytes(text.encode(codec))
    assert data_command.main(["check", str(folder), "--no-decode", "--encoding", "cp1252"]) == 0
    out = capsys.readouterr().out
    assert "Ã" not in out and "ß" in out and "ö" in out  # no "GroÃŸrÃ¶hrsdorf"


def test_a_cp1252_word_list_is_not_told_to_use_an_option_it_does_not_have(tmp_path, capsys):
    words = tmp_path / "words.txt"
    words.write_bytes("München\nKöln\n".encode("cp1252"))
    image = tmp_path / "w.png"
    cv2.imwrite(str(image), draw_word("Köln"))
    model = str(Path(__file__).resolve().parents[2] / "Models" / "dhsd_words")
    assert recognize.main(["--image", str(image), "--model", model, "--lm-text", str(words)]) == 2
    err = _one_line_error(capsys)
    assert "words.txt:1: byte 0xfc" in err and "iconv" in err and "--encoding" not in err


def test_a_utf8_table_with_bom_reads(tmp_path, capsys):
    folder = _dataset(tmp_path / "bom", encoding="utf-8-sig")
    assert data_command.main(["check", str(folder), "--no-decode"]) == 0
    assert "\ufeff" not in capsys.readouterr().out


@pytest.mark.parametrize("value", ["-1", "0", "x"])
def test_numeric_options_are_range_checked(value, capsys):
    with pytest.raises(SystemExit) as stop:
        recognize.get_args(["--image", "a.png", "--batch-size", value])
    assert stop.value.code == 2 and "--batch-size" in capsys.readouterr().err
    for option in ("--epochs", "--batch-size", "--max-width", "--height", "--processes"):
        with pytest.raises(SystemExit):
            train_command.get_args([option, value])
    with pytest.raises(SystemExit):
        train_command.get_args(["--val-fraction", "1.0"])
    with pytest.raises(SystemExit):
        recognize.get_args(["--image", "a.png", "--min-confidence", "1.5"])


def test_wrong_types_in_a_config_file_are_one_line(tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"epochs": "ten", "model": {"height": 32}}))
    assert train_command.main(["--config", str(config), "--check"]) == 2
    assert "config.json: config.epochs='ten': expected a number" in _one_line_error(capsys)
    assert train_command.main(["--set", "model.height=tall", "--check"]) == 2
    assert "model.height='tall'" in _one_line_error(capsys)


def test_a_bad_corrections_file_is_one_line(tmp_path, capsys):
    folder = _dataset(tmp_path / "d", texts=("cat", "dog", "sun"))
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("file,label\n0.png,cow\n")
    assert train_command.main(["--dataset", str(folder), "--corrections", str(fixes), "--check"]) == 2
    assert "fixes.csv: missing column(s)" in _one_line_error(capsys)


def test_a_truncated_onnx_file_is_one_line_for_quantize_and_recognition(tmp_path, capsys):
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words" / "model.onnx"
    broken = tmp_path / "model.onnx"
    broken.write_bytes(shipped.read_bytes()[:4000])
    assert quantize_command.main([str(broken), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "model.onnx: not a loadable ONNX model" in _one_line_error(capsys)
    cv2.imwrite(str(tmp_path / "w.png"), draw_word("w"))
    assert recognize.main(["--image", str(tmp_path / "w.png"), "--model", str(broken)]) == 2
    _one_line_error(capsys)
    assert not (tmp_path / "x.onnx").exists()


def test_a_huge_image_is_refused_before_decoding(tmp_path, capsys):
    wide = tmp_path / "wide.png"
    cv2.imwrite(str(wide), np.full((20, 60000), 255, np.uint8))
    argv = ["--image", str(wide), "--model", "Models/dhsd_words", "--max-pixels", "1000000"]
    assert recognize.main(argv) == 2
    assert "wide.png: image is 60000x20 pixels, more than the limit" in _one_line_error(capsys)


def test_a_damaged_image_cache_is_rebuilt(tmp_path, capsys):
    from mltu_ext.data import load_dataset
    from mltu_ext.data.image_cache import build_cache
    from mltu_ext.data.vocabulary import Vocabulary

    samples = load_dataset(str(_dataset(tmp_path / "d", texts=("cat", "dog", "sun")))).samples
    vocabulary = Vocabulary.from_texts(s.text for s in samples)
    first = build_cache(samples, vocabulary, 32, 64, 16, cache_dir=tmp_path / "cache")
    (cache,) = (tmp_path / "cache").iterdir()
    cache.write_bytes(cache.read_bytes()[:50])  # killed while copying, or a full disk
    again = build_cache(samples, vocabulary, 32, 64, 16, cache_dir=tmp_path / "cache")
    assert "damaged image cache" in capsys.readouterr().out
    np.testing.assert_array_equal(first.images, again.images)


def test_folders_say_what_they_leave_out_and_read_deeper_when_asked(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    cv2.imwrite(str(tmp_path / "top.png"), draw_word("top"))
    cv2.imwrite(str(tmp_path / "sub" / "deep.png"), draw_word("deep"))
    assert [p.name for p in recognize.image_paths([str(tmp_path)])] == ["top.png"]
    assert "1 images in subfolders not read" in capsys.readouterr().err
    assert [p.name for p in recognize.image_paths([str(tmp_path)], recursive=True)] == ["deep.png", "top.png"]


def test_symlinked_folders_and_archive_formats_are_read(tmp_path):
    from mltu_ext.data import load_dataset

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cv2.imwrite(str(elsewhere / "linked.png"), draw_word("linked"))
    (elsewhere / "linked.txt").write_text("linked", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    scan = cv2.resize(draw_word("scan"), (256, 64))
    assert cv2.imwrite(str(data / "scan.jp2"), scan)  # JPEG 2000, as archives deliver scans
    (data / "scan.txt").write_text("scan", encoding="utf-8")
    (data / "more").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "loop").symlink_to(data, target_is_directory=True)  # a loop ends

    names = [p.name for p in recognize.image_paths([str(data)], recursive=True)]
    assert names == ["linked.png", "scan.jp2"]
    assert sorted(s.text for s in load_dataset(data).samples) == ["linked", "scan"]
    (data / "sub").mkdir()
    cv2.imwrite(str(data / "sub" / "inner.png"), draw_word("inner"))
    (data / "a_link").symlink_to(data / "sub", target_is_directory=True)  # into the tree: read as sub/
    found = recognize.image_paths([str(data)], recursive=True)
    assert [p.relative_to(data).as_posix() for p in found] == ["more/linked.png", "scan.jp2", "sub/inner.png"]
    cv2.imwrite(str(data / "OLD.PNG"), draw_word("old"))
    (data / "OLD.TXT").write_text("old", encoding="utf-8")  # as old scanners name them
    assert sorted(s.text for s in load_dataset(data).samples) == ["linked", "old", "scan"]


def test_a_multi_page_tiff_says_that_only_its_first_page_is_read(tmp_path, capsys):
    path = tmp_path / "two_pages.tiff"
    assert cv2.imwritemulti(str(path), [draw_word("first"), draw_word("second")])
    _, images, unreadable = recognize.read_images([path], max_pixels=10**8)
    assert len(images) == 1 and unreadable == 0
    assert f"note: {path}: 2 pages or frames; only the first is read" in capsys.readouterr().err


def test_a_broken_link_in_a_folder_is_named_not_skipped(tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "good.png"), draw_word("good"))
    (tmp_path / "broken.png").symlink_to(tmp_path / "gone.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")

    paths = recognize.image_paths([str(tmp_path)])
    assert [p.name for p in paths] == ["broken.png", "good.png", "loop.png"]
    kept, _, unreadable = recognize.read_images(paths, max_pixels=10**8)
    assert [p.name for p in kept] == ["good.png"] and unreadable == 2
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'broken.png'}: a symbolic link to nothing" in err
    assert f"error: {tmp_path / 'loop.png'}: a symbolic link to nothing" in err
