"""Train a recogniser from samples: vocabulary, caches, model, callbacks, export.

``train(cfg, train_samples, val_samples)`` is the whole job that ``train.py``
runs; the model folder it writes holds:

- ``config.json``: the TrainConfig (with the vocabulary) that rebuilds the model
- ``best.keras`` / ``last.keras``: best checkpoint by validation CER, and the
  latest one with optimiser state (for ``--resume``)
- ``log.csv``: one row per epoch; ``model.onnx``: the exported best model
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from mltu_ext.config import TrainConfig
from mltu_ext.ctc.loss import CTCLoss
from mltu_ext.ctc.metrics import CharacterErrorRate, WordErrorRate
from mltu_ext.data.batching import make_batches
from mltu_ext.data.image_cache import ImageCache, build_cache
from mltu_ext.data.samples import Sample
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.errors import TrainingError
from mltu_ext.export.onnx_export import export_onnx, model_metadata
from mltu_ext.model.recognizer import build_recognizer, set_lstm_unroll, unroll_lstms_here
from mltu_ext.parallel.distribute import data_parallel_scope, replica_count
from mltu_ext.parallel.grouped_steps import use_grouped_steps
from mltu_ext.parallel.multi_process import barrier, is_main_process, process_count, process_index
from mltu_ext.parallel.per_device_step import use_per_device_step
from mltu_ext.training.callbacks import (
    EpochCosineDecay,
    ExportOnTrainEnd,
    LearningRateLogger,
    RecompileAfterFirstEpoch,
    ResumeState,
    TimeCosineDecay,
    TimeLimit,
    read_resume_state,
)


@dataclass
class TrainResult:
    model_dir: Path
    onnx_path: Path | None
    best_val_cer: float | None
    epochs: int
    history: dict = field(default_factory=dict)


def choose_vocabulary(cfg: TrainConfig, texts: Sequence[str], base: Vocabulary | None = None) -> Vocabulary:
    """The config's vocabulary when set, else ``base`` grown by new characters, else sorted from ``texts``."""
    if cfg.model.vocabulary:
        return Vocabulary(cfg.model.vocabulary)
    if base is not None:
        return base.merged_with(texts)
    return Vocabulary.from_texts(texts)


def make_optimizer(cfg: TrainConfig) -> keras.optimizers.Optimizer:
    """Adam or AdamW with the config's learning rate; gradients clipped to norm 5."""
    if cfg.optimizer == "adamw":
        return keras.optimizers.AdamW(cfg.learning_rate, weight_decay=cfg.weight_decay, clipnorm=5.0)
    return keras.optimizers.Adam(cfg.learning_rate, clipnorm=5.0)


def compile_model(model: keras.Model, cfg: TrainConfig, vocabulary: Vocabulary) -> None:
    """Adam + CTC loss + CER/WER metrics (their state Keras tracks and resets)."""
    space = vocabulary.chars.index(" ") if " " in vocabulary.chars else None
    jit = cfg.jit_compile
    if jit == "auto":
        # XLA made CPU training slower with TensorFlow here; it pays off with JAX
        jit = keras.backend.backend() == "jax"
    model.compile(
        optimizer=make_optimizer(cfg),
        loss=CTCLoss(vocabulary.blank_index),
        metrics=[
            CharacterErrorRate(vocabulary.blank_index),
            WordErrorRate(vocabulary.blank_index, space),
        ],
        jit_compile=bool(jit),
    )


def transfer_weights(source: keras.Model, target: keras.Model, old_vocab: str, new_vocab: str) -> None:
    """Copy weights layer by layer; the output layer keeps the old characters' rows.

    New characters get the target's freshly initialised output weights; the
    blank (last column in both) is copied across.
    """
    for layer in target.layers:
        if not layer.weights:
            continue
        try:
            old = source.get_layer(layer.name)
        except ValueError:
            continue
        if layer.name != "output":
            layer.set_weights(old.get_weights())
            continue
        kernel, bias = layer.get_weights()  # (units, C_new), (C_new,)
        old_kernel, old_bias = old.get_weights()  # (units, C_old), (C_old,)
        for i, char in enumerate(old_vocab):
            j = new_vocab.index(char)
            kernel[:, j], bias[j] = old_kernel[:, i], old_bias[i]
        kernel[:, -1], bias[-1] = old_kernel[:, -1], old_bias[-1]
        layer.set_weights([kernel, bias])


def build_caches(
    cfg: TrainConfig,
    vocabulary: Vocabulary,
    train_samples: Sequence[Sample],
    val_samples: Sequence[Sample],
    cache_dir: str | Path | None = None,
) -> tuple[ImageCache, ImageCache]:
    """Decode both splits once (labels checked first; errors name the files)."""
    height, width, steps = cfg.model.height, cfg.max_width, cfg.time_steps
    train_cache = build_cache(
        train_samples, vocabulary, height, width, steps, cache_dir=cache_dir, desc="training images"
    )
    val_cache = build_cache(
        val_samples, vocabulary, height, width, steps, cache_dir=cache_dir, desc="validation images"
    )
    return train_cache, val_cache


