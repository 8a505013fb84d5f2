"""The rendered line dataset and its command: layout, writer ids, reuse, loading."""

from __future__ import annotations

import csv
import os

import cv2
import pytest

from mltu_ext.synth import dataset
from mltu_ext.synth.fonts import HERSHEY_FONTS, find_fonts, font_name, missing_glyphs
from mltu_ext.synth.line_dataset import build_line_dataset


def _rows(folder):
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_line_dataset_round_trips_through_load_dataset(tmp_path, monkeypatch):
    from mltu_ext.data import load_dataset

    monkeypatch.setattr(dataset, "CHUNK", 5)  # several chunks
    options = {"seed": 3, "languages": ("fr", "de"), "val_fraction": 0.25, "workers": 1}
    folder = build_line_dataset(tmp_path / "lines", 12, **options)
    rows = _rows(folder)
    loaded = load_dataset(folder / "labels.csv", fmt="generic_csv")
    assert len(loaded.samples) == len(rows) == 12
    assert [s.text for s in loaded.samples] == [r["text"] for r in rows]
    assert [s.writer for s in loaded.samples] == [r["writer_id"] for r in rows]
    assert sum(s.split == "val" for s in loaded.samples) == 3
    paths = {font_name(f): f for f in find_fonts()}
    assert {r["writer_id"] for r in rows} <= (set(paths) or set(HERSHEY_FONTS))
    for row in rows:
        assert " " in row["text"]  # lines, not words
        if row["writer_id"] in paths:  # the writer's font draws every character of its line
            assert missing_glyphs(paths[row["writer_id"]], row["text"].replace(" ", "")) == ""
        image = cv2.imread(str(folder / row["file_name"]), cv2.IMREAD_GRAYSCALE)
        assert image is not None and image.shape[0] == 64 and image.shape[1] > 4 * 64
    # the same arguments again: nothing is rendered again
    stamp = os.path.getmtime(folder / rows[0]["file_name"])
    build_line_dataset(tmp_path / "lines", 12, **options)
    assert os.path.getmtime(folder / rows[0]["file_name"]) == stamp
    # other arguments: rendered again, with no stale images
    build_line_dataset(tmp_path / "lines", 4, seed=4, languages=("en",), workers=1)
    assert len(_rows(folder)) == 4 and len(list((folder / "images").iterdir())) == 4


def test_the_share_of_lines_in_capitals_is_chosen(tmp_path):
    def lower_case_lines(folder):
        return [r["text"] for r in _rows(folder) if any(c.islower() for c in r["text"])]

    # French: every letter has its capital in the line texts' letters
    options = {"seed": 5, "height": 16, "languages": ("fr",), "val_fraction": 0.0, "workers": 1}
    assert lower_case_lines(build_line_dataset(tmp_path / "caps", 8, capitals=1.0, **options)) == []
    assert len(lower_case_lines(build_line_dataset(tmp_path / "none", 8, capitals=0.0, **options))) == 8


def test_line_dataset_refuses_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown language"):
        build_line_dataset(tmp_path / "x", 3, languages=("xx",), workers=1)
    with pytest.raises(ValueError, match="paper"):
        build_line_dataset(tmp_path / "x", 3, paper="papyrus", workers=1)
    with pytest.raises(ValueError, match="val_fraction"):
        build_line_dataset(tmp_path / "x", 3, val_fraction=1.5, workers=1)
    with pytest.raises(ValueError, match="capitals is a share"):
        build_line_dataset(tmp_path / "x", 3, capitals=1.5, workers=1)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "labels.csv").write_text("file_name,text\n")
    with pytest.raises(ValueError, match=r"synth\.json"):
        build_line_dataset(tmp_path / "foreign", 3, workers=1)


def test_command_builds_a_line_dataset(tmp_path, capsys):
    from mltu_ext.cli.synth import main

    out = tmp_path / "cli_lines"
    args = ["--lines", "5", "-o", str(out), "--height", "48", "--languages", "fr", "--workers", "1"]
    assert main([*args, "--capitals", "1"]) == 0
    rows = _rows(out)
    assert len(rows) == 5 and not any(c.islower() for r in rows for c in r["text"])  # all in capitals
    assert all(cv2.imread(str(out / r["file_name"]), cv2.IMREAD_GRAYSCALE).shape[0] == 48 for r in rows)
    assert "line dataset" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # --lines needs its folder
        main(["--lines", "5"])
    with pytest.raises(SystemExit):
        main(["--lines", "5", "-o", str(out), "--languages", "fr,xx"])
    with pytest.raises(SystemExit):
        main(["--lines", "5", "-o", str(out), "--capitals", "1.5"])


def test_command_renders_a_text_with_spaces_as_a_line(tmp_path):
    from mltu_ext.cli.synth import main

    out = tmp_path / "line.png"
    assert main(["Une ligne écrite à la main", "-o", str(out), "--paper", "ruled", "--seed", "1"]) == 0
    image = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)
    assert image.shape[0] == 64 and image.shape[1] > 6 * 64


def test_without_fonts_only_english_lines_are_built(tmp_path, monkeypatch):
    import mltu_ext.synth.line_dataset as line_dataset

    monkeypatch.setattr(line_dataset, "find_fonts", lambda: ())
    with pytest.raises(ValueError, match="ASCII only"):
        build_line_dataset(tmp_path / "fr", 2, languages=("en", "fr"), workers=1)
    folder = build_line_dataset(tmp_path / "en", 3, languages=("en",), workers=1)
    assert {r["writer_id"] for r in _rows(folder)} <= set(HERSHEY_FONTS)
    assert all(r["text"].isascii() for r in _rows(folder))


def test_rendering_from_a_script_on_standard_input_finishes(tmp_path):
    """Spawned workers cannot re-import a ``python -`` script: it renders in-process instead of hanging."""
    import subprocess
    import sys

    script = (
        "from mltu_ext.synth.line_dataset import build_line_dataset\n"
        f"build_line_dataset({str(tmp_path / 'lines')!r}, 251, height=16, seed=0,"
        " val_fraction=0.0, workers=2)\n"
    )
    out = subprocess.run(
        [sys.executable, "-"],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            **__import__("os").environ,
            "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2]),
        },
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "rendering runs in this process" in out.stderr
    assert len((tmp_path / "lines" / "labels.csv").read_text(encoding="utf-8").splitlines()) == 252
