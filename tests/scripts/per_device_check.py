"""Run under KERAS_BACKEND=jax on two emulated CPU devices; tests/parallel/test_per_device_step.py runs it."""

from __future__ import annotations

import json
import sys

import numpy as np


def batchnorm_case() -> float:
    """One SGD step on a BatchNorm model over 2 devices vs the mean of two one-device steps.

    With statistics per device, the step on a batch split into halves A and B
    moves every weight (and moving average) to the mean of where a step on A
    alone and a step on B alone would move it. A global (GSPMD) BatchNorm
    would not: its statistics mix the halves. Returns the largest difference.
    """
    import keras

    from mltu_ext.parallel.distribute import data_parallel_scope
    from mltu_ext.parallel.per_device_step import use_per_device_step

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6)).astype("float32")
    x[8:] += 3.0  # the halves differ, so per-device and global statistics differ
    y = rng.normal(size=(16, 2)).astype("float32")

    def build():
        keras.utils.set_random_seed(1)
        model = keras.Sequential(
            [
                keras.Input((6,)),
                keras.layers.BatchNormalization(),
                keras.layers.Dense(5, activation="tanh"),
                keras.layers.Dense(2),
            ]
        )
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        return model

    halves = []
    for part in (slice(0, 8), slice(8, 16)):
        model = build()
        model.fit(x[part], y[part], batch_size=8, epochs=1, shuffle=False, verbose=0)
        halves.append(model.get_weights())
    with data_parallel_scope(devices=keras.distribution.list_devices()[:2]) as plan:
        split = build()
        assert use_per_device_step(split, plan)
        split.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    expected = [(a + b) / 2 for a, b in zip(*halves, strict=True)]
    return max(float(np.abs(e - w).max()) for e, w in zip(expected, split.get_weights(), strict=True))


def device_rows_case() -> dict:
    """ArrayBatches with the cache on the (emulated) devices: same batches as the host path."""
    import keras

    from mltu_ext.data.batching import ArrayBatches
    from mltu_ext.data.image_cache import ImageCache
    from mltu_ext.parallel.distribute import data_parallel_scope

    rng = np.random.default_rng(3)
    # 37 rows: the last batch of 5 is filled to 8 rows (3 copies weighted 0)
    images = rng.integers(0, 256, size=(37, 8, 24), dtype=np.uint8)
    labels = rng.integers(-1, 5, size=(37, 3)).astype(np.int32)
    cache = ImageCache(images, labels, [f"t{i}" for i in range(37)], [f"n{i}" for i in range(37)])
    with data_parallel_scope(devices=keras.distribution.list_devices()[:2]):
        host = ArrayBatches(cache, 8, training=False, on_device=False)
        device = ArrayBatches(cache, 8, training=False, on_device=True)
        pairs = [(host[i], device[i]) for i in range(len(host))]
    same = all(
        len(h) == len(d) == 3 and all(np.array_equal(a, np.asarray(b)) for a, b in zip(h, d, strict=True))
        for h, d in pairs
    )
    shards = len(pairs[0][1][0].addressable_shards)
    return {
        "same": bool(same),
        "shards": shards,
        "shard_rows": pairs[0][1][0].addressable_shards[0].data.shape[0],
        "last_weights": np.asarray(pairs[-1][1][2]).tolist(),
        "last_rows": [int(v) for v in np.asarray(pairs[-1][1][1])[:, 0]]
        == cache.labels[[32, 33, 34, 35, 36, 32, 32, 32], 0].tolist(),
    }


