"""Find handwriting-style fonts installed on this machine (else OpenCV's Hershey script).

Fonts are found by file name, not through fontconfig, and listed sorted, so
every process (and every machine with the same Debian packages) agrees on the
list and on what a seed renders.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
FONT_DIRS_ENV = "MLTU_EXT_FONT_DIRS"  # extra font folders, separated by ':'
# FreeType (inside Pillow) opens WOFF as well, the form web font packages ship
FONT_SUFFIXES = (".ttf", ".otf", ".woff")


def chosen_font_dirs() -> tuple[str, ...]:
    """The folders named in ``$MLTU_EXT_FONT_DIRS``: every font in them is taken as handwriting."""
    return tuple(d for d in os.environ.get(FONT_DIRS_ENV, "").split(os.pathsep) if d)


def font_dirs() -> tuple[str, ...]:
    """Folders searched for fonts: ``$MLTU_EXT_FONT_DIRS`` first, then the system's."""
    return chosen_font_dirs() + FONT_DIRS


# Start of the file name (lower case, letters and digits only) of each font in
# the Debian packages that scripts/install.sh installs, with its package.
# Capitals-only fonts (fonts-humor-sans, fonts-bwht) are not listed.
HANDWRITING_PATTERNS = {
    "dancingscript": "fonts-dancingscript",  # DancingScript-Regular.otf, -Bold
    "kaushanscript": "fonts-kaushanscript",
    "breip": "fonts-breip",  # Breip.ttf and breipfont.ttf: one font, kept once
    "comicneue": "fonts-comic-neue",
    "dkg": "fonts-dkg-handwriting",  # dkg.ttf, dkgBd.ttf, dkgIt.ttf, dkgBI.ttf
    "kristi": "fonts-kristi",
    "ecolier": "fonts-ecolier-court",
    "delphine": "fonts-sjfonts",
    "stevehand": "fonts-sjfonts",
    "rufscript": "fonts-rufscript",
    "femkeklaver": "fonts-femkeklaver",
    "lobster": "fonts-lobster",
    "leckerli": "fonts-leckerli-one",
}

# every font must draw these, or it is skipped
REQUIRED_GLYPHS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,-"

HERSHEY = "hershey"  # the OpenCV fallback; either of its two script faces
HERSHEY_FONTS = ("hershey-script-complex", "hershey-script-simplex")

_MISSING_PROBE = "\uffff"  # a non-character: what a font draws for it is its missing glyph


def is_hershey(font: str) -> bool:
    """True for ``"hershey"`` and the names in ``HERSHEY_FONTS``."""
    return font == HERSHEY or font in HERSHEY_FONTS


def _stem_key(path: Path) -> str:
    return "".join(c for c in path.stem.lower() if c.isalnum())


def _matches(path: Path) -> bool:
    key = _stem_key(path)
    return any(key.startswith(pattern) for pattern in HANDWRITING_PATTERNS)


