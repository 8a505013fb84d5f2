"""Build a labelled dataset of rendered words: images/ + labels.csv (+ synth.json)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mltu_ext.synth.fonts import find_fonts, font_name
from mltu_ext.synth.render import pick_font, render_text
from mltu_ext.synth.words import load_words, make_label

CHUNK = 250  # samples per work unit; each chunk has its own seed


def _render_chunk(args: tuple) -> list[tuple[str, str, str]]:
    out_dir, seed, start, count, height, texts = args
    # the chunk's generator depends only on (seed, start): same output for any worker count
    rng = np.random.default_rng([seed, start])
    words = load_words()
    fonts = find_fonts(_glyphs(texts)) if texts else find_fonts()
    rows = []
    for index in range(start, start + count):
        text = texts[int(rng.integers(len(texts)))] if texts else make_label(rng, words)
        font = pick_font(rng, fonts)
        image = render_text(text, rng, font, height)
        name = f"images/{index:06d}.png"
        cv2.imwrite(os.path.join(out_dir, name), image)
        rows.append((name, text, font_name(font)))
    return rows


def build_synthetic_dataset(
    out_dir: str | Path,
    num_samples: int,
    seed: int = 0,
    val_fraction: float = 0.1,
    height: int = 64,
    workers: int | None = None,
    texts: Sequence[str] | None = None,
) -> Path:
    """Render ``num_samples`` word images into ``out_dir`` and return its folder.

    Writes ``images/NNNNNN.png`` and ``labels.csv`` (file_name, text,
    writer_id = font, split = train/val: a fixed held-out share of about
    ``val_fraction``). Labels are English words dressed up as people write
    them, or drawn from ``texts`` when given (fonts that cannot draw all of
    their characters are left out). The same arguments give the same labels
    and pixels; a folder already built with the same arguments is reused.
    """
    if num_samples <= 0:
        raise ValueError(f"num_samples must be positive, got {num_samples}")
    out_dir = Path(out_dir)
    texts = sorted(set(texts)) if texts else None
    fonts = find_fonts(_glyphs(texts)) if texts else find_fonts()
    params = {
        "num_samples": num_samples,
        "seed": seed,
        "val_fraction": val_fraction,
        "height": height,
        "fonts": [font_name(f) for f in fonts],
        "texts": hashlib.sha1("\n".join(texts).encode()).hexdigest() if texts else None,
        "version": 1,
    }
    stamp = out_dir / "synth.json"
    labels = out_dir / "labels.csv"
    if labels.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == params:
        return out_dir
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    jobs = [
        (str(out_dir), seed, start, min(CHUNK, num_samples - start), height, texts)
        for start in range(0, num_samples, CHUNK)
    ]
    rows: list[tuple[str, str, str]] = []
    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=num_samples, desc="rendering handwriting", unit="img")
    if workers == 1:
        for job in jobs:
            rows.extend(_render_chunk(job))
            bar.update(job[3])
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job, chunk in zip(jobs, pool.map(_render_chunk, jobs), strict=True):
                rows.extend(chunk)
                bar.update(job[3])
    bar.close()
    # the held-out split is a seeded choice of rows, independent of rendering
    held_out = np.random.default_rng([seed, 7]).random(num_samples) < val_fraction
    with labels.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "text", "writer_id", "split"])
        for (name, text, font), val in zip(rows, held_out, strict=True):
            writer.writerow([name, text, font, "val" if val else "train"])
    stamp.write_text(json.dumps(params, indent=2) + "\n")
    return out_dir


def _glyphs(texts: Sequence[str]) -> str:
    """Every non-space character of ``texts``, sorted (what a font must draw)."""
    return "".join(sorted(set("".join(texts)) - {" "}))
