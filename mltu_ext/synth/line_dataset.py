"""Build a labelled dataset of rendered handwritten lines: images/ + labels.csv (+ synth.json).

The folder has the word dataset's layout and completeness stamp (see
:mod:`mltu_ext.synth.dataset`, whose pool and helpers it uses); texts are
drawn by :mod:`mltu_ext.synth.line_texts` and drawn by
:func:`mltu_ext.synth.line_render.render_handwritten_line`.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mltu_ext.errors import ConfigError, LabelError
from mltu_ext.synth import dataset, line_texts
from mltu_ext.synth.dataset import (
    held_out,
    image_digits,
    prepare_folder,
    run_chunks,
    write_image,
    write_labels,
)
from mltu_ext.synth.fonts import HERSHEY_FONTS, find_fonts, font_name, warn_hershey_fallback
from mltu_ext.synth.line_render import PAPERS, choose_font, render_handwritten_line
from mltu_ext.synth.line_texts import CAPITALS_SHARE, LANGUAGES, make_line_text

LINE_FORMAT_VERSION = 1  # bump when line texts or line rendering change, so old folders are rendered again
_TEXT_TRIES = 20  # texts drawn again when no font draws one (few fonts installed)


def _render_line_chunk(job: tuple) -> list[tuple[str, str, str]]:
    """Render lines start..start+count-1 into out_dir/images; returns their CSV rows."""
    out_dir, seed, start, count, height, fonts, languages, paper, digits, capitals = job
    if multiprocessing.parent_process() is not None:
        # the parent process has already said which word lists are missing
        logging.getLogger(line_texts.__name__).setLevel(logging.ERROR)
    rng = np.random.default_rng([seed, start, 1])  # 1: not the word dataset's streams
    rows = []
    for index in range(start, start + count):
        for _ in range(_TEXT_TRIES):
            text = make_line_text(rng, languages[int(rng.integers(len(languages)))], capitals)
            try:
                font = choose_font(text, rng, fonts=fonts)
                break
            except LabelError:
                continue
        else:
            raise ConfigError(f"no usable font draws the line texts of {', '.join(languages)}")
        image = render_handwritten_line(text, rng, font, height, paper)
        rows.append((write_image(out_dir, index, digits, image), text, font_name(font)))
    return rows


def build_line_dataset(
    out_dir: str | Path,
    num_samples: int,
    height: int = 64,
    seed: int = 0,
    languages: Sequence[str] = LANGUAGES,
    val_fraction: float = 0.1,
    workers: int | None = None,
    paper: str = "random",
    capitals: float = CAPITALS_SHARE,
) -> Path:
    """Render ``num_samples`` handwritten lines into ``out_dir`` and return the folder.

    Texts are lines in ``languages`` (drawn evenly), each written in one font
    that draws all its characters; labels.csv has file_name, text, writer_id
    (the font's name, so a writer split keeps fonts apart) and split (a
    seeded ``val_fraction`` share is "val"). Images are ``height`` rows high,
    as wide as the line; a ``capitals`` share of the texts is in capitals (most of those drawn
    in small capitals). The same arguments give the same folder for any
    ``workers``; a finished folder with the same arguments (and the same
    fonts and word lists installed) is reused.

    >>> folder = build_line_dataset("Datasets/synth_lines", 20000, languages=("fr",))  # doctest: +SKIP
    """
    if num_samples <= 0:
        raise ConfigError(f"num_samples must be positive, got {num_samples}")
    if height < 8:
        raise ConfigError(f"height must be at least 8 pixels, got {height}")
    if paper not in PAPERS:
        raise ConfigError(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    if not 0.0 <= capitals <= 1.0:
        raise ConfigError(f"capitals is a share of the lines, from 0 to 1, got {capitals}")
    languages = tuple(dict.fromkeys(languages))
    if not languages:
        raise ConfigError("give at least one language")
    out_dir = Path(out_dir)
    fonts = find_fonts()
    if not fonts:
        if languages != ("en",):
            raise ConfigError(
                f"{out_dir}: no handwriting fonts installed (scripts/install.sh), and OpenCV's "
                "fallback fonts draw ASCII only: French and German lines need accents"
            )
        warn_hershey_fallback()
        fonts = HERSHEY_FONTS
    # read each list here, once: a missing one is reported by this process, not by every worker
    sources = {language: line_texts.word_list(language) for language in languages}
    for language in languages:
        line_texts.content_words(language)
    params = {
        "kind": "lines",
        "num_samples": num_samples,
        "seed": seed,
        "val_fraction": val_fraction,
        "height": height,
        "languages": list(languages),
        "paper": paper,
        "capitals": capitals,
        "fonts": [font_name(f) for f in fonts],
        "word_lists": {language: source or "built-in" for language, source in sources.items()},
        "version": LINE_FORMAT_VERSION,
    }
    split = held_out(num_samples, val_fraction, seed)  # checks val_fraction before anything is cleared
    if not prepare_folder(out_dir, params):
        return out_dir
    digits = image_digits(num_samples)
    chunk = dataset.CHUNK  # read at call time, so tests can make chunks small
    jobs = [
        (
            str(out_dir),
            seed,
            start,
            min(chunk, num_samples - start),
            height,
            fonts,
            languages,
            paper,
            digits,
            capitals,
        )
        for start in range(0, num_samples, chunk)
    ]
    rows = run_chunks(_render_line_chunk, jobs, [job[3] for job in jobs], workers, "rendering lines")
    write_labels(out_dir, rows, split, params)
    return out_dir
