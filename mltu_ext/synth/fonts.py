"""Find handwriting-style fonts installed on this machine."""

from __future__ import annotations

import functools
import os
from pathlib import Path

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
FONT_DIRS_ENV = "MLTU_EXT_FONT_DIRS"  # extra font folders, separated by ':'


def font_dirs() -> tuple[str, ...]:
    """Folders searched for fonts: ``$MLTU_EXT_FONT_DIRS`` first, then the system's."""
    extra = tuple(d for d in os.environ.get(FONT_DIRS_ENV, "").split(os.pathsep) if d)
    return extra + FONT_DIRS


# file-name stems of the handwriting fonts from the Debian packages that
# scripts/install.sh installs; capitals-only fonts (Humor Sans, bwht) are left out
HANDWRITING_PATTERNS = (
    "DancingScript",
    "KaushanScript",
    "Breip",
    "ComicNeue",
    "dkg-handwriting",
    "Kristi",
    "EcolierCourt",
    "ecolier",
    "sjfonts",
    "Stephen",
    "Rufscript",
    "FemkeKlaver",
    "Lobster",
    "LeckerliOne",
)

# every font must draw these, or it is skipped
REQUIRED_GLYPHS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,-'"

HERSHEY = "hershey"  # name of the OpenCV fallback


def _matches(path: Path) -> bool:
    name = path.name.lower()
    return any(pattern.lower() in name for pattern in HANDWRITING_PATTERNS)


def _draws_all(path: Path, glyphs: str) -> bool:
    """True when Pillow can load the font and every glyph has its own, non-empty shape."""
    from PIL import ImageFont

    try:
        font = ImageFont.truetype(str(path), 32)
    except OSError:
        return False
    missing = font.getmask("\uffff").getbbox()  # what the font draws for a missing glyph
    fallback = bytes(font.getmask("\uffff")) if missing else None
    for char in glyphs:
        mask = font.getmask(char)
        if mask.getbbox() is None:
            return False
        if fallback is not None and bytes(mask) == fallback:
            return False
    return True


def find_fonts(glyphs: str = REQUIRED_GLYPHS, dirs: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Handwriting fonts (TTF/OTF paths) that draw every character of ``glyphs``, sorted."""
    return _find_fonts(glyphs, font_dirs() if dirs is None else tuple(dirs))


@functools.lru_cache(maxsize=8)
def _find_fonts(glyphs: str, dirs: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for folder in dirs:
        root = Path(folder)
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.suffix.lower() in (".ttf", ".otf") and _matches(path) and _draws_all(path, glyphs):
                found.append(str(path))
    return tuple(sorted(set(found)))


def font_name(path: str) -> str:
    """A short writer-like name for a font file (``hershey`` for the fallback)."""
    return HERSHEY if path == HERSHEY else Path(path).stem


def font_family(path: str) -> str:
    """The family a font file belongs to: its name up to the first '-' or digit, lower case."""
    stem = Path(path).stem.lower()
    for i, char in enumerate(stem):
        if char == "-" or char.isdigit():
            return stem[:i] or stem
    return stem.removesuffix("font")