def tiny_recognizer(learning_rate: float | None = None):
    """A compiled two-block recogniser of 16x32 images over the letters a and b (weights from seed 0)."""
    from mltu_ext.config import ModelConfig, TrainConfig
    from mltu_ext.data.vocabulary import Vocabulary
    from mltu_ext.model.recognizer import build_recognizer
    from mltu_ext.training.compile import compile_model

    cfg = TrainConfig(
        model=ModelConfig(
            height=16, filters=(4, 8), strides=((2, 2), (2, 1)), lstm_units=(8,), vocabulary="ab"
        ),
        max_width=32,
    )
    if learning_rate is not None:
        cfg.learning_rate = learning_rate
    model = build_recognizer(cfg.model, cfg.augment, seed=0)
    compile_model(model, cfg, Vocabulary("ab"))
    return model


def random_cache(rng: np.random.Generator, count: int, label_length: int):
    """``count`` random 16x32 images with random labels of ``label_length`` letters a/b."""
    from mltu_ext.data.image_cache import ImageCache

    x = rng.integers(0, 256, size=(count, 16, 32), dtype=np.uint8)
    y = np.full((count, 4), -1, "int32")
    y[:, :label_length] = rng.integers(0, 2, size=(count, label_length))
    return ImageCache(x, y, ["t"] * count, ["n"] * count)


def recognizer_case() -> dict:
    """A tiny recogniser trained a few steps with the per-device step: finite, replicated, learning."""
    import keras

    from mltu_ext.data.batching import ArrayBatches
    from mltu_ext.parallel.distribute import data_parallel_scope
    from mltu_ext.parallel.per_device_step import use_per_device_step

    cache = random_cache(np.random.default_rng(0), 16, 2)
    with data_parallel_scope(devices=keras.distribution.list_devices()[:2]) as plan:
        model = tiny_recognizer(learning_rate=1e-2)
        assert use_per_device_step(model, plan)
        # the GPU input path: cache on the devices, batches gathered there
        batches = ArrayBatches(cache, 8, training=True, seed=0, on_device=True)
        history = model.fit(batches, epochs=6, shuffle=False, verbose=0).history
        weights = model.trainable_variables[0].value
        shards = [np.asarray(s.data) for s in weights.addressable_shards]
    return {
        "losses": [float(v) for v in history["loss"]],
        "cer": [float(v) for v in history["CER"]],
        "replicas_equal": bool(all(np.array_equal(shards[0], s) for s in shards[1:])),
        "replicas": len(shards),
    }


def uneven_validation_case() -> dict:
    """7 validation words on 2 devices (batch 4: 4 + 3): fit validates, and the CER of the
    filled batches equals one device's CER on the same weights and words."""
    import keras

    from mltu_ext.data.batching import ArrayBatches
    from mltu_ext.parallel.distribute import data_parallel_scope
    from mltu_ext.parallel.per_device_step import use_per_device_step

    rng = np.random.default_rng(5)
    train, val = random_cache(rng, 16, 3), random_cache(rng, 7, 3)
    with data_parallel_scope(devices=keras.distribution.list_devices()[:2]) as plan:
        model = tiny_recognizer()
        use_per_device_step(model, plan)
        history = model.fit(
            ArrayBatches(train, 8, True), validation_data=ArrayBatches(val, 4, False), epochs=1, verbose=0
        ).history
        batches = ArrayBatches(val, 4, False)
        last = batches[len(batches) - 1]
        split = model.evaluate(batches, verbose=0, return_dict=True)
        weights = model.get_weights()
    single = tiny_recognizer()
    single.set_weights(weights)
    alone = single.evaluate(ArrayBatches(val, 7, False), verbose=0, return_dict=True)
    return {
        "val_CER": float(history["val_CER"][0]),
        "split_CER": float(split["CER"]),
        "single_CER": float(alone["CER"]),
        "last_batch_rows": int(np.asarray(last[0]).shape[0]),
        "last_batch_weights": np.asarray(last[2]).tolist(),
    }


if __name__ == "__main__":
    print(
        json.dumps(
            {
                "batchnorm_max_diff": batchnorm_case(),
                "device_rows": device_rows_case(),
                "recognizer": recognizer_case(),
                "uneven_validation": uneven_validation_case(),
            }
        )
    )
    sys.exit(0)
