"""Compile the training step a second time after the first epoch, for several JAX training processes."""

from __future__ import annotations

import keras

from mltu_ext.parallel.multi_process import is_main_process


class RecompileAfterFirstEpoch(keras.callbacks.Callback):
    """Under JAX, drop the compiled functions after the first epoch, so fit() compiles them again.

    With several training processes (one GPU each) the first model built in
    the processes trained about 5 % slower than a second one built later:
    the thread that launches the step ran all its code slower, and with two
    processes the step waits on that thread. Compiling the same step a second
    time in the same processes gives the second model's speed: 1.85x one GPU
    instead of 1.73-1.77x on two H200s (``benchmarks/gpu_training/RESULTS.md``). The
    second compile is the cheaper one (kernel choices are cached in memory):
    about 20 s more before the first timed epoch.
    All of JAX's compiled functions go, so the validation step is compiled
    again too. The first epoch of each ``fit`` call triggers it (a resumed
    run too); other backends: nothing happens.
    """

    def __init__(self):
        super().__init__()
        self._pending = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Arm the recompile under JAX."""
        self._pending = keras.backend.backend() == "jax"

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """After the first epoch: clear JAX's compiled functions, once."""
        if self._pending:
            self._pending = False
            import jax

            jax.clear_caches()  # the next call traces and compiles the step afresh
            if is_main_process():
                print("compiling the training step again (several processes launch a recompiled step faster)")