def missing_glyphs(path: str | Path, glyphs: str = REQUIRED_GLYPHS) -> str:
    """The characters of ``glyphs`` that the font file cannot draw ('' when it draws all).

    A character is missing when it draws nothing, draws the font's
    missing-glyph box, or (a letter) draws the same as its other case, which
    is how capitals-only fonts fill their lower-case slots.
    Raises OSError when Pillow cannot open the file.
    """
    from PIL import ImageFont

    font = ImageFont.truetype(str(path), 32)

    @functools.cache
    def drawn(char: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(char)
        return mask.size, bytes(mask)

    notdef = drawn(_MISSING_PROBE)
    missing = []
    for char in glyphs:
        if char.isspace():
            continue
        size, pixels = drawn(char)
        empty = 0 in size or not any(pixels)
        other = char.swapcase()
        same_case = other != char and len(other) == 1 and drawn(other) == (size, pixels)
        if empty or (size, pixels) == notdef or same_case:
            missing.append(char)
    return "".join(missing)


def scan_fonts(
    glyphs: str = REQUIRED_GLYPHS, dirs: tuple[str, ...] | None = None
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(usable font paths, (path, why skipped) pairs) for the handwriting fonts in ``dirs``.

    In the system's folders only the fonts of ``HANDWRITING_PATTERNS`` count
    (they hold many fonts that are not handwriting); in the folders of
    ``$MLTU_EXT_FONT_DIRS`` every TTF, OTF or WOFF file does, since the user
    put them there. Usable fonts are sorted by file name; a font whose family
    and style repeat an earlier one (the same font under two names) is skipped.
    A file of those folders that does not open or lacks letters of
    ``REQUIRED_GLYPHS``, and a folder of ``$MLTU_EXT_FONT_DIRS`` that is not
    one, are named in a warning (once per process); other skips are logged as info.
    """
    return _scan(glyphs, font_dirs() if dirs is None else tuple(dirs), chosen_font_dirs())


@functools.lru_cache(maxsize=8)
def _scan(
    glyphs: str, dirs: tuple[str, ...], chosen: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    from PIL import ImageFont

    candidates: list[Path] = []
    mine: set[Path] = set()  # the files of the user's own folders, which are all meant as fonts
    for folder in dirs:
        root = Path(folder).expanduser()
        every = folder in chosen
        if not root.is_dir():
            if every:  # a typing slip in $MLTU_EXT_FONT_DIRS would lose its fonts without a word
                _warn_once(folder, f"{FONT_DIRS_ENV} names {folder}, which is not a folder: no fonts from it")
            continue
        # the user's folders through their links to folders too (fonts kept elsewhere, linked in)
        files = _walk(root) if every else root.rglob("*")
        found = [p for p in files if p.suffix.lower() in FONT_SUFFIXES and (every or _matches(p))]
        candidates += found
        if every:
            mine.update(found)
    # sorted by name (then folder), so the same font in two folders is kept once, the same way;
    # a file reached twice (a folder named twice, or inside another one named) is looked at once
    candidates.sort(key=lambda p: (p.name.lower(), str(p)))
    candidates = _first_of_each_file(candidates)
    usable: list[str] = []
    skipped: list[tuple[str, str]] = []
    seen: dict[tuple[str | None, str | None], str] = {}
    unusable: set[str] = set()  # fonts that open not, or lack basic Latin: no text can use them
    for path in candidates:
        try:
            family_style = ImageFont.truetype(str(path), 16).getname()
            missing = missing_glyphs(path, glyphs)
        except OSError as error:
            skipped.append((str(path), f"cannot be opened ({error})"))
            unusable.add(str(path))
            continue
        if family_style in seen:
            skipped.append((str(path), f"same font as {seen[family_style]}"))
        elif missing:
            skipped.append((str(path), f"cannot draw {missing!r}"))
            if set(missing) & set(REQUIRED_GLYPHS):  # one that lacks only accents draws other texts
                unusable.add(str(path))
        else:
            seen[family_style] = str(path)
            usable.append(str(path))
    for path, why in skipped:
        if path in unusable and Path(path) in mine:  # the user's own folders hold fonts only
            _warn_once(path, f"font {path} ({FONT_DIRS_ENV}) skipped: {why}")
        else:
            logger.info("font %s skipped: %s", path, why)
    return tuple(usable), tuple(skipped)


def _first_of_each_file(paths: list[Path]) -> list[Path]:
    """``paths`` in their order, less those that name a file an earlier one names (through links)."""
    reached: set[str] = set()
    kept = []
    for path in paths:
        real = os.path.realpath(path)
        if real not in reached:
            reached.add(real)
            kept.append(path)
    return kept


def _walk(root: Path) -> list[Path]:
    """Every file under ``root``, following links to folders, each folder once (a loop of links ends)."""
    files: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        try:
            info = os.stat(folder)
        except OSError:  # gone or unreadable since it was listed: nothing to take from it
            subfolders.clear()
            continue
        if (info.st_dev, info.st_ino) in seen:
            subfolders.clear()
            continue
        seen.add((info.st_dev, info.st_ino))
        files += [Path(folder, name) for name in names]
    return files


_warned: set[str] = set()  # the files and folders already warned about in this process


def _warn_once(key: str, message: str) -> None:
    """Log ``message`` as a warning the first time it is said about ``key`` (a path)."""
    if key not in _warned:
        _warned.add(key)
        logger.warning("%s", message)


def find_fonts(glyphs: str = REQUIRED_GLYPHS, dirs: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Handwriting fonts (TTF/OTF/WOFF paths) that draw every character of ``glyphs``, sorted by name.

    >>> find_fonts(dirs=("/nonexistent",))
    ()
    """
    return scan_fonts(glyphs, dirs)[0]


@functools.cache
def warn_hershey_fallback() -> None:
    """Say once per process that OpenCV's Hershey fonts stand in for missing font files."""
    logger.warning(
        "no handwriting fonts found in %s (scripts/install.sh installs them from Debian "
        "packages); rendering with OpenCV's Hershey script fonts instead",
        ", ".join(font_dirs()),
    )


def font_name(path: str) -> str:
    """A short writer-like name for a font: the file's stem, or the Hershey face's name."""
    return path if is_hershey(path) else Path(path).stem


@functools.lru_cache(maxsize=256)
def font_family(path: str) -> str:
    """The family a font belongs to (its internal family name), so weights can be grouped."""
    if is_hershey(path):
        return HERSHEY
    from PIL import ImageFont

    try:
        family = ImageFont.truetype(path, 16).getname()[0]
    except OSError:
        family = None
    return (family or Path(path).stem).lower()
