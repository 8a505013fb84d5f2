"""Fonts of the user's own folders, and fetching web fonts (npm faked: no network in tests)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest

from mltu_ext.cli import fetch_fonts
from mltu_ext.errors import InputFileError
from mltu_ext.synth.fonts import FONT_DIRS_ENV, scan_fonts
from mltu_ext.synth.web_fonts import fetch_family, fetched_families, unpack_fonts, wanted_members

DANCING = Path("/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf")
needs_fonts = pytest.mark.skipif(not DANCING.is_file(), reason="Debian handwriting fonts not installed")


def write_package(path: Path, members: dict[str, bytes]) -> Path:
    """A .tgz laid out as ``npm pack`` writes one: every file under ``package/``."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_unpack_keeps_the_latin_fonts_and_the_licence_only(tmp_path):
    regular, _bold, licence = wanted_members("hand")
    archive = write_package(
        tmp_path / "hand.tgz",
        {
            regular: b"regular",
            licence: b"OFL",
            "package/files/hand-cyrillic-400-normal.woff": b"cyrillic",
            "package/files/hand-latin-400-normal.woff2": b"woff2",
            "package/index.css": b"css",
        },
    )
    written = unpack_fonts(archive, "hand", tmp_path / "fonts")
    assert [p.name for p in written] == ["hand-latin-400-normal.woff"]  # no bold in this family
    assert sorted(p.name for p in (tmp_path / "fonts" / "hand").iterdir()) == [
        "LICENSE",
        "hand-latin-400-normal.woff",
    ]
    assert written[0].read_bytes() == b"regular"
    assert fetched_families(tmp_path / "fonts") == {"hand"}


def test_a_package_without_latin_fonts_is_refused_by_name(tmp_path):
    archive = write_package(tmp_path / "odd.tgz", {"package/README.md": b"not a font"})
    with pytest.raises(InputFileError, match=r"odd\.tgz: no latin WOFF files of 'hand'"):
        unpack_fonts(archive, "hand", tmp_path / "fonts")
    assert not (tmp_path / "fonts").exists()


def test_fetch_runs_npm_pack_and_names_the_package_when_it_fails(tmp_path):
    calls = []

    def fake_npm(command, cwd):
        calls.append(command)
        if command[-1] == "@fontsource/missing":
            return subprocess.CompletedProcess(command, 1, "", "npm error 404 Not Found\n")
        write_package(cwd / "fontsource-hand-5.0.0.tgz", {wanted_members("hand")[0]: b"x"})
        return subprocess.CompletedProcess(command, 0, "fontsource-hand-5.0.0.tgz\n", "")

    assert [p.name for p in fetch_family("hand", tmp_path, fake_npm)] == ["hand-latin-400-normal.woff"]
    assert calls[0][:2] == ["npm", "pack"] and calls[0][-1] == "@fontsource/hand"
    with pytest.raises(InputFileError, match=r"@fontsource/missing: npm pack failed: npm error 404"):
        fetch_family("missing", tmp_path, fake_npm)


def test_the_command_skips_fetched_families_and_reports_failures(tmp_path, monkeypatch, capsys):
    dest = tmp_path / "fonts"
    (dest / "old").mkdir(parents=True)
    (dest / "old" / "old-latin-400-normal.woff").write_bytes(b"x")
    fetched = []

    def fake_fetch(family, folder):
        if family == "bad":
            raise InputFileError("@fontsource/bad: npm pack failed: 404")
        fetched.append(family)
        return [folder / family / "f.woff"]

    monkeypatch.setattr(fetch_fonts.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(fetch_fonts, "fetch_family", fake_fetch)
    assert fetch_fonts.main([str(dest), "--families", "old", "new", "bad", "new"]) == 2
    assert fetched == ["new"]  # 'old' is there already, a repeated name is fetched once
    out, err = capsys.readouterr()
    assert "1 font files of 1 families fetched, 1 already there" in out
    assert err.splitlines()[-1] == "error: @fontsource/bad: npm pack failed: 404"


def test_the_command_needs_npm_and_a_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch_fonts.shutil, "which", lambda name: None)
    assert fetch_fonts.main([str(tmp_path / "fonts")]) == 2
    assert "npm is not installed" in capsys.readouterr().err
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert fetch_fonts.main([str(a_file)]) == 2
    assert capsys.readouterr().err == f"error: {a_file}: is a file, not a folder for fonts\n"


