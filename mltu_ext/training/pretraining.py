"""Warm up on rendered handwriting, then train on a small real dataset, in one time budget.

A CTC recogniser trained from scratch on a few thousand real word images
spends its first epochs predicting one guess for every word (the blank
plateau): on DHSD, three recipes were still there after 30 shared CPU-minutes
(``benchmarks/cpu_training_dhsd/RESULTS.md``). Rendered words in the same
characters teach the model where letters are within minutes, and the real
data then only has to adapt it to real strokes. ``pretrain_then_train`` runs
both phases: the first ``cfg.pretrain_minutes`` on ``cfg.pretrain_samples``
rendered words, the rest of ``cfg.max_minutes`` on the real training split.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mltu_ext.config import RunConfig, TrainConfig
from mltu_ext.data.samples import Sample
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.errors import TrainingError
from mltu_ext.training.trainer import TrainResult, train

PRETRAIN_DIR = "pretrain"  # subfolder of the model folder with the warm-up model


def rendered_texts(labels: Sequence[str], extra: int = 6000, seed: int = 0) -> list[str]:
    """Texts to render for a warm-up: the training labels plus ``extra`` name-like words.

    The extra words (``synth.words.name_like_words``) keep the model from
    learning only the training labels' spellings; the labels bring the real
    data's characters into the rendered set.
    """
    from mltu_ext.synth.words import name_like_words

    return sorted({t for t in labels if t.strip()} | set(name_like_words(extra, seed)))


def render_warm_up(cfg: TrainConfig, labels: Sequence[str], render_dir: str | Path) -> Path:
    """Render the warm-up set that ``cfg.pretrain_kind`` asks for into ``render_dir``; the folder.

    Words: the training labels plus name-like words; lines: lines of English,
    French and German text. Folders of the same settings are reused.
    """
    if cfg.pretrain_kind == "lines":
        from mltu_ext.synth.line_dataset import build_line_dataset

        return build_line_dataset(
            render_dir,
            cfg.pretrain_samples,
            height=cfg.model.height,
            seed=cfg.synthetic_seed,
            val_fraction=0.0,
        )
    from mltu_ext.synth.dataset import build_synthetic_dataset

    texts = rendered_texts(labels, seed=cfg.synthetic_seed)
    return build_synthetic_dataset(
        render_dir,
        cfg.pretrain_samples,
        seed=cfg.synthetic_seed,
        val_fraction=0.0,
        height=cfg.model.height,
        texts=texts,
    )


def pretrain_then_train(
    cfg: TrainConfig,
    train_samples: Sequence[Sample],
    val_samples: Sequence[Sample],
    run: RunConfig | None = None,
    *,
    render_dir: str | Path,
    init_from: str | Path | None = None,
) -> TrainResult:
    """Warm up on rendered words, then fine-tune on ``train_samples``; returns the second phase's result.

    The warm-up model is written to ``<model_dir>/pretrain`` and validated on
    ``val_samples`` too, so its log shows how far rendered text alone gets.
    Its vocabulary covers the rendered and the real labels, so the second
    phase starts with every output trained. ``cfg.max_minutes`` (when set)
    bounds both phases together, rendering included; ``cfg.mix_rendered`` of
    the rendered words stay in the second phase's training set, next to the
    real ones. ``init_from`` is a trained model folder the warm-up starts from
    (a base model, as ``cfg.base_model`` names).
    """
    start = time.monotonic()
    run = run or RunConfig()
    if cfg.pretrain_samples <= 0 or cfg.pretrain_minutes <= 0:
        raise TrainingError("pretrain_then_train needs pretrain_samples > 0 and pretrain_minutes > 0")
    if cfg.max_minutes and cfg.pretrain_minutes >= cfg.max_minutes:
        raise TrainingError(
            f"pretrain_minutes={cfg.pretrain_minutes} leaves nothing of max_minutes={cfg.max_minutes}"
        )
    from mltu_ext.data import load_dataset

    folder = render_warm_up(cfg, [s.text for s in train_samples], render_dir)
    rendered = load_dataset(str(Path(folder) / "labels.csv"), fmt="generic_csv").samples

    warm_run = dataclasses.replace(run, model_dir=str(Path(run.model_dir) / PRETRAIN_DIR), export=False)
    warm = copy.deepcopy(cfg)
    warm.pretrain_samples = warm.mix_rendered = 0  # this phase is the warm-up
    warm.max_minutes = cfg.pretrain_minutes
    warm.lr_schedule = "time_cosine"
    warm.epochs = max(cfg.epochs, 1000)  # the time budget ends it
    warm.early_stopping_patience = max(cfg.early_stopping_patience, 1000)
    all_texts = [s.text for s in rendered] + [s.text for s in train_samples] + [s.text for s in val_samples]
    warm.model.vocabulary = Vocabulary.from_texts(all_texts).chars
    train(warm, rendered, val_samples, warm_run, init_from=init_from)

    if cfg.max_minutes:
        planned = cfg.max_minutes - cfg.pretrain_minutes
        left = cfg.max_minutes - (time.monotonic() - start) / 60.0
        if left < 0.25 * planned:
            # rendering and the first compiled steps ran long: keep a useful real phase
            print(f"note: the warm-up ran over; {0.25 * planned:.1f} minutes left for the real words")
            left = 0.25 * planned
        cfg.max_minutes = left
    # a fixed seeded choice of rendered words stays in the real phase's epochs
    keep = np.random.default_rng([cfg.synthetic_seed, 3]).permutation(len(rendered))[: cfg.mix_rendered]
    mixed = list(train_samples) + [rendered[i] for i in sorted(keep)]
    return train(cfg, mixed, val_samples, run, init_from=warm_run.model_dir)
