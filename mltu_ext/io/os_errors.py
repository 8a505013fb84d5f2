"""Say in words why the system refused a file: a folder on the way that is a file, or its reason."""

from __future__ import annotations

import os
import stat
from pathlib import Path

# what an existing path that is not a regular file is, in the words of a one-line error
_SPECIAL_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def os_reason(path: str | os.PathLike, error: OSError) -> str:
    """Why ``path`` could not be written or read, for a one-line error message.

    The system answers "File exists" or "Not a directory" when a folder on the way is a file,
    which names neither; this names that file.
    """
    place = file_in_the_way(Path(path).parent)
    return f"{place} is a file, not a folder" if place else str(error.strerror or error)


def file_in_the_way(folder: str | os.PathLike) -> Path | None:
    """The first of ``folder`` and its parents that exists as a file, or None."""
    for place in (Path(folder), *Path(folder).parents):
        if place.exists() and not place.is_dir():
            return place
    return None


def special_file_kind(path: str | os.PathLike) -> str | None:
    """What ``path`` is when it exists but is not a regular file ("a folder", "a character
    device" for /dev/null, ...); None for a regular file or a path that does not exist.

    The system's "not found" for /dev/null or a folder given as a file would send the user
    looking for a file that is there.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _SPECIAL_KINDS if test(mode)), "a special file")
