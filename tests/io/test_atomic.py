"""Atomic writes: a failed or interrupted write leaves the previous file, never a part of a new one."""

from __future__ import annotations

import errno

import pytest

from mltu_ext.io.atomic import replacing, write_text


def test_a_completed_write_replaces_the_file(tmp_path):
    target = tmp_path / "config.json"
    write_text(target, "old")
    write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]  # no temporary left


def test_a_write_killed_half_way_leaves_the_old_file(tmp_path):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"complete old model")

    class Killed(BaseException):
        """Stands for the process being killed in the middle of writing."""

    with pytest.raises(Killed), replacing(target) as tmp:
        tmp.write_bytes(b"half of a new")
        raise Killed
    assert target.read_bytes() == b"complete old model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_disk_full_leaves_the_old_file_or_none(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    target.write_text("old")

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pathlib.Path.write_bytes", full)
    with pytest.raises(OSError, match="No space"):
        write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    with pytest.raises(OSError, match="No space"):
        monkeypatch.setattr("pathlib.Path.write_bytes", full)
        write_text(tmp_path / "fresh.json", "x")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_written_files_are_as_readable_as_other_new_files(tmp_path):
    """Not mkstemp's private 0600: a static web server must be able to serve model.json."""
    import os
    import stat

    from mltu_ext.io.atomic import write_text

    mask = os.umask(0o022)
    try:
        write_text(tmp_path / "model.json", "{}")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "model.json").stat().st_mode) == 0o644


def test_text_naming_a_file_whose_name_is_not_utf8_is_refused_with_the_name(tmp_path):
    import os

    from mltu_ext.errors import OutputWriteError

    latin1 = os.fsdecode(b"p\xe4ge.jpg")  # a Latin-1 name from an old archive: '\udce4' inside
    target = tmp_path / "page.json"
    with pytest.raises(
        OutputWriteError, match=r"page\.json: cannot write: .*not valid UTF-8 .*p\\\\udce4ge\.jpg"
    ):
        write_text(target, '{"image": "' + latin1 + '"}')
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_a_name_near_the_length_limit_is_written(tmp_path):
    target = tmp_path / ("p" * 240 + ".alto.xml")  # 249 bytes: the temporary file's name must stay under 255
    write_text(target, "<alto/>")
    assert target.read_text(encoding="utf-8") == "<alto/>"