def train(
    cfg: TrainConfig,
    train_samples: Sequence[Sample],
    val_samples: Sequence[Sample],
    *,
    resume: bool = False,
    init_from: str | Path | None = None,
    freeze_cnn: bool = False,
    cache_dir: str | Path | None = None,
    verbose: int | str = "auto",
    export: bool = True,
) -> TrainResult:
    """Train on ``train_samples``, choose the model on ``val_samples``, export ONNX.

    ``resume`` continues from ``last.keras`` in ``cfg.model_dir``;
    ``init_from`` starts from another model folder (its sizes, its weights,
    its vocabulary grown by any new characters); ``freeze_cnn`` keeps the
    convolution weights fixed.
    """
    if not train_samples or not val_samples:
        raise TrainingError(
            f"need training and validation samples, got {len(train_samples)} and {len(val_samples)}"
        )
    model_dir = Path(cfg.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    texts = [s.text for s in train_samples] + [s.text for s in val_samples]
    initial_epoch = 0
    source_model = None
    if resume:
        saved = model_dir / "config.json"
        if not (model_dir / "last.keras").is_file() or not saved.is_file():
            raise TrainingError(f"{model_dir}: nothing to resume (no last.keras and config.json)")
        cfg.model = TrainConfig.load(saved).model
        initial_epoch = read_resume_state(model_dir)
    elif init_from is not None:
        source_dir = Path(init_from)
        if not (source_dir / "config.json").is_file():
            raise TrainingError(f"{source_dir}: not a model folder (no config.json)")
        source_cfg = TrainConfig.load(source_dir / "config.json")
        weights = source_dir / "best.keras"
        if not weights.is_file():
            raise TrainingError(f"{source_dir}: no best.keras to start from")
        old_vocab = source_cfg.model.vocabulary
        cfg.model = source_cfg.model
        cfg.model.vocabulary = Vocabulary(old_vocab).merged_with(texts).chars
        source_model = keras.saving.load_model(weights, compile=False)
    vocabulary = choose_vocabulary(cfg, texts)
    cfg.model.vocabulary = vocabulary.chars
    if cfg.mixed_precision:
        keras.mixed_precision.set_global_policy(
            "mixed_bfloat16" if cfg.mixed_precision == "bfloat16" else "mixed_float16"
        )
    cfg.validate()
    if is_main_process():  # the other training processes (--processes) write nothing
        cfg.save(model_dir / "config.json")

    train_cache, val_cache = build_caches(cfg, vocabulary, train_samples, val_samples, cache_dir)
    keras.utils.set_random_seed(cfg.seed)
    parallel = cfg.data_parallel or cfg.processes > 1
    scope = data_parallel_scope() if parallel else contextlib.nullcontext()
    batch_size = cfg.batch_size * (replica_count() if parallel else 1)
    with scope as plan:  # model, compile and fit all inside the data-parallel scope
        if resume:
            model = keras.saving.load_model(model_dir / "last.keras")
        else:
            model = build_recognizer(cfg.model, cfg.augment, seed=cfg.seed)
            if source_model is not None:
                transfer_weights(source_model, model, old_vocab, vocabulary.chars)
            if freeze_cnn:
                for layer in model.layers:
                    if layer.name.startswith("res"):
                        layer.trainable = False
            compile_model(model, cfg, vocabulary)
        if parallel:
            # JAX: each device runs its slice as one GPU would (per-device BatchNorm,
            # unsplit LSTMs); only gradients and statistics cross devices
            use_per_device_step(model, plan)
        use_grouped_steps(model, cfg.steps_per_call)  # after the per-device step: it groups that one
        # explicit either way: a checkpoint saved elsewhere may carry the other form
        set_lstm_unroll(model, unroll_lstms_here())

        callbacks = _callbacks(cfg, model_dir, resume, vocabulary, val_cache, export, train_cache)
        shape = {
            "channels": cfg.model.channels,
            "bucket": cfg.batch_bucket(keras.backend.backend()),
            "time_scale": cfg.model.time_scale,
        }
        train_data = make_batches(train_cache, batch_size, True, cfg.seed, **shape)
        val_data = make_batches(val_cache, batch_size, False, cfg.seed, **shape)
        history = model.fit(
            train_data,
            validation_data=val_data,
            epochs=cfg.epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,  # the batches are shuffled already
        )
    # the other processes may read what worker 0 saved (pretraining's best.keras)
    barrier("training done")
    logs = history.history
    best = min(logs["val_CER"]) if logs.get("val_CER") else None
    exporter = next((c for c in callbacks if isinstance(c, ExportOnTrainEnd)), None)
    onnx_path = exporter.result if exporter is not None else None
    summary = {
        "best_val_CER": best,
        "epochs": initial_epoch + len(logs.get("loss", [])),
        "train_samples": len(train_samples),
        "val_samples": len(val_samples),
    }
    if is_main_process():
        (model_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return TrainResult(model_dir, onnx_path, best, summary["epochs"], logs)


def _callbacks(
    cfg: TrainConfig,
    model_dir: Path,
    resume: bool,
    vocabulary: Vocabulary,
    val_cache: ImageCache,
    export: bool,
    train_cache: ImageCache | None = None,
) -> list[keras.callbacks.Callback]:
    # with several processes (--processes) every one runs the same callbacks
    # (saving a model creates variables, which must happen in all of them), but
    # only worker 0 writes into the model folder; the others write their copies
    # into workers/rank<i>
    main = is_main_process()
    out_dir = model_dir if main else model_dir / "workers" / f"rank{process_index()}"
    out_dir.mkdir(parents=True, exist_ok=True)
    callbacks: list[keras.callbacks.Callback] = [
        LearningRateLogger(),
        keras.callbacks.ModelCheckpoint(
            out_dir / "best.keras", monitor="val_CER", mode="min", save_best_only=True
        ),
        ResumeState(out_dir),
        keras.callbacks.EarlyStopping(
            monitor="val_CER", mode="min", patience=cfg.early_stopping_patience, verbose=1
        ),
        keras.callbacks.CSVLogger(str(out_dir / "log.csv"), append=resume),
    ]
    if cfg.lr_schedule == "time_cosine":
        callbacks.append(TimeCosineDecay(cfg.learning_rate, cfg.max_minutes))
    elif cfg.lr_schedule == "cosine":
        callbacks.append(EpochCosineDecay(cfg.learning_rate, cfg.epochs))
    else:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_CER",
                mode="min",
                factor=cfg.lr_factor,
                patience=cfg.lr_patience,
                min_lr=cfg.min_learning_rate,
                verbose=1,
            )
        )
    if cfg.max_minutes:
        callbacks.append(TimeLimit(cfg.max_minutes))
    if cfg.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(out_dir / "tensorboard")))
    if process_count() > 1:  # several processes: JAX only
        # the processes' first compile of the step launches it slower (RecompileAfterFirstEpoch)
        callbacks.append(RecompileAfterFirstEpoch())
    if not main:
        return callbacks
    if export and not can_export():
        print(
            "note: TensorFlow or tf2onnx is not installed: no ONNX export now; run "
            "mltu_ext.training.export_best(cfg, model_dir) where they are"
        )
    elif export:
        # a few real validation images make the export check meaningful
        check = val_cache.images[:8].astype(np.float32)[..., None]
        if cfg.model.channels == 3:
            check = np.repeat(check, 3, axis=-1)

        from mltu_ext.export.quantize import spread

        def export_all(_model) -> Path:
            path = export_best(cfg, model_dir, check)
            if cfg.int8_export and train_cache is not None:
                export_int8(
                    path, spread(train_cache.images), spread(val_cache.images), spread(val_cache.texts)
                )
            return path

        callbacks.append(ExportOnTrainEnd(export_all))
    return callbacks


