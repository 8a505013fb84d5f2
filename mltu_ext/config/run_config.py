"""How one training run executes: where it writes, on which devices, how it is compiled.

None of this changes what model a recipe trains, so it is not part of
``config.json``; ``train()`` writes it as ``run.json`` beside it, for the record.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltu_ext.errors import ConfigError


@dataclass
class RunConfig:
    """Execution settings of one training run (``train.py``'s device and output options)."""

    model_dir: str = ""  # the model folder to write (train.py: Models/<data>_<time>)
    cache_dir: str | None = None  # decoded images kept here between runs; None: no cache
    tensorboard: bool = False
    jit_compile: bool | str = "auto"  # "auto": XLA under JAX only (it slowed TensorFlow on CPUs)
    mixed_precision: str | None = None  # None, "bfloat16" or "float16"
    data_parallel: bool = False  # split each batch over all local GPUs (batch_size is per device)
    # JAX: train in this many processes, one GPU each (mltu_ext.parallel.multi_process)
    processes: int = 1
    # training steps per compiled call (mltu_ext.parallel.grouped_steps); callbacks
    # then run once per group
    steps_per_call: int = 1
    # next to model.onnx also write model.int8.onnx (mltu_ext.export.quantize)
    int8_export: bool = False
    export: bool = True  # write model.onnx at the end of training
    verbose: int | str = "auto"  # Keras' fit() verbosity: "auto", 0, 1 or 2
    # the model folder whose weights this run began with (--init-from, or the recipe's base
    # model); None: random weights, or a --resume of this folder. Written by the trainer.
    started_from: str | None = None

    def validate(self) -> None:
        """Raise ConfigError naming the first field that cannot work."""
        if self.jit_compile not in (True, False, "auto"):
            raise ConfigError(f"jit_compile={self.jit_compile!r}: use true, false or 'auto'")
        if self.mixed_precision not in (None, "bfloat16", "float16"):
            raise ConfigError(
                f"mixed_precision={self.mixed_precision!r}: use bfloat16, float16 or leave it unset"
            )
        if self.processes < 1:
            raise ConfigError(f"processes={self.processes}: need at least 1")
        if self.steps_per_call < 1:
            raise ConfigError(f"steps_per_call={self.steps_per_call}: need at least 1")
        if self.verbose not in ("auto", 0, 1, 2):
            raise ConfigError(f"verbose={self.verbose!r}: use 'auto', 0, 1 or 2")

    @property
    def parallel(self) -> bool:
        """Whether batches are split over several devices or processes."""
        return self.data_parallel or self.processes > 1

    def save(self, path: str | Path) -> None:
        """Write the run settings as JSON (``run.json`` in a model folder)."""
        from mltu_ext.io.atomic import write_text

        write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (nested dataclasses too)."""
        return dataclasses.asdict(self)
