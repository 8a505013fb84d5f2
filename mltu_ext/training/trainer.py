"""Train a recogniser from samples: vocabulary, caches, model, callbacks, export.

``train(cfg, train_samples, val_samples, run)`` is the whole job that
``train.py`` runs; the model folder it writes holds:

- ``config.json``: the TrainConfig (with the vocabulary) that rebuilds the model
- ``best.keras`` / ``last.keras``: best checkpoint by validation CER, and the
  latest one with optimiser state (for ``--resume``)
- ``run.json``: how the run executed (RunConfig)
- ``log.csv``: one row per epoch; ``model.onnx``: the exported best model
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras

from mltu_ext.config import RunConfig, TrainConfig
from mltu_ext.data.batching import make_batches
from mltu_ext.data.image_cache import ImageCache, build_cache
from mltu_ext.data.samples import Sample
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.errors import ConfigError, OutputWriteError, TrainingError
from mltu_ext.export.model_folder import EXPORTED_FILES, STALE_SUFFIX
from mltu_ext.io.atomic import write_text
from mltu_ext.io.os_errors import os_reason
from mltu_ext.model.keras_file import load_keras
from mltu_ext.model.recognizer import build_recognizer, set_lstm_unroll, unroll_lstms_here
from mltu_ext.parallel.distribute import data_parallel_scope, replica_count
from mltu_ext.parallel.grouped_steps import use_grouped_steps
from mltu_ext.parallel.multi_process import barrier, is_main_process
from mltu_ext.parallel.per_device_step import use_per_device_step
from mltu_ext.training.callbacks import ExportOnTrainEnd, build_callbacks
from mltu_ext.training.compile import compile_model
from mltu_ext.training.fine_tune import choose_vocabulary, transfer_weights
from mltu_ext.training.resume import BestCheckpoint
from mltu_ext.training.starting_point import StartingPoint, starting_point

# what a run writes into its model folder besides config.json, run.json and the exports
RUN_FILES = ("best.keras", "last.keras", "state.json", "log.csv", "summary.json")


@dataclass
class TrainResult:
    """What a training run leaves: its folder, the ONNX file (None when none was exported), the best
    validation CER (None without one), the epochs done (a resumed run's earlier ones included) and
    this run's Keras history."""

    model_dir: Path
    onnx_path: Path | None
    best_val_cer: float | None
    epochs: int
    history: dict = field(default_factory=dict)


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
    run: RunConfig | None = None,
    *,
    resume: bool = False,
    init_from: str | Path | None = None,
    freeze_cnn: bool = False,
) -> TrainResult:
    """Train on ``train_samples``, choose the model on ``val_samples``, export ONNX.

    ``run`` says where and how (model folder, devices, export); ``resume``
    continues from ``last.keras`` in ``run.model_dir``; ``init_from`` starts
    from another model folder (its sizes, its weights, its vocabulary grown by
    any new characters); ``freeze_cnn`` keeps the convolution weights fixed.
    """
    run = run or RunConfig()
    run.validate()
    if not train_samples or not val_samples:
        raise TrainingError(
            f"need training and validation samples, got {len(train_samples)} and {len(val_samples)}"
        )
    model_dir = Path(run.model_dir or "Models/model")
    model_dir.mkdir(parents=True, exist_ok=True)
    texts = [s.text for s in train_samples] + [s.text for s in val_samples]
    start = starting_point(cfg, model_dir, texts, resume=resume, init_from=init_from)
    vocabulary = choose_vocabulary(cfg, texts)
    cfg.model.vocabulary = vocabulary.chars
    if run.mixed_precision:
        keras.mixed_precision.set_global_policy(
            "mixed_bfloat16" if run.mixed_precision == "bfloat16" else "mixed_float16"
        )
    cfg.validate()
    if run.processes > 1 and cfg.pretrain_samples:
        raise ConfigError(
            f"processes={run.processes} with a rendered warm-up (pretrain_samples="
            f"{cfg.pretrain_samples}): every process would render the same words; train the "
            "warm-up in one process, then --init-from its folder"
        )
    if cfg.ema_momentum and run.parallel:
        raise ConfigError(
            f"ema_momentum={cfg.ema_momentum} with several devices or processes: the moving "
            "averages are swapped in one process only; train on one device, or set ema_momentum=0"
        )
    # first, so that data that cannot be read leaves the folder as it was (an earlier model in it too)
    train_cache, val_cache = build_caches(cfg, vocabulary, train_samples, val_samples, run.cache_dir)
    if is_main_process():  # the other training processes (--processes) write nothing
        if not resume:
            remove_earlier_run(model_dir)
        cfg.save(model_dir / "config.json")
        began = str(init_from) if init_from and not resume else None
        dataclasses.replace(run, started_from=began).save(model_dir / "run.json")

    keras.utils.set_random_seed(cfg.seed)
    scope = data_parallel_scope() if run.parallel else contextlib.nullcontext()
    batch_size = cfg.batch_size * (replica_count() if run.parallel else 1)
    with scope as plan:  # model, compile and fit all inside the data-parallel scope
        model = _model_for(cfg, run, vocabulary, model_dir, start, freeze_cnn)
        if run.parallel:
            # JAX: each device runs its slice as one GPU would (per-device BatchNorm,
            # unsplit LSTMs); only gradients and statistics cross devices
            use_per_device_step(model, plan)
        use_grouped_steps(model, run.steps_per_call)  # after the per-device step: it groups that one
        # explicit either way: a checkpoint saved elsewhere may carry the other form
        set_lstm_unroll(model, unroll_lstms_here(cfg.time_steps))

        callbacks = build_callbacks(cfg, run, model_dir, start, vocabulary, val_cache, train_cache)
        batches = math.ceil(len(train_samples) / batch_size)
        if cfg.accumulate > batches and is_main_process():
            print(
                f"note: {batches} training batches an epoch and --accumulate {cfg.accumulate}: the "
                f"weights change once every {cfg.accumulate} batches, across epochs; a run shorter "
                "than that changes nothing",
                file=sys.stderr,
            )
        shape = {
            "channels": cfg.model.channels,
            "bucket": cfg.batch_bucket(keras.backend.backend()),
            "time_scale": cfg.model.time_scale,
        }
        try:
            history = model.fit(
                make_batches(train_cache, batch_size, True, cfg.seed, **shape),
                validation_data=make_batches(val_cache, batch_size, False, cfg.seed, **shape),
                epochs=cfg.epochs,
                initial_epoch=start.initial_epoch,
                callbacks=callbacks,
                verbose=run.verbose,
                shuffle=False,  # the batches are shuffled already
            )
        except OSError as error:  # the log or TensorBoard files: the checkpoints say their own
            where = error.filename or model_dir
            raise OutputWriteError(
                f"{where}: cannot write during training ({os_reason(where, error)})"
            ) from error
    steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    if cfg.accumulate > 1 and steps < cfg.accumulate and is_main_process():
        print(
            f"warning: {steps} batches were trained, fewer than --accumulate {cfg.accumulate}: the "
            "weights were never changed; train longer or accumulate fewer batches",
            file=sys.stderr,
        )
    # the other processes may read what worker 0 saved (pretraining's best.keras)
    barrier("training done")
    return _result(model_dir, history.history, callbacks, start.initial_epoch, train_samples, val_samples)


