"""More handwriting fonts for the renderer: the open-licence web fonts of npm's Fontsource packages.

The Debian packages that scripts/install.sh installs give about a dozen
handwriting families; rendered lines drawn in them teach a model few hands.
Each ``@fontsource/<family>`` package holds a Google Fonts family (SIL Open
Font Licence) as WOFF files; this module unpacks the Latin-alphabet files
(regular and, where the family has it, bold) and the licence into a folder of
its own, which ``$MLTU_EXT_FONT_DIRS`` then names. The fonts are fetched on the
user's machine, never shipped with the package.
"""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

from mltu_ext.errors import ConfigError, InputFileError
from mltu_ext.io.atomic import replacing

# Families of handwriting (print, cursive, marker and a few formal scripts) whose
# Latin subset draws French and German text; missing glyphs are checked again
# when the fonts are scanned, so a family that lacks one is skipped there.
HANDWRITING_FAMILIES = (
    "alex-brush", "allura", "annie-use-your-telescope", "architects-daughter", "bad-script",
    "birthstone", "caveat", "caveat-brush", "cedarville-cursive", "chilanka", "condiment",
    "cookie", "corinthia", "courgette", "covered-by-your-grace", "damion", "delicious-handrawn",
    "delius", "ephesis", "gaegu", "gloria-hallelujah", "gochi-hand", "grand-hotel", "great-vibes",
    "handlee", "herr-von-muellerhoff", "homemade-apple", "indie-flower", "italianno", "itim",
    "kalam", "licorice", "mansalva", "marck-script", "monsieur-la-doulaise", "montecarlo",
    "mr-de-haviland", "ms-madi", "nanum-brush-script", "nanum-pen-script", "neucha", "oooh-baby",
    "pacifico", "parisienne", "patrick-hand", "permanent-marker", "pinyon-script", "playpen-sans",
    "poor-story", "reenie-beanie", "rochester", "rock-salt", "sacramento", "satisfy",
    "schoolbell", "shadows-into-light", "shantell-sans", "short-stack", "smooch", "sriracha",
    "sue-ellen-francisco", "swanky-and-moo-moo", "tangerine", "the-girl-next-door", "whisper",
    "yellowtail", "yomogi", "zen-kurenaido",
)  # fmt: skip
WEIGHTS = ("400", "700")  # regular and bold, where the family has them
SUBSET = "latin"  # Basic Latin and Latin-1 (French and German letters), with œ and typographic quotes

NPM_TIMEOUT = 300  # seconds one ``npm pack`` may take (a family's package is a few MB)

# (command, working folder) -> finished process; tests put a fake npm here
Runner = Callable[[list[str], Path], subprocess.CompletedProcess]


def _npm(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False)


# a Fontsource package's name after "@fontsource/": lower case, digits and hyphens
FAMILY_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def check_family(family: str) -> str:
    """``family`` when it is a Fontsource family name, else ConfigError: the name becomes a folder
    in DEST and part of the package name, so "../x" or "Indie Flower" must not reach either.

    >>> check_family("indie-flower")
    'indie-flower'
    """
    if not FAMILY_NAME.fullmatch(family):
        raise ConfigError(
            f"{family!r} is not a Fontsource family name: lower case, digits and hyphens, "
            "such as indie-flower for Indie Flower"
        )
    return family


def package_name(family: str) -> str:
    """The npm package that holds ``family``: ``caveat`` -> ``@fontsource/caveat``."""
    return f"@fontsource/{family}"


def wanted_members(family: str) -> tuple[str, ...]:
    """The files of a family's package to keep: its Latin WOFF files of ``WEIGHTS`` and its licence."""
    fonts = [f"package/files/{family}-{SUBSET}-{w}-normal.woff" for w in WEIGHTS]
    return (*fonts, "package/LICENSE")


def unpack_fonts(archive: Path, family: str, dest: Path) -> list[Path]:
    """Copy a package archive's wanted files into ``dest/<family>/``; the font files written.

    Raises InputFileError naming the package when the archive cannot be read (damaged, cut
    short) or holds none of the family's Latin fonts (not a Fontsource font, or another
    layout); nothing is written then.
    """
    wanted = set(wanted_members(family))
    # every wanted file is read before any is written: a damaged archive leaves no half
    # family behind, which a later run would take for one already fetched
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name in wanted]
            contents = {Path(m.name).name: _read_member(tar, m) for m in members}
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise InputFileError(
            f"{package_name(family)}: the downloaded package cannot be read ({archive.name}: {error})"
        ) from None
    if not any(name.endswith(".woff") for name in contents):
        raise InputFileError(
            f"{package_name(family)}: {archive.name}: no {SUBSET} WOFF files of {family!r} in this package"
        )
    folder = dest / family
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    # each file whole or not at all (a temporary name that is no .woff, then renamed), the
    # licence first: a run stopped half-way leaves no font that a later run would take as fetched
    for name in sorted(contents, key=lambda n: n.endswith(".woff")):
        target = folder / name
        with replacing(target, suffix=".part") as tmp:
            tmp.write_bytes(contents[name])
        if target.suffix == ".woff":
            written.append(target)
    return written


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    source = tar.extractfile(member)
    return b"" if source is None else source.read()  # None for no regular file: those were left out


def fetch_family(family: str, dest: Path, runner: Runner = _npm) -> list[Path]:
    """Download ``family``'s package with ``npm pack`` and unpack its fonts into ``dest/<family>/``.

    Raises InputFileError with npm's own message when the download fails, ConfigError for a
    name that is no Fontsource family name (:func:`check_family`).
    """
    check_family(family)
    with tempfile.TemporaryDirectory() as work:
        try:
            done = runner(["npm", "pack", "--silent", package_name(family)], Path(work))
        except subprocess.TimeoutExpired as error:  # a stalled download: the other families go on
            raise InputFileError(
                f"{package_name(family)}: npm pack did not finish in {error.timeout:g} s"
            ) from None
        archives = sorted(Path(work).glob("*.tgz"))
        if done.returncode != 0 or not archives:
            why = (done.stderr or done.stdout or "no archive").strip().splitlines()
            raise InputFileError(f"{package_name(family)}: npm pack failed: {why[-1] if why else '?'}")
        return unpack_fonts(archives[0], family, dest)


def fetched_families(dest: Path) -> set[str]:
    """Families already in ``dest`` (a folder with at least one whole WOFF file each): not fetched again."""
    if not dest.is_dir():
        return set()
    return {d.name for d in dest.iterdir() if d.is_dir() and any(map(_whole, d.glob("*.woff")))}


def _whole(path: Path) -> bool:
    """False for an empty file and for a WOFF file of another length than its header gives (a
    download or copy cut short, which FreeType cannot open); True for any other file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return False
    if head[:4] == b"wOFF":  # the header's third field is the whole file's length
        return len(head) == 12 and int.from_bytes(head[8:12], "big") == size
    return size > 0
