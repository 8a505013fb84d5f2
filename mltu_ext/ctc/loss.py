"""CTC loss on ``keras.ops`` that reads the true label lengths."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from mltu_ext.ctc.unrolled_loss import ctc_loss_scan, ctc_loss_unrolled
from mltu_ext.data.vocabulary import LABEL_PAD

# Under JAX the time loop is unrolled up to this many steps (unrolled_loss.py:
# one launch instead of two per step on a GPU); longer outputs use a scan.
# Words need 32-80 steps; a line batch of 1,000 columns has 250, whose
# unrolled graph costs minutes of compiling per batch width.
MAX_UNROLLED_STEPS = 128
# Frames per turn of that scan under JAX (ctc_loss_scan); 0 keeps Keras' ops.ctc_loss,
# one frame a turn. benchmarks/line_model/ctc_speed.py measures the choice.
SCAN_UNROLL = 16


@keras.saving.register_keras_serializable(package="mltu_ext")
class CTCLoss(keras.losses.Loss):
    """Connectionist temporal classification loss for softmax outputs.

    ``y_true``: int (B, L) character indices padded with ``LABEL_PAD``.
    ``y_pred``: probabilities (B, T, C) with the blank at ``blank_index``.
    The label length of each row is its count of non-padding entries, so
    padding never becomes a target; every row uses all T time steps.
    The loss is computed in float32 even under mixed precision. Under the
    JAX backend it is ``unrolled_loss.ctc_loss_unrolled`` (same values and
    gradients, no per-step launches) or, past MAX_UNROLLED_STEPS frames,
    ``unrolled_loss.ctc_loss_scan``; elsewhere Keras' ``ops.ctc_loss``.
    """

    def __init__(self, blank_index: int, name: str = "ctc_loss", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.blank_index = int(blank_index)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """Per-sample losses (B,) of labels (B, L) padded with LABEL_PAD and softmax outputs (B, T, C)."""
        y_true = ops.cast(y_true, "int32")
        y_pred = ops.cast(y_pred, "float32")
        label_length = ops.sum(ops.cast(y_true != LABEL_PAD, "int32"), axis=-1)  # B
        # padding is replaced by a valid index only so the op accepts it; the
        # op never reads past label_length
        targets = ops.where(y_true == LABEL_PAD, ops.zeros_like(y_true), y_true)
        batch = ops.shape(y_pred)[0]
        steps = ops.shape(y_pred)[1]
        logit_length = ops.full((batch,), steps, dtype="int32")
        # keras' ctc_loss takes logits; log-probabilities of a softmax are a
        # valid choice, since log_softmax(log p) == log p
        log_probs = ops.log(ops.clip(y_pred, 1e-7, 1.0))
        static_steps = y_pred.shape[1]
        if keras.backend.backend() == "jax" and static_steps:
            if static_steps <= MAX_UNROLLED_STEPS:
                return ctc_loss_unrolled(targets, label_length, log_probs, self.blank_index)
            if SCAN_UNROLL > 0:
                return ctc_loss_scan(targets, label_length, log_probs, self.blank_index, SCAN_UNROLL)
        return ops.ctc_loss(targets, log_probs, label_length, logit_length, mask_index=self.blank_index)

    def get_config(self) -> dict:
        """The base config and ``blank_index``, for saving and loading."""
        config = super().get_config()
        config.update(blank_index=self.blank_index)
        return config
