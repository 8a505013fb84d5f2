"""The private Keras attributes that mltu_ext.parallel.keras_patches relies on still exist.

These fail loudly, naming the attribute, when a Keras release moves one of them,
instead of letting multi-device training fall back or break at run time.
"""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    ("module", "attribute"),
    [
        ("keras.src.backend", "StatelessScope"),
        ("keras.src.trainers.data_adapters.data_adapter_utils", "unpack_x_y_sample_weight"),
    ],
)
def test_private_keras_names_exist(module, attribute):
    found = importlib.import_module(module)
    assert hasattr(found, attribute), (
        f"Keras moved {module}.{attribute}: update mltu_ext.parallel.keras_patches"
    )


@pytest.mark.jax
def test_jax_trainer_looks_up_distribute_data_input():
    """Under JAX (in a subprocess: this process runs TensorFlow), the patched lookup is there and works."""
    pytest.importorskip("jax")
    from tests.conftest import run_jax

    code = (
        "from keras.src.backend.jax import trainer\n"
        "library = getattr(trainer, 'jax_distribution_lib', None)\n"
        "assert library is not None, 'keras.src.backend.jax.trainer has no jax_distribution_lib any more'\n"
        "assert callable(getattr(library, 'distribute_data_input', None)), "
        "'the JAX trainer no longer feeds batches through distribute_data_input'\n"
        "from mltu_ext.parallel.keras_patches import accept_global_batches\n"
        "assert accept_global_batches() and library.distribute_data_input.passes_global_batches\n"
        "print('patched')\n"
    )
    assert "patched" in run_jax(["-c", code])


def test_unpack_and_scope_accessors_work():
    import keras

    from mltu_ext.parallel.keras_patches import stateless_scope, unpack_x_y_sample_weight

    x, y, weights = unpack_x_y_sample_weight((1, 2))
    assert (x, y, weights) == (1, 2, None)
    variable = keras.Variable(1.0)
    with stateless_scope(state_mapping=[(variable, keras.ops.convert_to_tensor(5.0))]):
        assert float(keras.ops.convert_to_numpy(variable.value)) == 5.0
