"""Write a file so that readers see the old file or the whole new one, never a part.

The data goes to a temporary file in the target's folder (same filesystem, so
the rename is atomic), is flushed to disk, and replaces the target with
``os.replace``. A failed or interrupted write removes the temporary file and
leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mltu_ext.errors import OutputWriteError
from mltu_ext.io.os_errors import os_reason


@contextlib.contextmanager
def replacing(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path``; on success it replaces ``path``, on failure it goes.

    >>> with replacing("model.onnx") as tmp:   # doctest: +SKIP
    ...     write_model(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = suffix if suffix is not None else f".tmp{path.suffix}"  # Keras wants its own suffix
    # a name near the filesystem's 255-byte limit leaves no room for the temporary's additions
    stem = path.name if len(os.fsencode(path.name)) <= 200 else "long-name"
    handle, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    # mkstemp makes the file private (0600); the result should be as readable as any
    # file this process creates (a web server serves model.onnx and model.json)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; OutputWriteError names the file when the disk refuses."""
    try:
        with replacing(path) as tmp:
            tmp.write_bytes(data)
    except OutputWriteError:
        raise
    except OSError as error:
        raise OutputWriteError(f"{path}: cannot write ({os_reason(path, error)})") from error


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically.

    OutputWriteError when ``text`` cannot be UTF-8: it then holds a file name that is not
    (a name from an old archive, kept by Python as escaped bytes), which no reader could match.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        near = text[max(0, error.start - 30) : error.end + 10].encode("utf-8", "backslashreplace").decode()
        raise OutputWriteError(
            f"{path}: cannot write: it would name a file whose name is not valid UTF-8 (near {near!r}); "
            "rename that file"
        ) from None
    write_bytes(path, data)
