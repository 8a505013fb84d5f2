"""Build a labelled dataset of rendered words: images/ + labels.csv (+ synth.json).

Work is cut into chunks of ``CHUNK`` samples; chunk k draws from a generator
seeded with (seed, k * CHUNK), so labels and pixels depend on the seed only,
never on how many worker processes rendered them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mltu_ext.errors import ConfigError, OutputWriteError
from mltu_ext.synth.fonts import HERSHEY_FONTS, find_fonts, font_name, warn_hershey_fallback
from mltu_ext.synth.render import pick_font, render_line, render_text
from mltu_ext.synth.words import load_words, make_label

CHUNK = 250  # samples per work unit; fixed, so the output does not depend on the worker count
FORMAT_VERSION = 2  # bump when rendering changes, so old folders are rendered again
COLUMNS = ("file_name", "text", "writer_id", "split")
_IMAGE_NAME = re.compile(r"\d{6,}\.png")


def _init_worker() -> None:
    # one OpenCV thread per process: the pool already uses every core
    cv2.setNumThreads(1)


def render_label(text: str, rng: np.random.Generator, font: str, height: int) -> np.ndarray:
    """One label as an image: a word with render_text, several words with render_line."""
    if any(c.isspace() for c in text.strip()):
        return render_line(text, rng, font, height)
    return render_text(text.strip(), rng, font, height)


def _render_chunk(job: tuple) -> list[tuple[str, str, str]]:
    """Render samples start..start+count-1 into out_dir/images; returns their CSV rows."""
    out_dir, seed, start, count, height, fonts, texts, digits = job
    rng = np.random.default_rng([seed, start])
    words = None if texts else load_words()
    rows = []
    for index in range(start, start + count):
        text = texts[int(rng.integers(len(texts)))] if texts else make_label(rng, words)
        font = pick_font(rng, fonts)
        image = render_label(text, rng, font, height)
        rows.append((write_image(out_dir, index, digits, image), text, font_name(font)))
    return rows


def write_image(out_dir: str, index: int, digits: int, image: np.ndarray) -> str:
    """Write sample ``index`` as out_dir/images/NNNNNN.png; returns its name relative to out_dir."""
    name = f"images/{index:0{digits}d}.png"
    if not cv2.imwrite(os.path.join(out_dir, name), image):
        raise OutputWriteError(f"{os.path.join(out_dir, name)}: cannot write the image")
    return name


def held_out(num_samples: int, val_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of the validation rows: a seeded choice of round(n * val_fraction) rows.

    At least one row (and at most n - 1) is held out when ``val_fraction`` > 0 and n > 1.

    >>> int(held_out(40, 0.1, seed=0).sum())
    4
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction}")
    count = round(num_samples * val_fraction)
    if val_fraction > 0 and num_samples > 1:
        count = min(max(count, 1), num_samples - 1)
    mask = np.zeros(num_samples, bool)
    mask[np.random.default_rng([seed, 7]).permutation(num_samples)[:count]] = True
    return mask


def _is_complete(out_dir: Path, params: dict) -> bool:
    """True when out_dir holds a finished build with exactly these parameters."""
    stamp, labels = out_dir / "synth.json", out_dir / "labels.csv"
    if not (stamp.is_file() and labels.is_file()):
        return False
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) != params:
            return False
    except json.JSONDecodeError:
        return False
    with labels.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return len(rows) == params["num_samples"] and all((out_dir / row["file_name"]).is_file() for row in rows)


def build_synthetic_dataset(
    out_dir: str | Path,
    num_samples: int,
    seed: int = 0,
    val_fraction: float = 0.1,
    height: int = 64,
    workers: int | None = None,
    texts: Sequence[str] | None = None,
) -> Path:
    """Render ``num_samples`` word images into ``out_dir`` and return the folder.

    Writes ``images/NNNNNN.png`` and ``labels.csv`` with columns file_name
    (relative to ``out_dir``), text, writer_id (the font's name, so the data
    can be split by font) and split ("train", or "val" for a fixed seeded
    share of ``val_fraction``), plus ``synth.json`` with the parameters.
    Labels are English words dressed up as people write them, or drawn from
    ``texts`` when given (fonts that cannot draw all their characters are left
    out). The same arguments give the same labels and pixels for any
    ``workers`` (default: all cores); a folder already built with the same
    arguments is reused, one built with others is rendered again.

    >>> folder = build_synthetic_dataset("Datasets/synth", 1000, seed=0)  # doctest: +SKIP
    >>> (folder / "labels.csv").is_file()  # doctest: +SKIP
    True
    """
    if num_samples <= 0:
        raise ConfigError(f"num_samples must be positive, got {num_samples}")
    if height < 8:
        raise ConfigError(f"height must be at least 8 pixels, got {height}")
    out_dir = Path(out_dir)
    texts = sorted({t.strip() for t in texts if t.strip()}) if texts else None
    fonts = find_fonts(_glyphs(texts)) if texts else find_fonts()
    if not fonts:
        if texts and not all(c.isascii() for c in _glyphs(texts)):
            raise ConfigError(
                f"{out_dir}: no installed handwriting font draws {_glyphs(texts)!r}, and OpenCV's "
                "fallback fonts draw ASCII only"
            )
        warn_hershey_fallback()
        fonts = HERSHEY_FONTS
    params = {
        "num_samples": num_samples,
        "seed": seed,
        "val_fraction": val_fraction,
        "height": height,
        "fonts": [font_name(f) for f in fonts],
        "texts": hashlib.sha1("\n".join(texts).encode()).hexdigest() if texts else None,
        "version": FORMAT_VERSION,
    }
    split = held_out(num_samples, val_fraction, seed)  # checks val_fraction before anything is cleared
    if not prepare_folder(out_dir, params):
        return out_dir
    digits = image_digits(num_samples)
    jobs = [
        (str(out_dir), seed, start, min(CHUNK, num_samples - start), height, fonts, texts, digits)
        for start in range(0, num_samples, CHUNK)
    ]
    rows = run_chunks(_render_chunk, jobs, [job[3] for job in jobs], workers, "rendering handwriting")
    write_labels(out_dir, rows, split, params)
    return out_dir


def prepare_folder(out_dir: Path, params: dict) -> bool:
    """False when out_dir already holds a finished build with ``params``; else clear it for one, True."""
    if _is_complete(out_dir, params):
        return False
    _clear_previous_build(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    return True


def image_digits(num_samples: int) -> int:
    """Digits of the image numbers: at least 6, so names sort as numbers."""
    return max(6, len(str(num_samples - 1)))


def run_chunks(
    render: Callable[[tuple], list[tuple[str, str, str]]],
    jobs: Sequence[tuple],
    counts: Sequence[int],
    workers: int | None,
    desc: str,
) -> list[tuple[str, str, str]]:
    """The rows of ``render(job)`` for every job, in job order, from a pool of ``workers`` processes.

    ``render`` must be a module-level function (the pool pickles it); ``counts``
    are the samples per job, for the progress bar.
    """
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers > 1 and not spawn_can_start():
        print(
            "note: the main script is not a file (python - or -c); new processes could not "
            "import it, so rendering runs in this process",
            file=sys.stderr,
        )
        workers = 1
    rows: list[tuple[str, str, str]] = []
    with tqdm(total=sum(counts), desc=desc, unit="img") as bar:
        if workers <= 1:
            for job, count in zip(jobs, counts, strict=True):
                rows.extend(render(job))
                bar.update(count)
        else:
            # spawn, not fork: the caller may already run TensorFlow's threads. An
            # executor, not a Pool: a worker that dies raises BrokenProcessPool
            # instead of being replaced forever
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker) as pool:
                for count, chunk in zip(counts, pool.map(render, jobs), strict=True):
                    rows.extend(chunk)
                    bar.update(count)
    return rows


def spawn_can_start() -> bool:
    """Whether spawned processes can start: they re-import the main script from its file.

    A script read from standard input names ``<stdin>`` as its file, which
    no new process can open (each would die at start, again and again).
    """
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.isfile(main_file)


def write_labels(out_dir: Path, rows: list[tuple[str, str, str]], split: np.ndarray, params: dict) -> None:
    """Write labels.csv (whole, then renamed) and last the synth.json stamp that marks the build done."""
    labels = out_dir / "labels.csv"
    partial = labels.with_suffix(".csv.part")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for (name, text, font), val in zip(rows, split, strict=True):
            writer.writerow([name, text, font, "val" if val else "train"])
    partial.replace(labels)
    # the stamp is written last: its presence means the build finished
    (out_dir / "synth.json").write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")


def _clear_previous_build(out_dir: Path) -> None:
    """Remove what an earlier build wrote here, so no stale image outlives its labels.

    Only folders marked by synth.json are cleared; a foreign labels.csv stops the build.
    """
    stamp = out_dir / "synth.json"
    if not stamp.is_file():
        if (out_dir / "labels.csv").exists():
            raise ConfigError(
                f"{out_dir / 'labels.csv'}: exists but was not written by mltu_ext.synth "
                "(no synth.json); choose another folder"
            )
        return
    stamp.unlink()
    images = out_dir / "images"
    if images.is_dir():
        for path in images.iterdir():
            if _IMAGE_NAME.fullmatch(path.name):
                path.unlink()


def _glyphs(texts: Sequence[str]) -> str:
    """Every non-space character of ``texts``, sorted (what a font must draw)."""
    return "".join(sorted(set("".join(texts)) - {" "}))
