"""The embedded default training data: rendered words, so that ``python train.py`` runs anywhere."""

from __future__ import annotations

from pathlib import Path

from mltu_ext.config import TrainConfig
from mltu_ext.data.readers.common import LoadedDataset

DEFAULT_DIR = Path("Datasets") / "synthetic_words"


def rendered_default_dataset(cfg: TrainConfig, folder: str | Path = DEFAULT_DIR) -> LoadedDataset:
    """Render (or reuse) ``cfg.synthetic_samples`` words as ``cfg.synthetic_text`` says, and read them.

    The words are distorted as they are drawn, so the random warp of training
    is turned off for them (``cfg.augment.enabled``) unless ``cfg.augment_rendered``.
    """
    cfg.augment.enabled = cfg.augment.enabled and cfg.augment_rendered
    from mltu_ext.data import load_dataset
    from mltu_ext.synth.dataset import build_synthetic_dataset
    from mltu_ext.synth.words import load_words, name_like_words

    texts = None  # "mixed": the renderer's own label maker
    if cfg.synthetic_text == "lower_words":
        texts = sorted({w.lower() for w in load_words(3, 10)})
    elif cfg.synthetic_text == "names":
        texts = name_like_words(cfg.synthetic_samples // 3, seed=cfg.synthetic_seed)
    built = build_synthetic_dataset(
        folder,
        cfg.synthetic_samples,
        seed=cfg.synthetic_seed,
        val_fraction=cfg.val_fraction,
        texts=texts,
    )
    labels = Path(built) / "labels.csv" if Path(built).is_dir() else Path(built)
    return load_dataset(str(labels), fmt="generic_csv")
