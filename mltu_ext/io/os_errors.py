"""Say in words why the system refused a file: a folder on the way that is a file, or its reason."""

from __future__ import annotations

import os
from pathlib import Path


def os_reason(path: str | os.PathLike, error: OSError) -> str:
    """Why ``path`` could not be written or read, for a one-line error message.

    The system answers "File exists" or "Not a directory" when a folder on the way is a file,
    which names neither; this names that file.
    """
    for place in Path(path).parents:
        if place.exists() and not place.is_dir():
            return f"{place} is a file, not a folder"
    return str(error.strerror or error)