@needs_fonts
def test_every_font_of_a_chosen_folder_counts_whatever_its_name(tmp_path, monkeypatch):
    # FreeType tells the format from the bytes, so an OpenType file under a .woff name stands
    # in for a web font here
    shutil.copy(DANCING, tmp_path / "my-own-hand.woff")
    monkeypatch.delenv(FONT_DIRS_ENV, raising=False)
    assert scan_fonts(dirs=(str(tmp_path),))[0] == ()  # a system-like folder: names must match
    monkeypatch.setenv(FONT_DIRS_ENV, str(tmp_path))
    assert scan_fonts(dirs=(str(tmp_path),))[0] == (str(tmp_path / "my-own-hand.woff"),)


@pytest.mark.parametrize("damage", ["not a gzip file", "cut short"])
def test_a_damaged_package_is_refused_by_name_and_writes_nothing(tmp_path, damage):
    regular, bold, licence = wanted_members("hand")
    font = np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes()  # does not shrink
    whole = write_package(tmp_path / "whole.tgz", {regular: font, licence: b"OFL", bold: font})
    data = b"this is no archive" if damage == "not a gzip file" else whole.read_bytes()[:-200]

    def fake_npm(command, cwd):
        (cwd / "fontsource-hand-5.0.0.tgz").write_bytes(data)
        return subprocess.CompletedProcess(command, 0, "fontsource-hand-5.0.0.tgz\n", "")

    # the archive lies in a temporary folder that is gone by then: the message names the package
    with pytest.raises(InputFileError, match=r"^@fontsource/hand: the downloaded package cannot be read"):
        fetch_family("hand", tmp_path / "fonts", fake_npm)
    assert not (tmp_path / "fonts").exists()  # no half family that a later run would take as fetched


def woff(size: int) -> bytes:
    """Bytes that start as a WOFF file does: signature, flavour, then the file's whole length."""
    return b"wOFF" + b"\x00\x01\x00\x00" + size.to_bytes(4, "big") + bytes(size - 12)


def test_a_font_cut_short_by_an_earlier_run_is_fetched_again(tmp_path):
    regular, _bold, licence = wanted_members("hand")
    archive = write_package(tmp_path / "hand.tgz", {regular: woff(4000), licence: b"OFL"})
    dest = tmp_path / "fonts"
    (dest / "hand").mkdir(parents=True)
    (dest / "hand" / "hand-latin-400-normal.woff").write_bytes(woff(4000)[:1500])  # a download stopped
    (dest / "empty").mkdir()
    (dest / "empty" / "empty-latin-400-normal.woff").write_bytes(b"")
    assert fetched_families(dest) == set()
    unpack_fonts(archive, "hand", dest)
    assert (dest / "hand" / "hand-latin-400-normal.woff").read_bytes() == woff(4000)
    assert fetched_families(dest) == {"hand"}