def can_export() -> bool:
    """ONNX export traces the model through TensorFlow: it needs the TensorFlow backend and tf2onnx."""
    import importlib.util

    if keras.backend.backend() != "tensorflow":
        return False
    return all(importlib.util.find_spec(name) is not None for name in ("tensorflow", "tf2onnx"))


def export_int8(
    onnx_path: Path,
    calibration: list[np.ndarray],
    check_images: list[np.ndarray],
    texts: Sequence[str],
    tolerance: float = 0.01,
) -> Path | None:
    """``model.int8.onnx`` beside ``onnx_path`` (convolutions calibrated on ``calibration``).

    Kept only if its CER on ``check_images`` (validation images with their
    ``texts``) stays within ``tolerance`` of the float model's: on some
    networks int8 convolutions cost far more than on others, and nothing
    should ship that reads much worse without a word.
    """
    from mltu_ext.evaluation.error_rates import cer
    from mltu_ext.export.quantize import quantize_onnx
    from mltu_ext.inference.recognizer import OnnxRecognizer

    int8_path = quantize_onnx(onnx_path, onnx_path.with_name("model.int8.onnx"), calibration)
    scores = [
        cer(OnnxRecognizer(path, providers=["CPUExecutionProvider"]).predict(check_images), list(texts))
        for path in (onnx_path, int8_path)
    ]
    if scores[1] > scores[0] + tolerance:
        int8_path.unlink()
        print(
            f"note: int8 model not kept: validation CER {scores[1]:.2%} against {scores[0]:.2%} "
            f"in float32 (more than {tolerance:.0%} worse)"
        )
        return None
    print(f"int8 model: {int8_path} (validation CER {scores[1]:.2%}, float32 {scores[0]:.2%})")
    return int8_path


def export_best(cfg: TrainConfig, model_dir: str | Path, check_images: np.ndarray | None = None) -> Path:
    """Export ``best.keras`` in ``model_dir`` to ``model.onnx`` (checked against Keras)."""
    model_dir = Path(model_dir)
    model = keras.saving.load_model(model_dir / "best.keras", compile=False)
    metadata = model_metadata(
        cfg.model.vocabulary,
        cfg.model.height,
        cfg.model.channels,
        cfg.model.time_scale,
        train_width=cfg.max_width,
        split=cfg.split,
    )
    return export_onnx(model, model_dir / "model.onnx", metadata, check_images)
