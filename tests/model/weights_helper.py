"""Trained-looking weights for tiny test networks."""

from __future__ import annotations

import keras
import numpy as np


def randomize_weights(model: keras.Model, seed: int = 0) -> keras.Model:
    """Every float weight random, so that no weight is the zero or one it was built with."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if "float" in str(variable.dtype):
            values = rng.normal(0, 0.3, tuple(variable.shape)).astype("float32")
            # a variance below zero makes every output NaN, and NaN equals NaN in assert_allclose
            variable.assign(np.abs(values) + 0.5 if "variance" in variable.path else values)
    return model
