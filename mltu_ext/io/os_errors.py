"""Say in words why the system refused a file: a folder on the way that is a file, or its reason."""

from __future__ import annotations

import os
from pathlib import Path


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
