"""Walk a folder tree the same way everywhere: sorted, into symlinked folders, each real folder once."""

from __future__ import annotations

import os
from collections.abc import Iterator


def walk_files(root: str | os.PathLike) -> Iterator[tuple[str, list[str]]]:
    """(folder, its file names sorted) for ``root`` and every folder below it, in a stable order.

    A symlinked folder is entered as a folder is (a dataset's pages may be linked in from
    elsewhere, and skipping them would lose samples without a word); a link back to a folder
    already walked is not entered again, so a loop ends.
    """
    seen: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        yield folder, sorted(files)
