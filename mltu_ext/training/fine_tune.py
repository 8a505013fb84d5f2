"""Start from another trained model: its vocabulary grown by new characters, its weights copied across."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from mltu_ext.config.train_config import TrainConfig
from mltu_ext.data.vocabulary import Vocabulary


def choose_vocabulary(cfg: TrainConfig, texts: Sequence[str], base: Vocabulary | None = None) -> Vocabulary:
    """The config's vocabulary when set, else ``base`` grown by new characters, else sorted from ``texts``."""
    if cfg.model.vocabulary:
        return Vocabulary(cfg.model.vocabulary)
    if base is not None:
        return base.merged_with(texts)
    return Vocabulary.from_texts(texts)


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
