"""Run under KERAS_BACKEND=jax on the CPU (tests/training/test_recompile.py launches it)."""

from __future__ import annotations

import json

import numpy as np


def train(recompile: bool) -> tuple[list[np.ndarray], list[float], int]:
    """Weights, losses and how often the step was traced: a tiny recogniser, 3 epochs of 5 batches."""
    import keras

    from mltu_ext.data.batching import ArrayBatches
    from mltu_ext.parallel.grouped_steps import use_grouped_steps
    from mltu_ext.parallel.recompile import RecompileAfterFirstEpoch
    from tests.scripts.per_device_check import random_cache, tiny_recognizer

    cache = random_cache(np.random.default_rng(0), 20, 2)
    keras.utils.set_random_seed(0)
    model = tiny_recognizer(learning_rate=1e-2)
    traces = [0]
    step = model.train_step

    def counted(state, data):
        traces[0] += 1  # runs when JAX traces the step, not when it runs
        return step(state, data)

    model.train_step = counted
    use_grouped_steps(model, 2)  # as train.py --steps-per-call 2: groups of 2, 2 and 1
    batches = ArrayBatches(cache, 4, training=True, seed=0)
    callbacks = [RecompileAfterFirstEpoch()] if recompile else []
    history = model.fit(batches, epochs=3, shuffle=False, verbose=0, callbacks=callbacks).history
    return [np.asarray(w) for w in model.get_weights()], [float(v) for v in history["loss"]], traces[0]


if __name__ == "__main__":
    plain, plain_loss, plain_traces = train(False)
    again, again_loss, again_traces = train(True)
    repeat = train(False)[0]  # run-to-run noise of the same training
    print(
        json.dumps(
            {
                "plain_traces": plain_traces,
                "recompiled_traces": again_traces,
                "difference": max(float(np.abs(a - b).max()) for a, b in zip(plain, again, strict=True)),
                "noise": max(float(np.abs(a - b).max()) for a, b in zip(plain, repeat, strict=True)),
                "largest_weight": max(float(np.abs(w).max()) for w in plain),
                "plain_loss": plain_loss,
                "recompiled_loss": again_loss,
            }
        )
    )
