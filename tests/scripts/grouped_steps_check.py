"""Run under KERAS_BACKEND=jax with two emulated CPU devices; tests/parallel/test_grouped_steps.py runs it."""

from __future__ import annotations

import json
import sys

import numpy as np


def train(group: int, devices: int) -> tuple[list[np.ndarray], list[float]]:
    """Weights and losses of a tiny recogniser after 2 epochs of 5 batches, ``group`` steps per call."""
    import keras

    from mltu_ext.data.batching import ArrayBatches
    from mltu_ext.parallel.distribute import data_parallel_scope
    from mltu_ext.parallel.grouped_steps import use_grouped_steps
    from mltu_ext.parallel.per_device_step import use_per_device_step
    from tests.scripts.per_device_check import random_cache, tiny_recognizer

    cache = random_cache(np.random.default_rng(0), 20, 2)
    keras.utils.set_random_seed(0)
    scope_devices = keras.distribution.list_devices()[:devices]
    with data_parallel_scope(devices=scope_devices) as plan:
        model = tiny_recognizer(learning_rate=1e-2)  # augmentation on: seeds advance per step
        if plan is not None:
            assert use_per_device_step(model, plan)
        assert use_grouped_steps(model, group) == (group > 1)
        batches = ArrayBatches(cache, 4, training=True, seed=0)  # 5 batches: groups of 2, 2 and 1
        history = model.fit(batches, epochs=2, shuffle=False, verbose=0).history
        return [np.asarray(w) for w in model.get_weights()], [float(v) for v in history["loss"]]


def largest_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.abs(u - v).max()) for u, v in zip(a, b, strict=True))


if __name__ == "__main__":
    results = {}
    for devices in (1, 2):
        plain, plain_loss = train(1, devices)
        grouped, grouped_loss = train(2, devices)
        moved = largest_difference(plain, train(1, devices)[0])  # run-to-run noise of the plain step
        results[str(devices)] = {
            "difference": largest_difference(plain, grouped),
            "noise": moved,
            "plain_loss": plain_loss,
            "grouped_loss": grouped_loss,
            "largest_weight": max(float(np.abs(w).max()) for w in plain),
        }
    print(json.dumps(results))
    sys.exit(0)
