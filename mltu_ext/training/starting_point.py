"""Where training starts: a fresh model, a resumed run (epochs, best score), or another model's weights.

Another model's weights come from its ``best.keras``, or from the int8 ``weights.npz`` that a
shipped model folder carries beside its ONNX file (``mltu_ext.model.packed_weights``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras

from mltu_ext.config.train_config import TrainConfig
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.errors import TrainingError
from mltu_ext.model.keras_file import load_keras
from mltu_ext.model.packed_weights import PACKED_WEIGHTS, load_packed
from mltu_ext.training.resume import read_resume_state


@dataclass
class StartingPoint:
    """Where training starts: a fresh model, a resumed one, or another model's weights."""

    initial_epoch: int = 0
    resume: bool = False
    best: float = math.inf  # the resumed run's best validation CER
    elapsed_s: float = 0.0  # seconds the resumed run has trained: its clock and time budget go on from there
    source_model: keras.Model | None = None
    source_vocabulary: str = ""


# what decides the validation samples and the images: a resumed run that changes them would
# compare its validation CER with a best one measured on other samples
SAME_RUN_FIELDS = ("dataset", "dataset_format", "synthetic_samples", "synthetic_seed", "val_fraction",
                   "seed", "max_width")  # fmt: skip


def check_same_run(before: TrainConfig, now: TrainConfig, model_dir: Path) -> None:
    """Refuse to resume the run in ``model_dir`` with other data, another split or another recipe."""

    def value(cfg: TrainConfig, name: str) -> object:
        found = getattr(cfg, name)
        return Path(found).resolve() if name == "dataset" and found else found

    changed = [
        f"{name} {getattr(before, name)!r} -> {getattr(now, name)!r}"
        for name in SAME_RUN_FIELDS
        if value(before, name) != value(now, name)
    ]
    writers = before.split.get("writers", {}).get("val"), now.split.get("writers", {}).get("val")
    if all(writers) and writers[0] != writers[1]:
        changed.append("the validation writers")
    if changed:
        shown = ", ".join(changed)
        hint = ""
        if (
            before.dataset
            and not Path(before.dataset).is_absolute()
            and value(before, "dataset") != value(now, "dataset")
        ):
            hint = (
                f"; its dataset path {before.dataset!r} is relative to the folder it was trained from: "
                "run from there, or train with an absolute --dataset path"
            )
        raise TrainingError(
            f"{model_dir}: --resume continues that run with its data and recipe; this one differs "
            f"({shown}); train it into another --model-dir, or start over with --overwrite{hint}"
        )


def resumed_config(model_dir: str | Path) -> TrainConfig:
    """The recipe of the run in ``model_dir`` that ``--resume`` continues; TrainingError if none."""
    model_dir = Path(model_dir)
    saved = model_dir / "config.json"
    if not (model_dir / "last.keras").is_file() or not saved.is_file():
        raise TrainingError(f"{model_dir}: nothing to resume (no last.keras and config.json)")
    return TrainConfig.load(saved)


def check_source_folder(init_from: str | Path) -> Path:
    """``init_from`` as a Path, if it is a model folder to start from (config.json and weights)."""
    source_dir = Path(init_from)
    if not source_dir.is_dir():
        raise TrainingError(f"--init-from {source_dir}: no such model folder")
    if not (source_dir / "config.json").is_file():
        raise TrainingError(f"{source_dir}: not a model folder (no config.json)")
    if not (source_dir / "best.keras").is_file() and not (source_dir / PACKED_WEIGHTS).is_file():
        raise TrainingError(f"{source_dir}: no best.keras or {PACKED_WEIGHTS} to start from")
    return source_dir


def starting_point(
    cfg: TrainConfig, model_dir: Path, texts: Sequence[str], *, resume: bool, init_from: str | Path | None
) -> StartingPoint:
    """Read what ``resume`` or ``init_from`` starts from; sets ``cfg.model`` to that model's sizes.

    With ``init_from`` the dropout stays this run's (``cfg.model.dropout``):
    it holds no weights, so a fine-tuning run may regularise more or less
    than the run that made the source model.
    """
    if resume:
        before = resumed_config(model_dir)
        check_same_run(before, cfg, model_dir)
        cfg.model = before.model
        state = read_resume_state(model_dir)
        if cfg.max_minutes and state.elapsed_s >= cfg.max_minutes * 60.0:
            raise TrainingError(
                f"{model_dir}: --resume: the run has trained {state.elapsed_s / 60.0:.1f} minutes, its whole "
                f"max_minutes={cfg.max_minutes:g}; give a larger --max-minutes to train it further"
            )
        if state.epochs_done >= cfg.epochs:  # fit() would train nothing and export the same model again
            raise TrainingError(
                f"{model_dir}: --resume: the run has trained {state.epochs_done} epochs, its whole "
                f"epochs={cfg.epochs}; give a larger --epochs to train it further"
            )
        return StartingPoint(
            initial_epoch=state.epochs_done, resume=True, best=state.best, elapsed_s=state.elapsed_s
        )
    if init_from is None:
        return StartingPoint()
    source_dir = check_source_folder(init_from)
    source_cfg = TrainConfig.load(source_dir / "config.json")
    weights, packed = source_dir / "best.keras", source_dir / PACKED_WEIGHTS
    if weights.is_file():
        model = load_keras(weights)
    else:  # a shipped folder: int8 weights beside its ONNX file
        model = load_packed(packed, source_cfg)
    old_vocab = source_cfg.model.vocabulary
    dropout = cfg.model.dropout
    cfg.model = source_cfg.model
    cfg.model.dropout = dropout
    cfg.model.vocabulary = Vocabulary(old_vocab).merged_with(texts).chars
    return StartingPoint(source_model=model, source_vocabulary=old_vocab)
