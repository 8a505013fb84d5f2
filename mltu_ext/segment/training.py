"""Train the segmenter on prepared pages: random crops at random scales, cross-entropy, a time budget."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import cv2
import keras
import numpy as np

from mltu_ext.config.segmenter_config import SegmenterConfig
from mltu_ext.errors import ConfigError
from mltu_ext.export.model_folder import STALE_SUFFIX
from mltu_ext.segment.prepare import load_prepared, prepared_long_side
from mltu_ext.segment.unet import build_segmenter, weighted_bce
from mltu_ext.training.callbacks import ElapsedLogger, TimeLimit
from mltu_ext.training.schedules import TimeCosineDecay

PAPER = 255  # what a crop past the page's edge shows
SEGMENTER_FILES = ("segmenter.keras", "segmenter.onnx")  # a folder holding one holds a trained segmenter
EXPORTED_FILES = ("segmenter.onnx", "segmenter.json")  # made from segmenter.keras by the export


def random_crop(
    page: np.ndarray, targets: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A ``size`` x ``size`` crop of a page (H, W) and its targets (H, W, 3) at a random scale and tone."""
    scale = float(np.exp(rng.uniform(np.log(0.8), np.log(1.25))))
    if abs(scale - 1.0) > 0.01:
        h, w = page.shape
        shape = (max(1, round(w * scale)), max(1, round(h * scale)))
        page = cv2.resize(page, shape, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        targets = cv2.resize(targets, shape, interpolation=cv2.INTER_NEAREST)
    h, w = page.shape
    top = int(rng.integers(0, max(h - size, 0) + 1))
    left = int(rng.integers(0, max(w - size, 0) + 1))
    image = np.full((size, size), PAPER, np.uint8)
    maps = np.zeros((size, size, 3), np.uint8)
    part = page[top : top + size, left : left + size]
    image[: part.shape[0], : part.shape[1]] = part
    maps[: part.shape[0], : part.shape[1]] = targets[top : top + size, left : left + size]
    # paper tone and ink contrast of other scans and pens
    contrast, shift = rng.uniform(0.6, 1.1), rng.uniform(-30, 20)
    image = np.clip((image.astype(np.float32) - 255.0) * contrast + 255.0 + shift, 0, 255)
    if rng.random() < 0.5:  # mirrored pages: the layout statistics stay, the baselines stay below
        image, maps = image[:, ::-1], maps[:, ::-1]
    return image.astype(np.float32), (maps > 127).astype(np.float32)


class CropBatches(keras.utils.PyDataset):
    """Batches of random crops (B, S, S, 1) and their maps (B, S, S, 3); ``steps`` batches an epoch."""

    def __init__(
        self, pages: list[tuple[str, np.ndarray, np.ndarray]], cfg: SegmenterConfig, steps: int, seed: int = 0
    ) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.pages = pages
        self.cfg = cfg
        self.steps = steps
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int):
        images, maps = [], []
        for k in self.rng.integers(0, len(self.pages), self.cfg.batch_size):
            _, page, targets = self.pages[int(k)]
            image, target = random_crop(page, targets, self.cfg.crop, self.rng)
            images.append(image[..., None])
            maps.append(target)
        return np.stack(images), np.stack(maps)


def train_segmenter(
    data_dir: str | Path,
    out_dir: str | Path,
    cfg: SegmenterConfig,
    minutes: float,
    steps_per_epoch: int = 100,
    overwrite: bool = False,
) -> Path:
    """Train on the prepared pages in ``data_dir`` for ``minutes``; ``segmenter.keras`` in ``out_dir``.

    Writes ``segmenter_config.json`` (the config) and ``log.csv`` beside it. A folder that
    already holds a segmenter is refused unless ``overwrite``; then its earlier export is set
    aside once the new network is saved.
    """
    out = Path(out_dir)
    check_output_folder(out, overwrite)
    cfg.long_side = prepared_long_side(data_dir)  # run at the scale it learns at
    cfg.validate()
    # a crop past the page is blank paper: it costs time and teaches nothing
    if cfg.crop > cfg.long_side:
        raise ConfigError(
            f"crop={cfg.crop} is larger than the pages of {data_dir} (long side {cfg.long_side}); "
            f"give --crop {cfg.long_side // cfg.multiple * cfg.multiple} or less"
        )
    pages = load_prepared(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    model = build_segmenter(cfg)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss=weighted_bce(cfg.baseline_weight))
    callbacks = [
        TimeLimit(minutes),
        TimeCosineDecay(cfg.learning_rate, minutes),
        ElapsedLogger(),
        keras.callbacks.CSVLogger(str(out / "log.csv")),
    ]
    batches = CropBatches(pages, cfg, steps_per_epoch, cfg.seed)
    model.fit(batches, epochs=100_000, callbacks=callbacks, verbose=2)
    path = out / "segmenter.keras"
    model.save(path)
    # written with the network, not before it: an interrupted or failed run leaves an earlier
    # segmenter.keras beside its own config, whose long_side and filters the export trusts
    settings = json.dumps(dataclasses.asdict(cfg), indent=2) + "\n"
    (out / "segmenter_config.json").write_text(settings, encoding="utf-8")
    set_aside_earlier_export(out)
    return path


def check_output_folder(out: Path, overwrite: bool) -> None:
    """Refuse a folder that holds a trained segmenter, unless ``overwrite``."""
    found = [name for name in SEGMENTER_FILES if (out / name).is_file()]
    if found and not overwrite:
        raise ConfigError(
            f"{out}: holds a trained segmenter ({', '.join(found)}); write this one to another "
            "folder, or replace it with --overwrite"
        )


def set_aside_earlier_export(out: Path) -> None:
    """Rename an earlier ``segmenter.onnx`` (and its JSON) to ``<name>.stale``, saying so on stderr.

    It was exported from the segmenter.keras just replaced, and a page reader given the folder
    would take it for the new one's.
    """
    moved = []
    for name in EXPORTED_FILES:
        if (out / name).is_file():
            (out / name).replace(out / (name + STALE_SUFFIX))
            moved.append(name)
    if moved:
        print(
            f"note: {out}: segmenter.keras is new, so the earlier {', '.join(moved)} (exported from "
            f"the one it replaced) now end in {STALE_SUFFIX}; python -m mltu_ext.segment export {out} "
            "makes the new one's",
            file=sys.stderr,
        )
