"""The optimiser, the CTC loss and the CER/WER metrics a recogniser is compiled with."""

from __future__ import annotations

import keras

from mltu_ext.config.train_config import TrainConfig
from mltu_ext.ctc.loss import CTCLoss
from mltu_ext.ctc.metrics import CharacterErrorRate, WordErrorRate
from mltu_ext.data.vocabulary import Vocabulary


def make_optimizer(cfg: TrainConfig) -> keras.optimizers.Optimizer:
    """Adam or AdamW with the config's learning rate; gradients clipped to norm 5.

    With ``cfg.accumulate`` > 1 the weights change once every that many
    batches, by the mean of their gradients; with ``cfg.ema_momentum`` the
    optimizer keeps a moving average of the weights.
    """
    options = {"clipnorm": 5.0}
    if cfg.accumulate > 1:
        options["gradient_accumulation_steps"] = cfg.accumulate
    if cfg.ema_momentum:
        # the moving average that validation, checkpoints and export read (average_weights)
        options.update(use_ema=True, ema_momentum=cfg.ema_momentum)
    if cfg.optimizer == "adamw":
        return keras.optimizers.AdamW(cfg.learning_rate, weight_decay=cfg.weight_decay, **options)
    return keras.optimizers.Adam(cfg.learning_rate, **options)


def compile_model(
    model: keras.Model, cfg: TrainConfig, vocabulary: Vocabulary, jit_compile: bool | str = "auto"
) -> None:
    """Adam + CTC loss + CER/WER metrics (their state Keras tracks and resets)."""
    space = vocabulary.chars.index(" ") if " " in vocabulary.chars else None
    jit = jit_compile
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