def remove_earlier_run(model_dir: Path) -> list[str]:
    """Delete the checkpoints, state, log and exports that an earlier run left in ``model_dir``; their names.

    A new run (``--overwrite``) writes its own config.json: the earlier run's
    last.keras and state.json beside it would be continued by ``--resume`` as if
    they were this run's, and its best.keras and model.onnx read as this run's
    model, until this run's first epoch replaced them.
    """
    names = [*RUN_FILES, *EXPORTED_FILES, *(name + STALE_SUFFIX for name in EXPORTED_FILES)]
    removed = []
    for name in names:
        path = model_dir / name
        try:
            if path.is_file():
                path.unlink()
                removed.append(name)
        except OSError as error:
            raise OutputWriteError(
                f"{path}: cannot remove the earlier run's file ({os_reason(path, error)})"
            ) from error
    if removed:
        print(f"note: {model_dir}: removed the earlier run's {', '.join(removed)}", file=sys.stderr)
    return removed


def _model_for(
    cfg: TrainConfig,
    run: RunConfig,
    vocabulary: Vocabulary,
    model_dir: Path,
    start: StartingPoint,
    freeze_cnn: bool,
) -> keras.Model:
    if start.resume:
        return load_keras(model_dir / "last.keras", compile=True)
    model = build_recognizer(cfg.model, cfg.augment, seed=cfg.seed)
    if start.source_model is not None:
        transfer_weights(start.source_model, model, start.source_vocabulary, vocabulary.chars)
    if freeze_cnn:
        for layer in model.layers:
            if layer.name.startswith("res"):
                layer.trainable = False
    compile_model(model, cfg, vocabulary, jit_compile=run.jit_compile)
    return model


def _result(
    model_dir: Path,
    logs: dict,
    callbacks: list,
    initial_epoch: int,
    train_samples: Sequence[Sample],
    val_samples: Sequence[Sample],
) -> TrainResult:
    checkpoint = next((c for c in callbacks if isinstance(c, BestCheckpoint)), None)
    best = checkpoint.best if checkpoint is not None and math.isfinite(checkpoint.best) else None
    exporter = next((c for c in callbacks if isinstance(c, ExportOnTrainEnd)), None)
    onnx_path = exporter.result if exporter is not None else None
    summary = {
        "best_val_CER": best,
        "epochs": initial_epoch + len(logs.get("loss", [])),
        "train_samples": len(train_samples),
        "val_samples": len(val_samples),
    }
    if is_main_process():
        write_text(model_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    return TrainResult(model_dir, onnx_path, best, summary["epochs"], logs)
