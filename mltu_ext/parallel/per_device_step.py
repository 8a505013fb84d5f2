"""Data-parallel training step for JAX in which each device runs its own share like one GPU does.

Under ``keras.distribution.DataParallel`` Keras compiles one global step and
lets XLA (GSPMD) split it. For this recogniser that costs scaling: every
BatchNorm's batch statistics become an all-reduce on the critical path
(dozens per step), and the cuDNN LSTM, which has no partitioning rule, is
gathered and run on the whole batch on every device
(``benchmarks/gpu_training/GPU_NOTES.md``). ``use_per_device_step(model, distribution)``
replaces the model's train step with one wrapped in ``jax.shard_map``: each
device runs the forward and backward pass on its slice exactly as a single
GPU would (BatchNorm statistics per device, as
``tf.distribute.MirroredStrategy`` keeps them), and only the gradients, the
BatchNorm moving averages and the metric sums cross devices, once per step.

The random augmentation and dropout draw from seeds offset by the device
index, so the two halves of a batch get different random changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import keras

from mltu_ext.parallel.keras_patches import stateless_scope, unpack_x_y_sample_weight

if TYPE_CHECKING:
    import jax

SEED_STRIDE = 1_000_003  # offset of the seed state per device (a prime, far from step counts)


def use_per_device_step(model: keras.Model, distribution: Any) -> bool:
    """Give ``model`` the per-device train step when ``distribution`` splits batches over devices.

    Call after ``model.compile`` and before ``fit``, inside the distribution's
    scope. Returns False (and changes nothing) unless the backend is JAX and
    ``distribution`` is a ``keras.distribution.DataParallel`` over two or more
    devices.
    """
    if keras.backend.backend() != "jax" or not isinstance(distribution, keras.distribution.DataParallel):
        return False
    mesh = distribution.device_mesh
    if mesh.devices.size < 2:
        return False
    step = make_per_device_step(model, mesh.backend_mesh, distribution.batch_dim_name)
    # fit() builds its jitted step from the instance attribute
    model.train_step = step
    model.train_function = None
    return True


def make_per_device_step(model: keras.Model, mesh: jax.sharding.Mesh, axis: str) -> Callable:
    """The ``train_step(state, data) -> (logs, state)`` of Keras' JAX trainer, one copy per device."""
    devices = mesh.devices.size
    import jax
    import jax.numpy as jnp
    from jax.sharding import PartitionSpec

    def local_step(state, data):
        trainable, non_trainable, optimizer_vars, metrics = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        index = jax.lax.axis_index(axis)
        non_trainable = [_offset_seed(v, index, jnp) for v in non_trainable]
        grad_fn = jax.value_and_grad(model.compute_loss_and_updates, has_aux=True)
        (_, aux), grads = grad_fn(
            trainable,
            non_trainable,
            metrics,
            x,
            y,
            sample_weight,
            training=True,
            optimizer_variables=optimizer_vars,
        )
        unscaled_loss, y_pred, new_non_trainable, new_metrics = aux
        _, local_metrics = model._update_metrics_variables(
            new_metrics, unscaled_loss, x, y, y_pred, sample_weight
        )
        floats = [i for i, v in enumerate(new_non_trainable) if not _is_seed(v, jnp)]
        # the one exchange of the step, as one all-reduce of one flat buffer (one
        # per array cost about 2 ms a step on two H200s; see
        # benchmarks/gpu_training/RESULTS.md): mean gradients, mean BatchNorm moving
        # averages, and the sum of every device's metric increments (metric states
        # are totals and counts)
        grads, moving, increments = psum_flat(
            (
                [g / devices for g in grads],
                [new_non_trainable[i] / devices for i in floats],
                [new - old for old, new in zip(metrics, local_metrics, strict=True)],
            ),
            axis,
        )
        trainable, optimizer_vars = model.optimizer.stateless_apply(optimizer_vars, grads, trainable)
        new_non_trainable = [_offset_seed(v, -index, jnp) for v in new_non_trainable]
        for i, value in zip(floats, moving, strict=True):
            new_non_trainable[i] = value
        metrics = [old + step for old, step in zip(metrics, increments, strict=True)]
        with stateless_scope(state_mapping=list(zip(model.metrics_variables, metrics, strict=True))):
            logs = model.get_metrics_result()
        return logs, (trainable, new_non_trainable, optimizer_vars, metrics)

    replicated, split = PartitionSpec(), PartitionSpec(axis)
    sharded = jax.shard_map(
        local_step, mesh=mesh, in_specs=(replicated, split), out_specs=replicated, check_vma=False
    )

    def train_step(state, data):
        return sharded(state, data)

    return train_step


def psum_flat(tree: Any, axis: str) -> Any:
    """``jax.lax.psum`` of a pytree of float arrays as one flat float32 buffer."""
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    flat, unravel = ravel_pytree(jax.tree.map(lambda v: jnp.asarray(v, jnp.float32), tree))
    summed = unravel(jax.lax.psum(flat, axis))
    return jax.tree.map(lambda new, old: new.astype(jnp.asarray(old).dtype), summed, tree)


def _is_seed(value, jnp) -> bool:
    return jnp.issubdtype(value.dtype, jnp.integer)


def _offset_seed(value, index, jnp):
    # SeedGenerator states are the integer non-trainable variables
    if not _is_seed(value, jnp):
        return value
    return value + (index * SEED_STRIDE).astype(value.dtype)
