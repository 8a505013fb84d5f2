"""``inferenceModel.py``'s page mode: which images are pages, reading them, printing and writing results."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.cli.common import make_output_folder, print_line
from mltu_ext.errors import ConfigError, ImageReadError

if TYPE_CHECKING:
    from mltu_ext.inference.recognizer import OnnxRecognizer


def split_pages(
    args: argparse.Namespace, paths: list[Path], images: list[np.ndarray | None]
) -> tuple[list[tuple[Path, np.ndarray | None]], list[Path], list[np.ndarray]]:
    """(pages as (path, image), the other paths, their images): pages by ``--page`` or by their
    shape; an image not decoded yet (None) is a page, decoded when it is read."""
    from mltu_ext.pages.page_reader import looks_like_page

    pages, other_paths, other_images = [], [], []
    for path, image in zip(paths, images, strict=True):
        if args.page or image is None or looks_like_page(image):
            pages.append((path, image))
        else:
            other_paths.append(path)
            other_images.append(image)
    if args.output and other_paths and not pages:
        raise ConfigError(
            "--output writes pages; none of the images is a page (use --page to read them as pages)"
        )
    return pages, other_paths, other_images


def output_paths(args: argparse.Namespace, paths: list[Path]) -> list[Path | None]:
    """Where each page's result goes, decided before any page is read.

    One page: ``--output`` itself when it names a file (an existing file, or a name with an
    ending), else a file in that folder. Several pages: a file each in the folder ``--output``,
    named after the page; pages whose names clash (``a/p.png`` and ``b/p.jpg``) keep their
    ending and then their folders in the name, so that no result overwrites another.
    """
    if not args.output:
        return [None] * len(paths)
    from mltu_ext.pages.writers import format_of

    target = Path(args.output)
    if len(paths) == 1 and not target.is_dir() and (target.suffix or target.exists()):
        format_of(target, args.output_format)  # an unknown ending stops here, not after the reading
        make_output_folder(target.parent)  # and so does a file in the way of its folder
        return [target]
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target}: is a file; {len(paths)} pages need a folder for --output")
    if target.suffix and not target.exists():
        raise ConfigError(
            f"{target}: names a file, but {len(paths)} pages were given; name a folder for --output"
        )
    ending = {"json": ".json", "alto": ".alto.xml", "page": ".page.xml"}[args.output_format or "json"]
    make_output_folder(target)
    return [target / f"{name}{ending}" for name in distinct_names(paths)]


def distinct_names(paths: list[Path]) -> list[str]:
    """A name for each path, unique among them: the stem, else the file name, else with its folders.

    >>> distinct_names([Path("a/p.png"), Path("b/p.png"), Path("a/q.jpg"), Path("a/q.png")])
    ['a_p.png', 'b_p.png', 'q.jpg', 'q.png']
    """
    names = [path.stem for path in paths]
    # the parts below the root ("/" or a drive), so that no name is an absolute path
    parts = [path.relative_to(path.anchor).parts if path.anchor else path.parts for path in paths]
    for depth in range(1, max(len(p) for p in parts) + 1):
        clashing = {name for name in names if names.count(name) > 1}
        if not clashing:
            return names
        names = [
            "_".join(part[-depth:]) if name in clashing else name
            for name, part in zip(names, parts, strict=True)
        ]
    # the same path given twice: the same result, written once per mention
    return names


def image_reference(image: Path, target: Path | None, name_only: bool = False) -> str:
    """How a result file names its page image: by the path from the file's folder, so that the
    package's reader finds that image again; the name alone when nothing is written, or with
    ``name_only`` (``--image-name name``: transcription platforms match an import to its image
    by the file name alone)."""
    if target is None or name_only:
        return image.name
    try:
        return Path(os.path.relpath(image.resolve(), target.resolve().parent)).as_posix()
    except ValueError:  # another drive on Windows: no relative path
        return image.resolve().as_posix()


def read_pages(
    args: argparse.Namespace,
    recognizer: OnnxRecognizer,
    pages: list[tuple[Path, np.ndarray | None]],
    several: bool,
) -> tuple[list[str], int]:
    """Segment, read, print (and with --output write) each page: (the pages' texts, how many
    pages could not be read). A page not decoded yet (None) is decoded in its turn, so that one
    page at a time is held. A page that cannot be read is an error when it is the only image;
    among several, it is named on stderr and the others are still read."""
    if not pages:
        return [], 0
    from mltu_ext.inference.model_files import shipped_path
    from mltu_ext.pages.page_reader import SHIPPED_SEGMENTER, PageReader
    from mltu_ext.pages.writers import write_page
    from mltu_ext.segment.segmenter import OnnxSegmenter

    segmenter = OnnxSegmenter(args.segmenter or shipped_path(args.models_root, SHIPPED_SEGMENTER.name))
    reader = PageReader(recognizer, segmenter, batch_size=min(args.batch_size, 16))
    targets = output_paths(args, [path for path, _ in pages])
    texts = []
    failed = 0
    progress = _progress(len(pages))
    for (path, image), target in progress(list(zip(pages, targets, strict=True))):
        try:
            image = decoded(path, image, args.max_pixels)
        except ImageReadError as error:
            if not several:
                raise
            print_line(f"error: {error}", sys.stderr)
            failed += 1
            continue
        try:
            page = reader.read(
                image, image_reference(path, target, getattr(args, "image_name", "path") == "name")
            )
        except ImageReadError as error:
            # the only one: a line found on the page is wider than the recogniser reads; its own
            # message names a crop by its place in a batch and gives a line image's advice
            problem = ImageReadError(
                f"{path}: a line found on it is too long for the model (more than "
                f"{recognizer.max_width} columns at its height of {recognizer.height}); cut the "
                "image into page-shaped parts"
            )
            if not several:
                raise problem from error
            print_line(f"error: {problem}", sys.stderr)
            failed += 1
            continue
        print_line(f"note: {path}: read as a page, {len(page.lines)} lines", sys.stderr)
        for note in page.notes:
            print_line(f"warning: {path}: {note}", sys.stderr)
        if not page.lines and max(image.shape) > 3 * min(image.shape):
            # the segmenter scales the long side to its own size, which shrinks the lines of a
            # strip or panorama below what it finds
            print_line(
                f"note: {path} is {max(image.shape) / min(image.shape):.1f} times as long as it is "
                f"wide; the segmenter sees it at {segmenter.long_side} pixels long, where its "
                "lines may be too small to find: cut it into page-shaped parts",
                sys.stderr,
            )
        dropped = 0
        for number, line in enumerate(page.lines, 1):
            shown = shown_text(line.text, line.confidence, args.min_confidence)
            dropped += shown != line.text
            text = f"{shown}\t{line.confidence:.4f}" if args.confidence else shown
            print_line(f"{table_path(path)}\t{number}\t{text}" if several else text, sys.stdout)
        if dropped:
            print_line(
                f"note: {path}: {dropped} line(s) less sure than {args.min_confidence} printed as "
                "empty (--output keeps them, with their confidences)",
                sys.stderr,
            )
        if target is not None:
            write_page(page, target, args.output_format)
            print_line(f"note: wrote {target}", sys.stderr)
        texts.append(page.text)
    return texts, failed


def decoded(path: Path, image: np.ndarray | None, max_pixels: int) -> np.ndarray:
    """``image``, or the image at ``path`` decoded now when it was left for its turn (None)."""
    from mltu_ext.data.images import read_gray

    return read_gray(str(path), max_pixels=max_pixels) if image is None else image


def table_path(path: Path) -> str:
    """``path`` as a tab-separated output row shows it: a tab, newline or other control
    character in a file name is escaped (``\\n``), so that each text stays on its own row.

    >>> table_path(Path("a\\nb.png")), table_path(Path("c d.png"))
    ('a\\\\nb.png', 'c d.png')
    """
    return "".join(
        c.encode("unicode_escape").decode() if ord(c) < 32 or ord(c) == 127 else c for c in str(path)
    )


def shown_text(text: str, confidence: float, min_confidence: float | None) -> str:
    """What is printed for a text read at ``confidence``: "" when less sure than ``min_confidence``."""
    if min_confidence is not None and text and confidence < min_confidence:
        return ""
    return text


def _progress(count: int):
    """A progress bar on stderr for several pages; none for one."""
    if count < 2:
        return lambda items: items
    from tqdm import tqdm

    return lambda items: tqdm(items, desc="pages", unit="page", file=sys.stderr)
