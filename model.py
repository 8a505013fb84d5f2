"""The recogniser: a residual CNN, bidirectional LSTMs and a softmax for CTC.

A thin front to :mod:`mltu_ext.model.recognizer`, in the place where mltu's
tutorials keep their ``model.py``.
"""

from __future__ import annotations

import keras

from mltu_ext.config import AugmentConfig, ModelConfig
from mltu_ext.model.recognizer import build_recognizer


def train_model(
    cfg: ModelConfig, augment: AugmentConfig | None = None, seed: int | None = None
) -> keras.Model:
    """Build the model for ``cfg`` (``cfg.vocabulary`` must be set).

    Input float32 (batch, height, width, channels) pixels 0..255; output
    softmax (batch, width / time_scale, len(vocabulary) + 1), blank last.
    """
    return build_recognizer(cfg, augment, seed)
