"""Fetch more handwriting fonts for the renderer (npm's Fontsource packages; needs npm).

python -m mltu_ext.cli.fetch_fonts Datasets/fonts              # about 70 families
python -m mltu_ext.cli.fetch_fonts Datasets/fonts --families caveat kalam
export MLTU_EXT_FONT_DIRS=$PWD/Datasets/fonts                   # the renderer then uses them

Families already in the folder are kept. Each family's folder keeps its licence
(SIL Open Font Licence).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path

from mltu_ext.cli.common import run_command
from mltu_ext.errors import ConfigError, InputFileError
from mltu_ext.synth.fonts import FONT_DIRS_ENV
from mltu_ext.synth.web_fonts import HANDWRITING_FAMILIES, check_family, fetch_family, fetched_families


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.cli.fetch_fonts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dest", help="folder to put the fonts in (one folder per family)")
    parser.add_argument(
        "--families",
        nargs="+",
        metavar="NAME",
        type=_family,
        help="Fontsource family names such as caveat or indie-flower (default: the package's list)",
    )
    return parser.parse_args(argv)


def _family(text: str) -> str:
    """An argparse type: a Fontsource family name (:func:`check_family`)."""
    try:
        return check_family(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    """Fetch the families not yet in ``dest``; 0 when all are there, 2 when some failed."""
    from tqdm import tqdm

    dest = Path(args.dest)
    if dest.exists() and not dest.is_dir():
        raise InputFileError(f"{dest}: is a file, not a folder for fonts")
    if os.pathsep in str(dest.resolve()):  # the variable's separator: the folder could never be named
        raise ConfigError(
            f"{dest}: a folder whose path holds {os.pathsep!r} cannot be named in {FONT_DIRS_ENV}; "
            "choose another folder"
        )
    families = list(dict.fromkeys(args.families or HANDWRITING_FAMILIES))
    have = fetched_families(dest)
    todo = [f for f in families if f not in have]
    if todo and shutil.which("npm") is None:  # a re-run with all families there needs no npm
        raise ConfigError(
            "npm is not installed: it downloads the font packages (Debian: apt-get install npm)"
        )
    failed: list[str] = []
    fonts = 0
    for family in tqdm(todo, desc="fonts", unit="family", disable=not todo):
        try:
            fonts += len(fetch_family(family, dest))
        except InputFileError as error:
            failed.append(str(error))
    fetched = len(todo) - len(failed)
    print(f"{dest}: {fonts} font files of {fetched} families fetched, {len(have)} already there")
    for line in failed:
        print(f"error: {line}", file=sys.stderr)
    if failed:
        return 2
    print(f"use them: export {FONT_DIRS_ENV}={shlex.quote(str(dest.resolve()))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m mltu_ext.cli.fetch_fonts``: 0 on success, 2 with the families that failed."""
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
