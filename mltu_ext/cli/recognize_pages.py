"""``inferenceModel.py``'s page mode: which images are pages, reading them, printing and writing results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mltu_ext.errors import ConfigError


def split_pages(
    args: argparse.Namespace, paths: list[Path], images: list[np.ndarray]
) -> tuple[list[tuple[Path, np.ndarray]], list[Path], list[np.ndarray]]:
    """(pages as (path, image), the other paths, their images): pages by ``--page`` or by their shape."""
    from mltu_ext.pages.page_reader import looks_like_page

    pages, other_paths, other_images = [], [], []
    for path, image in zip(paths, images, strict=True):
        if args.page or looks_like_page(image):
            pages.append((path, image))
        else:
            other_paths.append(path)
            other_images.append(image)
    if args.output and other_paths and not pages:
        raise ConfigError(
            "--output writes pages; none of the images is a page (use --page to read them as pages)"
        )
    return pages, other_paths, other_images


def _output_path(args: argparse.Namespace, path: Path, count: int) -> Path | None:
    """Where the result of the page at ``path`` goes: --output itself for one page, else a file in it."""
    if not args.output:
        return None
    from mltu_ext.pages.writers import format_of

    target = Path(args.output)
    if count == 1 and not target.is_dir() and target.suffix:
        return target
    fmt = args.output_format or "json"
    ending = {"json": ".json", "alto": ".alto.xml", "page": ".page.xml"}[fmt]
    target.mkdir(parents=True, exist_ok=True)
    chosen = target / f"{path.stem}{ending}"
    format_of(chosen, args.output_format)  # the same check as for a named file
    return chosen


def read_pages(
    args: argparse.Namespace, recognizer, pages: list[tuple[Path, np.ndarray]], several: bool
) -> list[str]:
    """Segment, read, print (and with --output write) each page; the pages' texts."""
    if not pages:
        return []
    from mltu_ext.pages.page_reader import SHIPPED_SEGMENTER, PageReader
    from mltu_ext.pages.writers import write_page
    from mltu_ext.segment.segmenter import OnnxSegmenter

    segmenter = OnnxSegmenter(args.segmenter or Path(args.models_root) / SHIPPED_SEGMENTER.name)
    reader = PageReader(recognizer, segmenter, batch_size=min(args.batch_size, 16))
    texts = []
    progress = _progress(len(pages))
    for path, image in progress(pages):
        page = reader.read(image, path.name)
        print(f"note: {path}: read as a page, {len(page.lines)} lines", file=sys.stderr)
        for number, line in enumerate(page.lines, 1):
            text = f"{line.text}\t{line.confidence:.4f}" if args.confidence else line.text
            print(f"{path}\t{number}\t{text}" if several else text)
        target = _output_path(args, path, len(pages))
        if target is not None:
            write_page(page, target, args.output_format)
            print(f"note: wrote {target}", file=sys.stderr)
        texts.append(page.text)
    return texts


def _progress(count: int):
    """A progress bar on stderr for several pages; none for one."""
    if count < 2:
        return lambda items: items
    from tqdm import tqdm

    return lambda items: tqdm(items, desc="pages", unit="page", file=sys.stderr)
