"""One training step under JAX, data-parallel training on two CPU devices, and the non-tf.data input path.

The test process runs Keras on TensorFlow, so the JAX and multi-device checks
run in subprocesses with their own environment. Each subprocess trains the
tiny recogniser (augmentation, CTC loss, CER/WER metrics) for two steps and
prints one JSON line that the tests read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from mltu_ext.data.batching import ArrayBatches
from mltu_ext.data.image_cache import build_cache
from mltu_ext.data.samples import Sample
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.model.recognizer import build_recognizer
from mltu_ext.parallel.distribute import data_parallel_scope, local_devices, replica_count
from mltu_ext.training.compile import compile_model

ROOT = Path(__file__).resolve().parents[2]

# Shared by the subprocesses: load the cache written by the test, build and
# compile the tiny model exactly as training.py does.
PRELUDE = """
import json, sys
import numpy as np
import keras
from mltu_ext.data.batching import ArrayBatches
from mltu_ext.config import ModelConfig, TrainConfig
from mltu_ext.parallel.distribute import data_parallel_scope
from mltu_ext.data.image_cache import ImageCache
from mltu_ext.model.recognizer import build_recognizer
from mltu_ext.training.compile import compile_model
from mltu_ext.data.vocabulary import Vocabulary

stored = np.load(sys.argv[1])
vocab = Vocabulary(sys.argv[2])
cache = ImageCache(stored["images"], stored["labels"], list(stored["texts"]), list(stored["texts"]))
cfg = TrainConfig(
    model=ModelConfig(height=32, filters=(8, 16), strides=((2, 2), (2, 1)), lstm_units=(16,),
                      dropout=0.0, vocabulary=vocab.chars),
    max_width=64, batch_size=8, learning_rate=3e-3, seed=1,
)

def new_model():
    keras.utils.set_random_seed(1)
    model = build_recognizer(cfg.model, cfg.augment, seed=1)
    compile_model(model, cfg, vocab)
    return model

def kernel(model):
    return keras.ops.convert_to_numpy(model.get_layer("res0_conv1").kernel)

x = cache.images[:8].astype("float32")[..., None]
y = cache.labels[:8]
"""

JAX_SCRIPT = """
import jax
out = {"devices": len(jax.devices())}
model = new_model()
before = kernel(model)
history = model.fit(ArrayBatches(cache, 8, training=True, seed=1), epochs=1, steps_per_epoch=2, verbose=0)
out["single"] = {k: float(v[-1]) for k, v in history.history.items()}
out["single_changed"] = float(np.abs(kernel(model) - before).max())
out["single_eval"] = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
weights = model.get_weights()

with data_parallel_scope() as plan:
    out["plan"] = type(plan).__name__
    out["mesh_devices"] = int(plan.device_mesh.devices.size)
    parallel = new_model()
    parallel.set_weights(weights)
    out["parallel_eval"] = parallel.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    before = kernel(parallel)
    history = parallel.fit(ArrayBatches(cache, 8, training=True, seed=1), epochs=1, steps_per_epoch=2,
                           verbose=0)
    out["parallel"] = {k: float(v[-1]) for k, v in history.history.items()}
    out["parallel_changed"] = float(np.abs(kernel(parallel) - before).max())
    out["variable_devices"] = len(parallel.trainable_variables[0].value.sharding.device_set)
out["after_scope"] = keras.distribution.distribution() is None
print("RESULT " + json.dumps(out))
"""

TF_SCRIPT = """
import tensorflow as tf
from mltu_ext.data.batching import tf_dataset
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
devices = [d.name for d in tf.config.list_logical_devices("CPU")]
out = {"devices": devices}
single = new_model()
out["single_eval"] = single.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
with data_parallel_scope(devices=devices) as strategy:
    out["plan"] = type(strategy).__name__
    out["replicas"] = strategy.num_replicas_in_sync
    model = new_model()
    model.set_weights(single.get_weights())
    out["parallel_eval"] = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    before = kernel(model)
    history = model.fit(tf_dataset(cache, 8, training=True, seed=1), epochs=1, steps_per_epoch=3, verbose=0)
    out["parallel"] = {k: float(v[-1]) for k, v in history.history.items()}
    out["parallel_changed"] = float(np.abs(kernel(model) - before).max())