def test_an_interrupted_unpack_leaves_no_half_font(tmp_path, monkeypatch):
    import mltu_ext.io.atomic

    regular, bold, licence = wanted_members("hand")
    archive = write_package(tmp_path / "hand.tgz", {regular: woff(4000), bold: woff(5000), licence: b"OFL"})
    real_replace, calls = mltu_ext.io.atomic.os.replace, []

    def interrupted(source, target):
        calls.append(target)
        if str(target).endswith(".woff"):  # Ctrl-C while the first font is written
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(mltu_ext.io.atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        unpack_fonts(archive, "hand", tmp_path / "fonts")
    assert [p.name for p in (tmp_path / "fonts" / "hand").iterdir()] == ["LICENSE"]
    assert fetched_families(tmp_path / "fonts") == set()  # fetched again next time


def test_an_npm_that_hangs_fails_its_family_alone(tmp_path):
    def hanging_npm(command, cwd):
        raise subprocess.TimeoutExpired(command, 300)

    with pytest.raises(InputFileError, match=r"^@fontsource/hand: npm pack did not finish in 300 s"):
        fetch_family("hand", tmp_path, hanging_npm)


FAKE_NPM = """#!/bin/sh
# npm pack @fontsource/NAME: copies $FAKE_PACKAGES/NAME.tgz here, as npm writes the package it fetched
name="${3#@fontsource/}"
if [ -f "$FAKE_PACKAGES/$name.tgz" ]; then
    cp "$FAKE_PACKAGES/$name.tgz" "./fontsource-$name-5.0.0.tgz" && echo "fontsource-$name-5.0.0.tgz"
    exit 0
fi
echo "npm error 404 Not Found - GET https://registry.example/@fontsource%2f$name" >&2
exit 1
"""


def run_fetch_fonts(*args: str, path: str, packages: Path) -> subprocess.CompletedProcess:
    import os
    import sys

    env = {**os.environ, "PATH": path, "FAKE_PACKAGES": str(packages)}
    command = [sys.executable, "-m", "mltu_ext.cli.fetch_fonts", *args]
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=root, timeout=120, check=False
    )


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell for the fake npm")
def test_the_command_with_an_npm_on_path_and_again_without_one(tmp_path):
    packages, bin_dir, dest = tmp_path / "packages", tmp_path / "bin", tmp_path / "fonts"
    packages.mkdir()
    bin_dir.mkdir()
    (bin_dir / "npm").write_text(FAKE_NPM)
    (bin_dir / "npm").chmod(0o755)
    regular, bold, licence = wanted_members("hand")
    write_package(packages / "hand.tgz", {regular: woff(3000), bold: woff(3100), licence: b"OFL"})
    (packages / "broken.tgz").write_bytes(b"not an archive")
    shell = str(Path(shutil.which("sh")).parent)  # sh and cp for the fake npm
    done = run_fetch_fonts(
        str(dest), "--families", "broken", "hand", "gone", path=f"{bin_dir}:{shell}", packages=packages
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: @fontsource/broken: the downloaded package cannot be read (fontsource-broken-5.0.0.tgz: "
        "not a gzip file)",
        "error: @fontsource/gone: npm pack failed: npm error 404 Not Found - GET "
        "https://registry.example/@fontsource%2fgone",
    ]
    assert sorted(p.name for p in (dest / "hand").iterdir()) == [
        "LICENSE",
        "hand-latin-400-normal.woff",
        "hand-latin-700-normal.woff",
    ]
    # everything asked for is there: a run on a machine without npm has nothing to do
    no_npm = str(tmp_path / "empty")
    done = run_fetch_fonts(str(dest), "--families", "hand", path=no_npm, packages=packages)
    assert done.returncode == 0, done.stderr
    assert "0 font files of 0 families fetched, 1 already there" in done.stdout
    done = run_fetch_fonts(str(dest), "--families", "hand", "gone", path=no_npm, packages=packages)
    assert done.returncode == 2 and done.stderr.startswith("error: npm is not installed")


def test_a_family_name_is_a_fontsource_name_never_a_path(tmp_path, capsys):
    from mltu_ext.errors import ConfigError

    def obliging_npm(command, cwd):  # a package that holds what the name asks for
        family = command[-1].removeprefix("@fontsource/")
        write_package(cwd / "package.tgz", {wanted_members(family)[0]: b"x"})
        return subprocess.CompletedProcess(command, 0, "package.tgz\n", "")

    dest = tmp_path / "fonts"
    for name in ("../escape", "a/b", "..", "Indie Flower", ""):
        with pytest.raises(ConfigError, match="Fontsource family name"):
            fetch_family(name, dest, obliging_npm)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, inside DEST or beside it
    with pytest.raises(SystemExit):
        fetch_fonts.get_args([str(dest), "--families", "caveat", "Indie Flower"])
    assert "--families: 'Indie Flower' is not a Fontsource family name" in capsys.readouterr().err


def digits_only_font(path: Path) -> Path:
    """DancingScript cut down to its digits: it opens, but draws no letter."""
    subset = pytest.importorskip("fontTools.subset")
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]
    with TTFont(DANCING) as font:  # closed after: an open file would warn at exit
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="0123456789")
        subsetter.subset(font)
        font.save(str(path))
    return path


