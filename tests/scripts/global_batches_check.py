"""Run as each of two JAX processes on CPUs (tests/parallel/test_multi_process.py launches it).

Each process keeps a small cache on its device (``ArrayBatches(on_device=True)``),
takes batches through Keras' own JAX input path and a short ``fit``, and writes
what it saw to ``<out>/p<index>.json``: whether the batch reached fit() as the
global array DeviceRows built, the global batch gathered back to the host
against the rows the plan chose, and the fit's losses and final weights.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def main(out_dir: str) -> None:
    from mltu_ext.parallel.multi_process import initialize_worker, worker_info

    initialize_worker(worker_info())
    import jax
    import keras
    from jax.experimental import multihost_utils
    from keras.src.backend.jax.trainer import _distribute_data

    from mltu_ext.data.batching import ArrayBatches
    from mltu_ext.data.image_cache import ImageCache
    from mltu_ext.parallel.distribute import data_parallel_scope

    rng = np.random.default_rng(0)  # the same cache in both processes
    count, height, width = 24, 4, 8
    images = rng.integers(0, 256, (count, height, width), dtype=np.uint8)
    labels = rng.integers(0, 5, (count, 3), dtype=np.int32)
    cache = ImageCache(images, labels, [str(i) for i in range(count)], [f"{i}.png" for i in range(count)])
    keras.utils.set_random_seed(1)
    with data_parallel_scope() as plan:
        batches = ArrayBatches(cache, batch_size=8, training=True, seed=3, on_device=True)
        rows = [r.tolist() for r, _ in batches._plan]
        local = batches[0]
        passed = _distribute_data(local)
        gathered = multihost_utils.process_allgather(passed[0], tiled=True)  # 8,H,W,1
        expected = images[np.asarray(rows[0])].astype(np.float32)[..., None]

        layers = [keras.Input((height, width, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.SGD(1e-5), loss="mse")
        history = model.fit(batches, epochs=2, verbose=0, shuffle=False)
        weights = model.layers[-1].kernel.value.addressable_data(0)  # this process's copy
    report = {
        "process": jax.process_index(),
        "distribution": type(plan).__name__,
        "global_in": bool(not local[0].is_fully_addressable),
        "unchanged": bool(passed[0] is local[0] and passed[1] is local[1]),
        "global_shape": list(passed[0].shape),
        "batch_matches_plan": bool(np.array_equal(np.asarray(gathered), expected)),
        "loss": [float(v) for v in history.history["loss"]],
        "kernel": np.asarray(weights).tolist(),
    }
    Path(out_dir, f"p{jax.process_index()}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
