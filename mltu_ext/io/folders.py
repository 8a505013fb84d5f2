"""Walk a folder tree the same way everywhere: sorted, into symlinked folders, each real folder once."""

from __future__ import annotations

import os
from collections.abc import Iterator


def walk_files(root: str | os.PathLike) -> Iterator[tuple[str, list[str]]]:
    """(folder, its file names sorted) for ``root`` and every folder below it, in a stable order.

    A symlinked folder that leads outside ``root`` is entered as a folder is (a dataset's pages
    may be linked in from elsewhere, and skipping them would lose samples without a word); one
    that leads back inside ``root`` is not, since its folder is walked under its own name, and
    a link to a folder already walked is not entered again, so a loop ends.
    """
    top = os.path.realpath(root)
    seen: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not _links_inside(os.path.join(folder, d), top))
        yield folder, sorted(files)


def _links_inside(path: str, top: str) -> bool:
    """Whether ``path`` is a symlink to a folder inside ``top`` (or to ``top`` itself)."""
    if not os.path.islink(path):
        return False
    target = os.path.realpath(path)
    return os.path.commonpath([target, top]) == top