@needs_fonts
def test_unusable_files_and_folders_of_the_chosen_folders_are_named_in_a_warning(
    tmp_path, monkeypatch, caplog
):
    import logging

    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(DANCING, mine / "good.woff")
    (mine / "empty.woff").write_bytes(b"")
    (mine / "text.TTF").write_text("not a font")
    digits_only_font(mine / "digits.otf")
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv(FONT_DIRS_ENV, f":{mine}::{missing}:")
    with caplog.at_level(logging.WARNING, logger="mltu_ext.synth.fonts"):
        usable, _ = scan_fonts(dirs=(str(mine), str(missing)))
        scan_fonts("abc", dirs=(str(mine), str(missing)))  # another scan: the same warnings are not repeated
    assert usable == (str(mine / "good.woff"),)
    warnings = sorted(r.getMessage() for r in caplog.records)
    assert len(warnings) == 4, warnings
    assert warnings[0].startswith(f"{FONT_DIRS_ENV} names {missing}, which is not a folder")
    for warning, name, why in zip(
        warnings[1:],
        ["digits.otf", "empty.woff", "text.TTF"],
        ["cannot draw 'abcdef", "cannot be opened", "cannot be opened"],
        strict=True,
    ):
        assert warning.startswith(f"font {mine / name} ({FONT_DIRS_ENV}) skipped: {why}"), warning


@needs_fonts
def test_linked_folders_of_a_chosen_folder_count_once_and_a_link_loop_ends(tmp_path, monkeypatch):
    mine, elsewhere = tmp_path / "mine", tmp_path / "elsewhere"
    (mine / "family").mkdir(parents=True)
    elsewhere.mkdir()
    shutil.copy(DANCING, elsewhere / "hand.woff")
    (mine / "linked").symlink_to(elsewhere, target_is_directory=True)  # fonts kept in another place
    (mine / "family" / "loop").symlink_to(mine, target_is_directory=True)
    monkeypatch.setenv(FONT_DIRS_ENV, str(mine))
    assert scan_fonts(dirs=(str(mine),)) == ((str(mine / "linked" / "hand.woff"),), ())
    # the folder named twice, and a folder inside it named too: each file is looked at once, so
    # none is reported as a copy of itself
    dirs = (str(mine), str(mine), str(elsewhere))
    monkeypatch.setenv(FONT_DIRS_ENV, ":".join(dirs))
    assert scan_fonts(dirs=dirs) == ((str(elsewhere / "hand.woff"),), ())


def test_the_folder_is_printed_ready_to_paste_and_one_the_variable_cannot_hold_is_refused(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(fetch_fonts.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(fetch_fonts, "fetch_family", lambda family, folder: [folder / family / "f.woff"])
    spaced = tmp_path / "my fonts"
    assert fetch_fonts.main([str(spaced), "--families", "caveat"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line == f"use them: export MLTU_EXT_FONT_DIRS='{spaced.resolve()}'"
    # the variable separates folders with ':', so such a folder could never be named in it
    assert fetch_fonts.main([str(tmp_path / "a:b"), "--families", "caveat"]) == 2
    err = capsys.readouterr().err
    assert "a:b" in err and "':'" in err and "MLTU_EXT_FONT_DIRS" in err
    assert not (tmp_path / "a:b").exists()
