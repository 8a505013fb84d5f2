"""RecompileAfterFirstEpoch: the step is compiled again after the first epoch, the training unchanged."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mltu_ext.parallel.recompile import RecompileAfterFirstEpoch
from tests.conftest import run_jax


@pytest.mark.slow
@pytest.mark.jax
def test_jax_step_is_traced_again_and_trains_the_same(tmp_path):
    pytest.importorskip("jax")
    import json
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "recompile_check.py"
    result = json.loads(run_jax([str(script)]).strip().splitlines()[-1])
    assert result["plain_traces"] >= 1
    assert result["recompiled_traces"] == 2 * result["plain_traces"]  # once more, and only once
    assert result["difference"] <= max(1e-5 * result["largest_weight"], 10 * result["noise"])
    assert result["recompiled_loss"] == pytest.approx(result["plain_loss"], rel=1e-4)


def test_other_backends_train_as_before():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 3), "float32")
    callback = RecompileAfterFirstEpoch()
    history = model.fit(x, x[:, :1], batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) == 2
    assert callback._pending is False  # nothing left to do under this backend
