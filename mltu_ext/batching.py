"""Batches from an ImageCache: tf.data for TensorFlow, a PyDataset otherwise.

Both yield float32 images (B, H, W, C) with pixels 0..255 and int32 labels
(B, L) padded with -1; the model normalises and augments inside its step.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from mltu_ext.image_cache import ImageCache


def tf_dataset(cache: ImageCache, batch_size: int, training: bool, seed: int = 0, channels: int = 1):
    """A shuffled (when training), batched, prefetched ``tf.data.Dataset``.

    Only the row indices are shuffled; each batch is gathered from the cache
    in one step, so an epoch starts at once however large the cache is.
    """
    import tensorflow as tf

    images = tf.constant(cache.images)  # N,H,W uint8
    labels = tf.constant(cache.labels)  # N,L int32
    data = tf.data.Dataset.range(len(cache))
    if training:
        data = data.shuffle(len(cache), seed=seed, reshuffle_each_iteration=True)
    # training drops the last partial batch so every step has the same shape
    data = data.batch(batch_size, drop_remainder=training and len(cache) >= batch_size)

    def gather(rows):
        batch = tf.cast(tf.gather(images, rows), tf.float32)[..., None]  # B,H,W -> B,H,W,1
        if channels == 3:
            batch = tf.repeat(batch, 3, axis=-1)
        return batch, tf.gather(labels, rows)

    data = data.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = not training
    return data.with_options(options).prefetch(tf.data.AUTOTUNE)


class ArrayBatches(keras.utils.PyDataset):
    """The same batches without TensorFlow (for the JAX and PyTorch backends)."""

    def __init__(self, cache: ImageCache, batch_size: int, training: bool, seed: int = 0, channels: int = 1):
        super().__init__(workers=1, use_multiprocessing=False)
        self.cache = cache
        self.batch_size = batch_size
        self.training = training
        self.channels = channels
        self._rng = np.random.default_rng(seed)
        count = len(cache)
        self._full = training and count >= batch_size
        self._order = np.arange(count)
        self.on_epoch_end()

    def __len__(self) -> int:
        count = len(self.cache)
        return count // self.batch_size if self._full else math.ceil(count / self.batch_size)

    def __getitem__(self, index: int):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        rows = np.sort(rows)  # sorted reads are faster on large arrays
        images = self.cache.images[rows].astype(np.float32)[..., None]
        if self.channels == 3:
            images = np.repeat(images, 3, axis=-1)
        return images, self.cache.labels[rows]

    def on_epoch_end(self) -> None:
        if self.training:
            self._rng.shuffle(self._order)


def make_batches(cache: ImageCache, batch_size: int, training: bool, seed: int = 0, channels: int = 1):
    """tf.data under the TensorFlow backend, ArrayBatches under any other."""
    if keras.backend.backend() == "tensorflow":
        return tf_dataset(cache, batch_size, training, seed, channels)
    return ArrayBatches(cache, batch_size, training, seed, channels)
