"""Validation, checkpoints and export on the moving average of the weights (``ema_momentum``).

With ``use_ema`` a Keras optimizer keeps an exponential moving average of
every trainable weight beside it; these callbacks put the averages into the
model for validation and for the callbacks that save it at the end of an
epoch, and put the training weights back before training goes on. Keras's
own ``SwapEMAWeights`` leaves the averages in the model when a callback
stops training (time limit, early stopping), so the fit's closing
``finalize_variable_values`` then writes the training weights over them;
here the pair always ends an epoch with the training weights in the model.

Keras starts the averages from the first step's weights, which for a model
trained from random weights are noise: with momentum 0.999 over a third of
the average is still those weights after 1,000 steps, and validation on the
averages reads nothing long after the training weights read well
(benchmarks/line_model, run 012). So the averages restart from the training
weights at the start of the second epoch, and of every later epoch that
starts before the optimizer has taken ``averaging_steps`` steps (1 / (1 -
momentum), the length of the average's memory): from then on they average
weights that have learnt something.
"""

from __future__ import annotations

import math

import keras

from mltu_ext.errors import ConfigError


def averaging_steps(momentum: float) -> int:
    """Steps after which the averages stop restarting at each epoch: 1 / (1 - momentum), rounded up."""
    return math.ceil(1.0 / (1.0 - momentum) - 1e-9)


class AverageWeightsIn(keras.callbacks.Callback):
    """Put the moving averages into the model for validation and the epoch's end.

    Place it first among the callbacks, and ``TrainingWeightsBack`` last.
    """

    def __init__(self):
        super().__init__()
        self.averages_in_model = False

    def _pairs(self):
        optimizer = self.model.optimizer
        averages = getattr(optimizer, "_model_variables_moving_average", None)
        if not getattr(optimizer, "use_ema", False) or averages is None:
            raise ConfigError("ema_momentum is set but the optimizer keeps no moving averages")
        return zip(optimizer._trainable_variables, averages, strict=True)

    def swap(self) -> None:
        """Exchange each trainable weight with its moving average, in place."""
        for variable, average in self._pairs():
            held = keras.ops.convert_to_numpy(variable)
            variable.assign(average)
            average.assign(held)
        self.averages_in_model = not self.averages_in_model

    def show_averages(self) -> None:
        """Put the moving averages in the model, unless they are there already."""
        if not self.averages_in_model:
            self.swap()

    def show_training_weights(self) -> None:
        """Put the training weights back in the model, unless they are there already."""
        if self.averages_in_model:
            self.swap()

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Validate the moving averages."""
        self.show_averages()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Leave the averages in the model for the callbacks that follow (checkpoints, logs)."""
        # validation (on_test_begin) has put them in already, unless it did not run
        self.show_averages()

    def restart_averages(self) -> None:
        """Set each moving average to its training weight (the training weights in the model)."""
        for variable, average in self._pairs():
            # a copy: under JAX the two must not share one buffer, the step donates both
            average.assign(keras.ops.convert_to_numpy(variable))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Train the training weights; restart the averages after the first epoch and while they are young."""
        self.show_training_weights()
        optimizer = self.model.optimizer
        steps = int(keras.ops.convert_to_numpy(optimizer.iterations))
        if epoch == 1 or 0 < steps < averaging_steps(float(optimizer.ema_momentum)):
            self.restart_averages()


class TrainingWeightsBack(keras.callbacks.Callback):
    """After every other callback's ``on_epoch_end``: the training weights back in the model."""

    def __init__(self, swapper: AverageWeightsIn):
        super().__init__()
        self.swapper = swapper

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Put the training weights back in the model."""
        self.swapper.show_training_weights()


def average_weight_callbacks() -> tuple[AverageWeightsIn, TrainingWeightsBack]:
    """The pair of callbacks: the first goes first in the list, the second last."""
    swapper = AverageWeightsIn()
    return swapper, TrainingWeightsBack(swapper)