print("RESULT " + json.dumps(out))
"""


def _samples(count: int = 32) -> list[Sample]:
    from tests.conftest import WORDS, draw_word

    return [
        Sample(text=WORDS[i % len(WORDS)], image=draw_word(WORDS[i % len(WORDS)]), source=f"test:{i}")
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """(npz path, vocabulary) of 32 drawn words at 32x64."""
    samples = _samples()
    vocab = Vocabulary.from_texts(s.text for s in samples)
    cache = build_cache(samples, vocab, height=32, width=64, time_steps=32, workers=2, desc="test words")
    path = tmp_path_factory.mktemp("backends") / "cache.npz"
    np.savez(path, images=cache.images, labels=cache.labels, texts=np.array(cache.texts))
    return path, vocab


def _run(script: str, data, extra_env: dict[str, str]) -> dict:
    path, vocab = data
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **extra_env,
    }
    code = textwrap.dedent(PRELUDE) + textwrap.dedent(script)
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), vocab.chars],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.fixture(scope="module")
def jax_run(tiny_data) -> dict:
    env = {
        "KERAS_BACKEND": "jax",
        "JAX_PLATFORMS": "cpu",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    }
    return _run(JAX_SCRIPT, tiny_data, env)


def _trained(logs: dict) -> None:
    assert np.isfinite(logs["loss"]) and logs["loss"] > 0
    # corpus-level rates of a barely trained model: at least one edit per word
    assert 0.0 < logs["CER"] < 20.0
    assert 0.0 < logs["WER"] <= 1.0 + 1e-6


@pytest.mark.slow
@pytest.mark.jax
def test_jax_backend_trains_one_step(jax_run):
    _trained(jax_run["single"])
    assert jax_run["single_changed"] > 0  # Adam moved the first convolution


@pytest.mark.slow
@pytest.mark.jax
def test_jax_data_parallel_over_two_devices(jax_run):
    assert jax_run["devices"] == 2
    assert jax_run["plan"] == "DataParallel" and jax_run["mesh_devices"] == 2
    # every weight lives on both devices; the batch is split between them
    assert jax_run["variable_devices"] == 2
    # same weights, same batch: the sharded computation gives the single-device loss
    assert jax_run["parallel_eval"]["loss"] == pytest.approx(jax_run["single_eval"]["loss"], rel=1e-4)
    assert jax_run["parallel_eval"]["CER"] == pytest.approx(jax_run["single_eval"]["CER"], abs=1e-6)
    _trained(jax_run["parallel"])
    assert jax_run["parallel_changed"] > 0
    assert jax_run["after_scope"]  # leaving the scope restores "no distribution"


@pytest.mark.slow
def test_tensorflow_mirrored_strategy_over_two_logical_cpus(tiny_data):
    out = _run(TF_SCRIPT, tiny_data, {"KERAS_BACKEND": "tensorflow"})
    assert len(out["devices"]) == 2
    assert out["plan"] == "MirroredStrategy" and out["replicas"] == 2
    assert out["parallel_eval"]["loss"] == pytest.approx(out["single_eval"]["loss"], rel=1e-4)
    _trained(out["parallel"])
    assert out["parallel_changed"] > 0


@pytest.mark.slow
def test_array_batches_feed_fit_under_tensorflow(tiny_data):
    path, vocab = tiny_data
    from mltu_ext.config import ModelConfig, TrainConfig
    from mltu_ext.data.image_cache import ImageCache

    with np.load(path) as stored:
        texts = [str(t) for t in stored["texts"]]
        cache = ImageCache(stored["images"], stored["labels"], texts, texts)
    cfg = TrainConfig(
        model=ModelConfig(
            height=32,
            filters=(8, 16),
            strides=((2, 2), (2, 1)),
            lstm_units=(16,),
            dropout=0.0,
            vocabulary=vocab.chars,
        ),
        max_width=64,
        batch_size=8,
        learning_rate=3e-3,
    )
    keras.utils.set_random_seed(2)
    model = build_recognizer(cfg.model, cfg.augment, seed=2)
    compile_model(model, cfg, vocab)
    batches = ArrayBatches(cache, 8, training=True, seed=2)
    images, labels = batches[0]
    assert images.shape == (8, 32, 64, 1) and images.dtype == np.float32
    assert labels.shape[0] == 8 and labels.dtype == np.int32
    before = keras.ops.convert_to_numpy(model.get_layer("res0_conv1").kernel)
    history = model.fit(batches, epochs=1, steps_per_epoch=2, verbose=0)
    _trained({k: v[-1] for k, v in history.history.items()})
    assert np.abs(keras.ops.convert_to_numpy(model.get_layer("res0_conv1").kernel) - before).max() > 0


def test_scope_does_nothing_on_one_device():
    assert keras.backend.backend() == "tensorflow"
    if local_devices():
        pytest.skip("this machine has GPUs")
    assert replica_count() == 1
    with data_parallel_scope() as plan:
        assert plan is None
    with data_parallel_scope(devices=["/cpu:0"]) as plan:
        assert plan is None
    assert replica_count(devices=["a", "b", "c"]) == 3


def test_scope_refuses_another_backend():
    with pytest.raises(ValueError, match="KERAS_BACKEND"), data_parallel_scope(backend="jax"):
        pass
