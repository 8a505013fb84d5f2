"""Batches from an ImageCache: tf.data for TensorFlow, a PyDataset otherwise.

Both yield float32 images (B, H, W, C) with pixels 0..255 and int32 labels
(B, L) padded with -1; the model normalises and augments inside its step.

With ``bucket`` > 0 each batch holds words of similar width and is cropped to
the widest of them (rounded up to a multiple of ``bucket``) instead of the
cache's full width: rendered words at height 32 are 70 pixels wide at the
median, so most of a 160-pixel row is padding that the network would
otherwise convolve and run its LSTMs over.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import keras
import numpy as np

from mltu_ext.data.image_cache import ImageCache
from mltu_ext.errors import ConfigError
from mltu_ext.parallel.device_batches import DeviceRows, data_layout, use_device

if TYPE_CHECKING:
    import tensorflow as tf

# training batches are sorted by width within pools of this many batches:
# larger pools give tighter widths, smaller ones more random batches
POOL_BATCHES = 20


def plan_batches(
    min_widths: np.ndarray,
    batch_size: int,
    training: bool,
    rng: np.random.Generator,
    bucket: int = 0,
    max_width: int | None = None,
) -> list[tuple[np.ndarray, int]]:
    """One epoch's batches as (sorted row indices, width to crop to).

    Training shuffles every row and drops the last partial batch (so each
    step has a full batch); validation keeps every row. With ``bucket`` the
    rows are sorted by ``min_widths`` (within pools of POOL_BATCHES batches
    when training, then the batches are shuffled) and each batch's width is
    its widest row rounded up to a multiple of ``bucket``, at most
    ``max_width``; without it every batch has ``max_width`` columns.
    """
    count = len(min_widths)
    full_width = int(max_width if max_width is not None else min_widths.max(initial=1))
    full = training and count >= batch_size
    if training:
        order = rng.permutation(count)
        if full:
            order = order[: count // batch_size * batch_size]
        if bucket:
            pool = batch_size * POOL_BATCHES
            order = np.concatenate(
                [chunk[np.argsort(min_widths[chunk], kind="stable")] for chunk in _chunks(order, pool)]
            )
    else:
        order = np.argsort(min_widths, kind="stable") if bucket else np.arange(count)
    batches = [np.sort(rows) for rows in _chunks(order, batch_size)]
    if training and bucket:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    plan = []
    for rows in batches:
        width = full_width
        if bucket:
            width = min(full_width, math.ceil(int(min_widths[rows].max()) / bucket) * bucket)
        plan.append((rows, width))
    return plan


def _chunks(order: np.ndarray, size: int) -> list[np.ndarray]:
    return [order[i : i + size] for i in range(0, len(order), size)]


def _batch_count(count: int, batch_size: int, training: bool) -> int:
    if training and count >= batch_size:
        return count // batch_size
    return math.ceil(count / batch_size)


def tf_dataset(
    cache: ImageCache,
    batch_size: int,
    training: bool,
    seed: int = 0,
    channels: int = 1,
    bucket: int = 0,
    time_scale: int = 1,
) -> tf.data.Dataset:
    """A shuffled (when training), batched, prefetched ``tf.data.Dataset``.

    Only row indices are shuffled; each batch is gathered from the cache in
    one step, so an epoch starts at once however large the cache is. The
    batches follow :func:`plan_batches` in graph ops (a Python generator in
    the pipeline halved the training speed on two CPU cores): with
    ``bucket``, random batches are pooled POOL_BATCHES at a time, each pool
    is re-cut into batches of similar width, and the batches are shuffled
    within a window of two pools.
    """
    import tensorflow as tf

    images = tf.constant(cache.images)  # N,H,W uint8
    labels = tf.constant(cache.labels)  # N,L int32
    count, full_width = len(cache), cache.images.shape[2]
    min_widths = cache.min_widths(time_scale) if bucket else None
    widths = tf.constant(min_widths, tf.int32) if bucket else None  # N
    full = training and count >= batch_size
    if training:
        # training drops the last partial batch so every step has a full batch
        data = tf.data.Dataset.range(count).shuffle(count, seed=seed, reshuffle_each_iteration=True)
        data = data.batch(batch_size, drop_remainder=full)
        if bucket and full:

            def recut(pool):  # K,B random rows -> K,B rows sorted by width
                rows = tf.reshape(pool, [-1])
                rows = tf.gather(rows, tf.argsort(tf.gather(widths, rows), stable=True))
                return tf.data.Dataset.from_tensor_slices(tf.reshape(rows, [-1, batch_size]))

            data = data.batch(POOL_BATCHES).flat_map(recut).shuffle(2 * POOL_BATCHES, seed=seed)
    else:
        order = np.argsort(min_widths, kind="stable") if bucket else np.arange(count)
        data = tf.data.Dataset.from_tensor_slices(order.astype(np.int64)).batch(batch_size)
    data = data.apply(tf.data.experimental.assert_cardinality(_batch_count(count, batch_size, training)))

    def gather(rows):
        batch = tf.gather(images, rows)  # B,H,W uint8
        if bucket:
            widest = tf.reduce_max(tf.gather(widths, rows))
            width = tf.minimum(full_width, (widest + bucket - 1) // bucket * bucket)
            batch = batch[:, :, :width]  # B,H,W' (W' <= W)
        batch = tf.cast(batch, tf.float32)[..., None]  # B,H,W',1
        if channels == 3:
            batch = tf.repeat(batch, 3, axis=-1)
        return batch, tf.gather(labels, rows)

    data = data.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = not training
    return data.with_options(options).prefetch(tf.data.AUTOTUNE)


class ArrayBatches(keras.utils.PyDataset):
    """The same batches without TensorFlow (for the JAX and PyTorch backends).

    Under JAX each distinct batch width is compiled once, so a ``bucket`` of
    32 (five widths for 160 columns) costs a few compilations per run.

    Under a JAX data-parallel scope over D devices, a batch that does not
    split into D equal parts (the last validation batch, or a training set
    smaller than one batch) is filled up to ``batch_size`` rows with copies of
    its first row, and a third element, the sample weights (1 for real rows,
    0 for the copies), keeps the copies out of the loss and the CER/WER;
    then every batch of the epoch carries weights, as Keras expects one
    structure.
    With several processes (``train.py --processes``) ``batch_size`` is the
    global batch: every process plans the same batches from the same seed and
    yields only its own contiguous share of each.

    ``on_device`` (JAX only; default: when the cache fits in
    ``DEVICE_CACHE_BYTES`` and JAX runs on a GPU or TPU) keeps the uint8 cache
    on this process's accelerators, one copy per data-parallel device: each
    batch is then a gather on the devices, and only its row numbers cross
    from the host, so the input path costs nothing next to the step.
    """

    def __init__(
        self,
        cache: ImageCache,
        batch_size: int,
        training: bool,
        seed: int = 0,
        channels: int = 1,
        bucket: int = 0,
        time_scale: int = 1,
        on_device: bool | None = None,
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        self.cache = cache
        self.batch_size = batch_size
        self.training = training
        self.channels = channels
        self.bucket = bucket
        self._rng = np.random.default_rng(seed)
        self._width = cache.images.shape[2]
        self._min_widths = cache.min_widths(time_scale) if bucket else np.full(len(cache), self._width)
        self._plan = self._next_plan()
        self.layout = data_layout()
        if batch_size % self.layout.devices:
            raise ConfigError(
                f"batch size {batch_size} does not split over {self.layout.devices} devices; "
                "use a multiple of the device count"
            )
        # Keras lays out every batch like the first one, so either all batches carry
        # weights or none: all do when any batch of the plan has to be filled
        self._weighted = any(len(rows) % self.layout.devices for rows, _ in self._plan)
        self._device = DeviceRows(cache, channels) if use_device(on_device, cache) else None

    def _next_plan(self) -> list[tuple[np.ndarray, int]]:
        return plan_batches(
            self._min_widths, self.batch_size, self.training, self._rng, self.bucket, self._width
        )

    def __len__(self) -> int:
        return len(self._plan)

    def __getitem__(self, index: int):
        rows, width = self._plan[index]
        rows, weights = self.layout.fill(rows, self.batch_size)
        rows = self.layout.share(rows)
        if self._device is not None:
            images, labels = self._device.take(rows, width)
        else:
            images = self.cache.images[rows, :, :width].astype(np.float32)[..., None]  # B,H,W',1
            if self.channels == 3:
                images = np.repeat(images, 3, axis=-1)
            labels = self.cache.labels[rows]
        if not self._weighted:
            return images, labels
        if weights is None:
            weights = np.ones(len(rows) * self.layout.processes, np.float32)
        return images, labels, self.layout.share(weights)

    def on_epoch_end(self) -> None:
        """Plan the next epoch's batches (a new shuffle) when training."""
        if self.training:
            self._plan = self._next_plan()


def make_batches(
    cache: ImageCache,
    batch_size: int,
    training: bool,
    seed: int = 0,
    channels: int = 1,
    bucket: int = 0,
    time_scale: int = 1,
) -> tf.data.Dataset | ArrayBatches:
    """tf.data under the TensorFlow backend, ArrayBatches under any other."""
    if keras.backend.backend() == "tensorflow":
        return tf_dataset(cache, batch_size, training, seed, channels, bucket, time_scale)
    return ArrayBatches(cache, batch_size, training, seed, channels, bucket, time_scale)
