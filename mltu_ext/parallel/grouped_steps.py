"""Several training steps per compiled call under JAX (``train.py --steps-per-call K``).

Keras' JAX trainer calls its compiled step once per batch from Python, even
with ``steps_per_execution``. This recogniser's step is many small kernels,
so the GPU idles between calls: on two H200s, K = 8 steps in one call (a
``jax.lax.scan`` of the same train step over the K batches fit() hands over)
trained 14 % faster on one GPU and 24 % faster on two
(``benchmarks/gpu_training/RESULTS.md``). The steps are the same
steps in the same order, so the weights come out as without grouping.

Callbacks see one call per group, as with Keras' ``steps_per_execution``:
a learning rate set in ``on_train_batch_begin`` holds for the whole group.
Under TensorFlow ``steps_per_execution`` already runs the group inside one
``tf.function``; ``use_grouped_steps`` sets it there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from mltu_ext.errors import ConfigError


def use_grouped_steps(model: keras.Model, steps: int) -> bool:
    """Train ``model`` ``steps`` batches per compiled call; True when anything changed.

    Call after ``model.compile`` (and after ``use_per_device_step``, whose
    step it groups) and before ``fit``.
    """
    if steps < 1:
        raise ConfigError(f"steps per call must be at least 1, got {steps}")
    if steps == 1:
        return False
    model.steps_per_execution = steps
    if keras.backend.backend() != "jax":
        return True  # TensorFlow groups the steps itself
    # fit() keeps a train_function it finds instead of building its own
    model.train_function = grouped_train_function(model.train_step, steps)
    return True


def grouped_train_function(train_step: Callable, steps: int) -> Callable:
    """``train_function(state, iterator)`` for Keras' JAX fit loop: ``steps`` batches, one call.

    A short last group (an epoch that is not a multiple of ``steps``) runs
    batch by batch with the same step.
    """
    import jax
    import jax.numpy as jnp

    def group(state, batches):
        stacked = jax.tree.map(lambda *parts: jnp.stack(parts), *batches)  # K,B,...

        def body(carry, data):
            logs, carry = train_step(carry, data)
            return carry, logs

        state, logs = jax.lax.scan(body, state, stacked)
        return jax.tree.map(lambda v: v[-1], logs), state  # the last step's logs

    grouped = jax.jit(group, donate_argnums=0)
    single = jax.jit(train_step, donate_argnums=0)

    def train_function(state, iterator) -> tuple[Any, Any]:
        batches = []
        for _ in range(steps):
            try:
                batches.append(next(iterator))
            except StopIteration:
                break
        if not batches:
            raise StopIteration
        if len(batches) == steps:
            return grouped(state, tuple(batches))
        logs = None
        for data in batches:
            logs, state = single(state, data)
        return logs, state

    return train_function
