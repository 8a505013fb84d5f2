"""os_reason: a folder on the way that is a file is named; otherwise the system's reason."""

import errno

from mltu_ext.io.atomic import write_text
from mltu_ext.io.os_errors import os_reason, special_file_kind


def test_a_file_in_the_way_is_named(tmp_path):
    (tmp_path / "notes.txt").write_text("a file")
    target = tmp_path / "notes.txt" / "sub" / "out.json"
    error = NotADirectoryError(errno.ENOTDIR, "Not a directory", str(target))
    assert os_reason(target, error) == f"{tmp_path / 'notes.txt'} is a file, not a folder"


def test_otherwise_the_systems_reason(tmp_path):
    error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x"))
    assert os_reason(tmp_path / "x", error) == "Permission denied"


def test_an_atomic_write_under_a_file_says_which(tmp_path):
    import pytest

    from mltu_ext.errors import OutputWriteError

    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(OutputWriteError, match=r"model\.onnx is a file, not a folder"):
        write_text(tmp_path / "model.onnx" / "config.json", "{}")


def test_what_an_existing_path_that_is_not_a_regular_file_is(tmp_path):
    (tmp_path / "words.txt").write_text("a file")
    assert special_file_kind(tmp_path / "words.txt") is None
    assert special_file_kind(tmp_path / "missing.txt") is None  # "not found" is the right word there
    assert special_file_kind(tmp_path) == "a folder"
    assert special_file_kind("/dev/null") == "a character device"
