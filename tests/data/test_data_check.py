"""check_samples and the ``python -m mltu_ext.data`` command line."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from mltu_ext.cli.data import get_args, main, run
from mltu_ext.data import check_samples, load_dataset
from mltu_ext.data.samples import Sample


def write_png(path: Path, width: int, height: int, column: int = 1) -> Path:
    image = np.full((height, width), 255, np.uint8)
    image[:, column] = 0
    assert cv2.imwrite(str(path), image)
    return path


def make_csv_dataset(root: Path, rows: list[tuple[str, str, str]]) -> Path:
    """labels.csv with (file, text, writer) rows; images are written by the caller."""
    lines = ["file_name,text,writer_id"] + [",".join(r) for r in rows]
    (root / "labels.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "labels.csv"


def test_clean_dataset_statistics(tmp_path):
    write_png(tmp_path / "a.png", 40, 10)
    write_png(tmp_path / "b.png", 60, 20, column=2)
    write_png(tmp_path / "c.png", 80, 30, column=3)
    make_csv_dataset(tmp_path, [("a.png", "ab", "1"), ("b.png", "abc", "1"), ("c.png", "hello", "2")])
    samples = load_dataset(tmp_path).samples
    report = check_samples(samples, vocabulary_chars="abcehlo", max_steps=10, progress=False)
    assert report.ok, report.errors
    assert report.num_samples == 3 and report.num_writers == 2
    assert report.char_counts == {"a": 2, "b": 2, "c": 1, "e": 1, "h": 1, "l": 2, "o": 1}
    assert report.label_length == {"min": 2, "mean": 3.33, "median": 3, "max": 5}
    assert report.image_width == {"min": 40, "median": 60, "max": 80}
    assert report.image_height == {"min": 10, "median": 20, "max": 30}
    json.dumps(report.to_dict())  # JSON-able
    text = report.to_text()
    assert "Samples: 3 from 2 writers" in text and "Errors (0): none" in text


def test_unreadable_image_found_by_check_not_by_reader(tmp_path):
    write_png(tmp_path / "good.png", 30, 10)
    (tmp_path / "broken.png").write_bytes(b"not a png at all")
    make_csv_dataset(tmp_path, [("good.png", "ok", "1"), ("broken.png", "bad", "1")])
    samples = load_dataset(tmp_path).samples  # the reader only checks that files exist
    report = check_samples(samples, workers=2, progress=False)
    assert [u["name"] for u in report.unreadable] == [str(tmp_path / "broken.png")]
    assert report.unreadable[0]["source"].endswith("labels.csv:3")
    assert len(report.errors) == 1
    assert "1 unreadable images" in report.errors[0] and "broken.png" in report.errors[0]
    assert "\n" not in report.errors[0]
    # sizes come from the readable images only
    assert report.image_width == {"min": 30, "median": 30, "max": 30}


def test_vocabulary_length_and_empty_label_errors():
    image = np.full((10, 40), 255, np.uint8)
    samples = [
        Sample("hello", image=image, source="x:1"),
        Sample("Ärger", image=image, source="x:2"),
        Sample("aaaa", image=image, source="x:3"),
        Sample(" ", image=image, source="x:4"),
    ]
    report = check_samples(samples, vocabulary_chars="aeghlor", max_steps=6, progress=False)
    assert set(report.out_of_vocabulary) == {"Ä"}
    assert report.out_of_vocabulary["Ä"]["count"] == 1
    # "hello" needs 6 steps (the double l costs a blank), "aaaa" needs 7
    assert [(t["text"], t["steps_needed"]) for t in report.too_long] == [("aaaa", 7)]
    assert report.empty_labels == ["x:4"]
    assert not report.ok
    assert len(report.errors) == 3
    assert any("'Ä'" in e for e in report.errors)


def test_time_scale_uses_each_image_width_after_resizing(tmp_path):
    # 10 px high, 40 px wide -> 32 px high, 128 px wide -> 128 / 8 = 16 steps
    wide = np.full((10, 40), 255, np.uint8)
    narrow = np.full((10, 10), 255, np.uint8)  # -> 32 wide -> 4 steps
    samples = [
        Sample("abcdefghij", image=wide, source="w:1"),
        Sample("abcdefghij", image=narrow, source="w:2"),
    ]
    report = check_samples(samples, time_scale=8, height=32, progress=False)
    assert [(t["source"], t["steps_available"]) for t in report.too_long] == [("w:2", 4)]
    capped = check_samples(samples, time_scale=8, height=32, max_steps=9, progress=False)
    assert [t["source"] for t in capped.too_long] == ["w:1", "w:2"]


def test_duplicates(tmp_path):
    write_png(tmp_path / "a.png", 30, 10)
    (tmp_path / "copy.png").write_bytes((tmp_path / "a.png").read_bytes())
    write_png(tmp_path / "b.png", 30, 10, column=5)
    samples = [
        Sample("one", path=str(tmp_path / "a.png"), source="l:1"),
        Sample("two", path=str(tmp_path / "copy.png"), source="l:2"),
        Sample("bee", path=str(tmp_path / "b.png"), source="l:3"),
        Sample("bee", path=str(tmp_path / "b.png"), source="l:4"),
    ]
    report = check_samples(samples, progress=False)
    assert report.ok  # duplicates warn, they do not block
    assert [d["sources"] for d in report.duplicate_paths] == [["l:3", "l:4"]]
    assert [d["labels"] for d in report.conflicting_duplicates] == [["one", "two"]]
    assert report.identical_duplicates == 1
    assert any("different labels" in w for w in report.warnings)


def test_cli_check_warns_of_a_page_under_two_writer_ids(tmp_path, capsys):
    from tests.data.test_duplicates import write_pages_with_a_shared_one

    write_pages_with_a_shared_one(tmp_path)  # page a again as writer e's, one outline a pixel wider
    assert run(get_args(["check", str(tmp_path)])) == 0  # a warning, not an error
    out = capsys.readouterr().out
    assert "1 page images are described under several writer ids: a.xml#l1 and e.xml#l1" in out
    report = check_samples(load_dataset(tmp_path).samples, progress=False)
    assert report.pages_under_several_writers == [["a.xml#l1", "e.xml#l1"]]


def test_cli_check_exit_codes_and_json(tmp_path, capsys):
    write_png(tmp_path / "a.png", 30, 10)
    write_png(tmp_path / "b.png", 30, 10, column=4)
    make_csv_dataset(tmp_path, [("a.png", "ab", "1"), ("b.png", "ba", "2")])
    out = tmp_path / "report.json"
    assert run(get_args(["check", str(tmp_path), "--json", str(out)])) == 0
    saved = json.loads(out.read_text())
    assert saved["dataset"]["format"] == "generic_csv"
    assert saved["report"]["num_samples"] == 2
    assert run(get_args(["check", str(tmp_path), "--vocabulary", "a"])) == 1
    assert "'b' is not in the vocabulary" in capsys.readouterr().out
    (tmp_path / "b.png").write_bytes(b"")
    assert run(get_args(["check", str(tmp_path / "labels.csv")])) == 1
    (tmp_path / "b.png").unlink()
    assert main(["check", str(tmp_path)]) == 2  # cannot be read at all: one line, exit 2
    assert "1 of 2 image files are missing" in capsys.readouterr().err


def test_cli_formats(capsys):
    assert run(get_args(["formats"])) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert "iam_words" in listed and "kaggle" in listed and "image_txt_folder" in listed


def test_labels_training_refuses_are_errors():
    """A label of a zero-width space only, or with a tab or a newline, passes no reader check in some
    formats (Kaggle, layout files); the check reports it as training would, not as fine."""
    image = np.zeros((8, 8), np.uint8)
    samples = [
        Sample("ok", image=image, source="x:1"),
        Sample("\u200b", image=image, source="x:2"),
        Sample("a\tb", image=image, source="x:3"),
        Sample("a\nb", image=image, source="x:4"),
    ]
    report = check_samples(samples, progress=False)
    assert not report.ok
    assert [b["source"] for b in report.bad_labels] == ["x:2", "x:3", "x:4"]
    assert "invisible" in report.bad_labels[0]["problem"]
    assert any("3 labels training cannot use" in e and "x:2" in e for e in report.errors), report.errors


def test_invisible_characters_and_blank_images_are_warned_of(tmp_path):
    write_png(tmp_path / "a.png", 40, 10)
    write_png(tmp_path / "b.png", 40, 10)
    blank = np.full((10, 40), 228, np.uint8)
    blank[::3, ::5] = 236  # a scanner's noise on the paper, no writing
    assert cv2.imwrite(str(tmp_path / "blank.png"), blank)
    rows = [("a.png", "c\u200bat", "1"), ("b.png", "dog", "1"), ("blank.png", "cow", "2")]
    make_csv_dataset(tmp_path, rows)
    report = check_samples(load_dataset(tmp_path).samples, progress=False)
    assert report.ok  # warnings only: some scripts need U+200C / U+200D
    assert [i["characters"] for i in report.invisible_characters] == ["U+200B"]
    assert [Path(name).name for name in report.blank_images] == ["blank.png"]
    text = "\n".join(report.warnings)
    assert "1 labels hold invisible characters" in text and "U+200B" in text
    assert "1 images show no writing but have a label" in text and "blank.png" in text
