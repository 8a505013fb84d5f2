"""Where inferenceModel.py writes each page's result: decided before reading, no result overwritten."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mltu_ext.cli.recognize_pages import distinct_names, output_paths
from mltu_ext.errors import ConfigError


def _args(output, output_format=None) -> argparse.Namespace:
    return argparse.Namespace(output=str(output) if output else None, output_format=output_format)


def test_pages_of_the_same_name_get_distinct_results(tmp_path):
    pages = [Path("scans/a/p.png"), Path("scans/a/p.jpg"), Path("scans/b/p.png"), Path("scans/b/q.png")]

    targets = output_paths(_args(tmp_path / "out"), pages)

    assert [t.name for t in targets] == ["a_p.png.json", "p.jpg.json", "b_p.png.json", "q.json"]
    assert (tmp_path / "out").is_dir()


def test_names_are_stems_while_they_do_not_clash():
    assert distinct_names([Path("x/one.png"), Path("x/two.jpg")]) == ["one", "two"]
    assert distinct_names([Path("x/one.png"), Path("x/one.png")]) == ["x_one.png", "x_one.png"]
    # absolute paths give names, never paths: the root is left out
    assert distinct_names([Path("/a/p.png"), Path("/b/p.png")]) == ["a_p.png", "b_p.png"]
    assert distinct_names([Path("/a/p.png"), Path("/a/p.png")]) == ["a_p.png", "a_p.png"]


def test_one_page_writes_the_named_file_and_checks_its_ending_first(tmp_path):
    assert output_paths(_args(tmp_path / "page.alto.xml"), [Path("p.png")]) == [tmp_path / "page.alto.xml"]
    with pytest.raises(ConfigError, match="say the format by its ending"):
        output_paths(_args(tmp_path / "page.txt"), [Path("p.png")])
    # a name without an ending is a folder
    assert output_paths(_args(tmp_path / "res", "page"), [Path("p.png")]) == [tmp_path / "res" / "p.page.xml"]


def test_several_pages_need_a_folder(tmp_path):
    existing = tmp_path / "results"
    existing.write_text("a file")
    with pytest.raises(ConfigError, match="is a file; 2 pages need a folder"):
        output_paths(_args(existing), [Path("a.png"), Path("b.png")])
    with pytest.raises(ConfigError, match="names a file, but 2 pages were given"):
        output_paths(_args(tmp_path / "multi.json"), [Path("a.png"), Path("b.png")])
    assert not (tmp_path / "multi.json").exists()


def test_no_output_asked_means_no_targets():
    assert output_paths(_args(None), [Path("a.png"), Path("b.png")]) == [None, None]


def test_one_page_under_a_file_is_refused_before_it_is_read(tmp_path):
    from mltu_ext.errors import OutputWriteError

    in_the_way = tmp_path / "notes"
    in_the_way.write_text("a file")
    # refused here, before the page is segmented and read, not when its result is written
    with pytest.raises(OutputWriteError, match=r"notes: cannot create the output folder \(.*is a file"):
        output_paths(_args(in_the_way / "page.json"), [Path("p.png")])
    # a folder that does not exist yet is made
    assert output_paths(_args(tmp_path / "new" / "page.json"), [Path("p.png")]) == [
        tmp_path / "new" / "page.json"
    ]
    assert (tmp_path / "new").is_dir()
