"""Data-parallel training over the local devices, for the JAX and TensorFlow backends.

``data_parallel_scope()`` gives a context manager; build, compile *and* fit
the model inside it::

    with data_parallel_scope() as plan:
        model = build_recognizer(cfg.model, cfg.augment)
        compile_model(model, cfg, vocabulary)
        model.fit(batches)  # cfg.batch_size is the global batch

With one device (or under the PyTorch backend) it does nothing. Otherwise
every device holds a copy of the weights, each step's batch is split along
its first axis, and the gradients are summed across devices:

- JAX: ``keras.distribution.DataParallel`` over ``keras.distribution.list_devices()``
  (fit() shards each batch as it arrives; GSPMD splits the step inside
  ``jax.jit`` unless ``mltu_ext.parallel.per_device_step.use_per_device_step`` gives the
  model a per-device step, as ``training.train`` does).
- TensorFlow: ``tf.distribute.MirroredStrategy`` over the local GPUs.

The batch size given to fit() is the global batch: keep the per-device
batch (256 words fills one H100/H200 with the default model) and multiply by
``replica_count()``.

Several hosts
-------------
JAX: every process calls ``keras.distribution.initialize(job_addresses,
num_processes, process_id)`` before it builds anything (or sets
``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES``
and ``KERAS_DISTRIBUTION_PROCESS_ID`` and calls ``initialize()``; for JAX
only the coordinator's ``host:port`` is needed in the addresses).
``list_devices()`` then returns the devices of all hosts and this scope
spans them. Each process must feed only its own part of the global batch:
a ``tf.data`` dataset is sharded by Keras; an ``ArrayBatches`` is built with
the global batch and yields only its own process's share of each batch
(``mltu_ext.data.batching``), and this scope tells Keras not to shard it again.
On one host, ``train.py --processes N`` does all of this, one process per
GPU (``mltu_ext.parallel.multi_process``); on several hosts run ``train.py`` on each
with the three ``MLTU_EXT_*`` variables that ``mltu_ext.parallel.multi_process``
reads (coordinator ``host:port``, process count, this process's index), the
same ``--model-dir`` on a shared disk and the same data.

TensorFlow: use ``tf.distribute.MultiWorkerMirroredStrategy()`` instead of
this scope, with the ``TF_CONFIG`` environment variable on every worker
(``{"cluster": {"worker": [...]}, "task": {"type": "worker", "index": i}}``)
set before TensorFlow starts; build, compile and fit in its ``scope()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import keras

from mltu_ext.errors import ConfigError


def local_devices(backend: str | None = None) -> list[str]:
    """Names of the devices a data-parallel scope would use.

    JAX: ``keras.distribution.list_devices()`` (GPUs or TPUs when there are
    any, else the CPUs, e.g. ``["gpu:0", "gpu:1"]``); TensorFlow: the logical
    GPUs (``["/job:localhost/replica:0/task:0/device:GPU:0", ...]``); other
    backends: none.
    """
    backend = _check_backend(backend)
    if backend == "jax":
        return list(keras.distribution.list_devices())
    if backend == "tensorflow":
        import tensorflow as tf

        return [device.name for device in tf.config.list_logical_devices("GPU")]
    return []


def replica_count(backend: str | None = None, devices: Sequence[str] | None = None) -> int:
    """How many model copies a data-parallel scope trains (1 when it does nothing).

    Multiply the per-device batch by this to get the global batch for fit().
    """
    devices = local_devices(backend) if devices is None else list(devices)
    return len(devices) if len(devices) > 1 else 1


@contextlib.contextmanager
def data_parallel_scope(backend: str | None = None, devices: Sequence[str] | None = None) -> Iterator[Any]:
    """Train on all ``devices`` (default: ``local_devices()``) with one model copy each.

    Yields the ``keras.distribution.DataParallel`` (JAX) or the
    ``tf.distribute.MirroredStrategy`` (TensorFlow) in use, or ``None`` when
    fewer than two devices are given or the backend has no such path (then
    training runs on the default device as usual).

    ``backend`` defaults to the running Keras backend; naming another one
    raises ValueError, since the scope only works for the backend in use.

    >>> with data_parallel_scope(devices=[]) as plan:
    ...     plan is None
    True
    """
    backend = _check_backend(backend)
    devices = local_devices(backend) if devices is None else list(devices)
    if len(devices) < 2 or backend not in ("jax", "tensorflow"):
        yield None
        return
    if backend == "jax":
        distribution = keras.distribution.DataParallel(devices=devices)
        if _process_count() > 1:
            # several processes (train.py --processes): each ArrayBatches already
            # yields only its own process's share of every batch
            distribution.auto_shard_dataset = False
        # the scope sets the global distribution and restores the old one on exit
        with distribution.scope():
            yield distribution
        return
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        yield strategy


def _process_count() -> int:
    import jax

    return jax.process_count()


def _check_backend(backend: str | None) -> str:
    running = keras.backend.backend()
    if backend is not None and backend != running:
        raise ConfigError(
            f"backend={backend!r} but Keras runs on {running!r}: set KERAS_BACKEND before importing keras"
        )
    return running
