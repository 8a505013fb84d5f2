"""A trained recogniser made deeper: more BiLSTMs on top that start as the identity.

The new layers are residual (``ModelConfig.residual_lstms``): each adds a Dense projection of
its output, zero at the start, to its input, so the deeper network reads exactly as the trained
one until training moves the projections. Every other weight is copied.
"""

from __future__ import annotations

import copy

import keras

from mltu_ext.config import ModelConfig
from mltu_ext.errors import ConfigError
from mltu_ext.model.recognizer import build_recognizer


def deepened_config(cfg: ModelConfig, add: int, units: int | None = None) -> ModelConfig:
    """``cfg`` with ``add`` residual BiLSTMs of ``units`` each (default: the last one's) on top.

    >>> deepened_config(ModelConfig(lstm_units=(64, 64)), 2).lstm_units
    (64, 64, 64, 64)
    """
    if add < 1:
        raise ConfigError(f"add={add}: give at least one BiLSTM to add")
    grown = copy.deepcopy(cfg)
    size = cfg.lstm_units[-1] if units is None else units
    grown.lstm_units = (*cfg.lstm_units, *([size] * add))
    grown.residual_lstms = cfg.residual_lstms + add
    grown.validate()
    return grown


def deepen_recognizer(
    model: keras.Model, cfg: ModelConfig, add: int, units: int | None = None
) -> tuple[keras.Model, ModelConfig]:
    """The network of ``cfg`` with ``add`` more BiLSTMs, holding ``model``'s weights.

    ``model`` must be built from ``cfg`` (without augmentation). Raises ConfigError
    when a weight of ``model`` has no place of the same shape in the deeper network.
    """
    grown_cfg = deepened_config(cfg, add, units)
    grown = build_recognizer(grown_cfg)
    # by layer name: the variables' own paths hold names that Keras numbers per process
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        try:
            target = grown.get_layer(layer.name)
        except ValueError as error:
            raise ConfigError(f"layer {layer.name}: not in the deeper network") from error
        shapes = [w.shape for w in weights], [tuple(w.shape) for w in target.weights]
        if shapes[0] != shapes[1]:
            raise ConfigError(
                f"layer {layer.name}: weights {shapes[0]} in the trained network, "
                f"{shapes[1]} in the deeper one"
            )
        target.set_weights(weights)
    return grown, grown_cfg
