"""Several training steps per compiled call (mltu_ext.parallel.grouped_steps): same training, fewer calls."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mltu_ext.parallel.grouped_steps import use_grouped_steps
from tests.conftest import run_two_device_check


@pytest.fixture(scope="module")
def jax_check() -> dict:
    pytest.importorskip("jax")
    return run_two_device_check("grouped_steps_check.py")


@pytest.mark.slow
@pytest.mark.jax
@pytest.mark.parametrize("devices", ["1", "2"])
def test_grouped_steps_train_the_same_weights(jax_check, devices):
    # 5 batches an epoch in groups of 2, 2 and 1: the same steps in the same order
    # (augmentation included), so the weights end where step-by-step training ends
    result = jax_check[devices]
    assert result["difference"] <= max(1e-5 * result["largest_weight"], 10 * result["noise"])
    assert result["grouped_loss"] == pytest.approx(result["plain_loss"], rel=1e-4)
    assert result["plain_loss"][1] < result["plain_loss"][0]


def test_tensorflow_groups_steps_itself():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("checks the TensorFlow backend")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert use_grouped_steps(model, 4) and model.steps_per_execution == 4
    x = np.zeros((12, 3), "float32")
    model.fit(x, x[:, :1], batch_size=2, epochs=1, verbose=0)  # 6 batches: groups of 4 and 2
    assert not use_grouped_steps(model, 1)
    with pytest.raises(ValueError, match="at least 1"):
        use_grouped_steps(model, 0)
