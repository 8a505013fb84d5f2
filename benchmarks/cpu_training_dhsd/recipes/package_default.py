"""The package's own recipe: ``configs.dhsd_config()`` trained by ``mltu_ext.training.trainer.train``.

As ``train.py --recipe dhsd`` does, training starts from the recipe's base
model (``Models/rendered_base``: rendered name-like words only, no DHSD).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras
import numpy as np

from benchmarks.cpu_training_dhsd.recipes.common import (
    BudgetLog,
    RecipeJob,
    predict_in_batches,
    scores,
    summary,
)
from mltu_ext.cli.train_start_checks import base_model_dir
from mltu_ext.config import RunConfig, TrainConfig
from mltu_ext.ctc.greedy import greedy_decode
from mltu_ext.data.image_cache import build_cache
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.training import trainer as training


@contextlib.contextmanager
def extra_callback(callback: keras.callbacks.Callback) -> Iterator[None]:
    """Add ``callback`` to the ones ``training.train`` builds, for one call.

    ``train()`` takes no extra callbacks, and the benchmark needs one that
    logs the time of every epoch; this wraps ``build_callbacks`` where the
    trainer looks it up (``mltu_ext.training.trainer.build_callbacks``, imported
    there by name) and puts it back afterwards.
    """
    original = training.build_callbacks

    def with_extra(*args, **kwargs):
        return [*original(*args, **kwargs), callback]

    training.build_callbacks = with_extra
    try:
        yield
    finally:
        training.build_callbacks = original


def make_config(job: RecipeJob) -> TrainConfig:
    from configs import dhsd_config

    cfg = dhsd_config()
    if not job.data:
        raise ValueError("package_default needs RecipeJob.data, the DHSD folder (cfg.dataset)")
    # as `train.py --recipe dhsd --dataset DIR` records it in config.json
    cfg.dataset = str(job.data)
    cfg.seed = job.seed
    # what `train.py --max-minutes N` does: cosine learning rate over the budget
    # (BudgetLog still stops at the shared deadline, which also counts decoding)
    cfg.max_minutes = job.minutes
    cfg.lr_schedule = "time_cosine"
    cfg.split = {"train_writers": "1-27", "val_writers": "28-30"}
    return cfg


def make_run_config(job: RecipeJob) -> RunConfig:
    """As ``train.py --quiet --model-dir <job>/model`` runs it: one line per epoch, ONNX export."""
    return RunConfig(model_dir=str(job.out_dir / "model"), verbose=2, export=True)


def run(job: RecipeJob) -> dict:
    """Train within the deadline, then score ``best.keras`` on the validation writers."""
    cfg = make_config(job)
    train_images = (len(job.train) // cfg.batch_size) * cfg.batch_size  # last partial batch dropped
    log = BudgetLog(job, cfg.batch_size, train_images)
    with extra_callback(log):
        result = training.train(
            cfg, job.train, job.val, make_run_config(job), init_from=base_model_dir(cfg.base_model)
        )
    vocabulary = Vocabulary(cfg.model.vocabulary)
    cache = build_cache(
        job.val, vocabulary, cfg.model.height, cfg.max_width, cfg.time_steps, desc="scoring images"
    )
    model = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    images = cache.images.astype(np.float32)[..., None]  # N,H,W -> N,H,W,1
    probs = predict_in_batches(model, images)
    predictions = greedy_decode(probs, vocabulary.chars, vocabulary.blank_index)
    evaluation = scores(predictions, cache.texts)
    return summary(
        job,
        log,
        evaluation,
        parameters=model.count_params(),
        input_shape=[cfg.model.height, cfg.max_width, 1],
        batch_size=cfg.batch_size,
        onnx=str(result.onnx_path) if result.onnx_path else None,
        base_model=cfg.base_model,
        examples=list(zip(cache.texts[:10], predictions[:10], strict=True)),
    )
