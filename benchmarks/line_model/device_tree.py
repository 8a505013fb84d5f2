"""Keep the working tree that a device call copies small enough to stage the training data.

Every device call copies the tracked files of the checkout plus the paths it carries, 64 MiB in
all. The shipped models and the packed split weights of earlier runs (about 50 MB) leave too
little room for the 16 MiB parts of ``.devdata`` that ``device_long.sh stage`` brings. ``aside``
moves every tracked file of at least ``--min-kb`` that the chain does not read (anything named
with ``--keep`` stays, such as the ``INIT_NPZ`` of the lease) into ``.aside/`` (git-ignored, so
it does not travel), with a manifest; ``back`` moves them home and checks that git sees every
tracked file again. Run ``back`` before any commit.

    python benchmarks/line_model/device_tree.py aside --keep "$INIT_NPZ"
    ... the stage, start and wait calls ...
    python benchmarks/line_model/device_tree.py back
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ASIDE = ".aside"
MANIFEST = "manifest.json"


class TreeError(RuntimeError):
    """The tree is not in the state the step needs (files already aside, or not all back)."""


def tracked_files(repo: Path) -> list[str]:
    """The paths git tracks in ``repo``, relative to it."""
    out = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], check=True, capture_output=True).stdout
    return [name for name in out.decode("utf-8").split("\0") if name]


def tree_bytes(repo: Path) -> int:
    """Bytes of the tracked files that are in the tree now (what a device call copies)."""
    return sum((repo / name).stat().st_size for name in tracked_files(repo) if (repo / name).is_file())


def move_aside(repo: Path, keep: list[str], min_bytes: int) -> dict:
    """Move tracked files of at least ``min_bytes`` (not in ``keep``) to ``repo/.aside``."""
    aside = repo / ASIDE
    if (aside / MANIFEST).exists():
        raise TreeError(f"{aside / MANIFEST} exists: files are aside already; run `back` first")
    kept = {str(Path(name)) for name in keep}
    before = tree_bytes(repo)
    moved = []
    for name in tracked_files(repo):
        path = repo / name
        if name in kept or not path.is_file() or path.stat().st_size < min_bytes:
            continue
        target = aside / name
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
        moved.append(name)
    (aside / MANIFEST).write_text(json.dumps(moved, indent=1), encoding="utf-8")
    return {"moved": len(moved), "bytes_before": before, "bytes_after": tree_bytes(repo)}


def move_back(repo: Path) -> dict:
    """Move the files of the manifest home; refuse when git then misses a tracked file."""
    aside = repo / ASIDE
    manifest = aside / MANIFEST
    if not manifest.exists():
        raise TreeError(f"no {manifest}: nothing is aside")
    moved = json.loads(manifest.read_text(encoding="utf-8"))
    for name in moved:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (aside / name).rename(repo / name)
    missing = [name for name in tracked_files(repo) if not (repo / name).exists()]
    if missing:
        raise TreeError(f"tracked files still missing after `back`: {missing[:5]}")
    manifest.unlink()
    return {"moved_back": len(moved), "bytes": tree_bytes(repo)}


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout (default: this one)")
    commands = parser.add_subparsers(dest="command", required=True)
    aside = commands.add_parser("aside", help="move the large tracked files out of the copied tree")
    aside.add_argument("--keep", nargs="*", default=[], help="paths (from the repository root) to leave")
    aside.add_argument("--min-kb", type=int, default=256, help="smallest file moved, in KiB")
    commands.add_parser("back", help="move them home")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    if args.command == "aside":
        return move_aside(args.repo, args.keep, args.min_kb * 1024)
    return move_back(args.repo)


def main(argv: list[str] | None = None) -> None:
    try:
        print(json.dumps(run(get_args(argv))))
    except TreeError as error:
        sys.exit(f"device_tree.py: {error}")


if __name__ == "__main__":
    main()
