"""The one module that reaches into Keras' private ``keras.src``, for the JAX multi-device path.

Keras 3 has no public way to (1) let fit() under a JAX distribution take a
batch that is already a global array, (2) run code under a stateless scope,
or (3) unpack a (x, y, sample_weight) batch inside a custom train step.
Everything here names the private attribute it uses, and
``tests/parallel/test_keras_patches.py`` fails loudly when a Keras release
moves one of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keras.src.backend import StatelessScope


def accept_global_batches() -> bool:
    """Let fit() under a JAX distribution take a batch that is already a global array as it is.

    Keras' JAX trainer passes every batch through its backend's
    ``distribution_lib.distribute_data_input``, which treats it as this
    process's share and assembles the global array from it
    (``jax.make_array_from_process_local_data``). An array that already has
    the layout's sharding (``batching.DeviceRows`` builds them with several
    processes) is the global batch: it passes unchanged. Anything else
    (NumPy arrays, per-process arrays) goes the usual way. Installing it
    twice changes nothing. Returns False, changing nothing, where this
    Keras feeds batches some other way (then callers keep per-process
    arrays, which every Keras accepts).
    """
    try:
        from keras.src.backend.jax import trainer
    except ImportError:
        return False
    library = getattr(trainer, "jax_distribution_lib", None)
    keras_path = getattr(library, "distribute_data_input", None)
    if keras_path is None:
        return False
    if getattr(keras_path, "passes_global_batches", False):
        return True

    def distribute_data_input(per_process_batch, layout, batch_dim_name):
        import jax

        sharding = getattr(layout, "backend_layout", layout)  # TensorLayout or jax Sharding
        if (
            isinstance(per_process_batch, jax.Array)
            and isinstance(sharding, jax.sharding.Sharding)
            and per_process_batch.sharding.is_equivalent_to(sharding, per_process_batch.ndim)
        ):
            return per_process_batch
        return keras_path(per_process_batch, layout, batch_dim_name)

    distribute_data_input.passes_global_batches = True
    # the trainer looks the function up in this module at every batch
    library.distribute_data_input = distribute_data_input
    return True


def stateless_scope(**kwargs: Any) -> StatelessScope:
    """Keras' ``StatelessScope`` (``keras.src.backend``): variables read from a given mapping."""
    from keras.src.backend import StatelessScope

    return StatelessScope(**kwargs)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """A fit() batch as (x, y, sample_weight), as Keras' own train steps unpack it."""
    from keras.src.trainers.data_adapters import data_adapter_utils

    return data_adapter_utils.unpack_x_y_sample_weight(data)
