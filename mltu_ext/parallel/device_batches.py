"""Batches for several devices and processes: how a batch splits; a uint8 cache kept on the accelerators."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import keras
import numpy as np

from mltu_ext.data.image_cache import ImageCache
from mltu_ext.errors import ConfigError
from mltu_ext.parallel.keras_patches import accept_global_batches

if TYPE_CHECKING:
    import jax

# largest cache (bytes of uint8 pixels) that ArrayBatches keeps on a GPU by default
DEVICE_CACHE_BYTES = 2 << 30


@dataclass(frozen=True)
class DataLayout:
    """How fit() splits a batch: over ``devices`` devices in ``processes`` processes."""

    devices: int = 1
    processes: int = 1
    process: int = 0  # this process's index

    def fill(self, rows: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(rows, None) when ``rows`` split evenly over the devices; else rows filled up with
        copies of the first to ``batch_size`` (or the next multiple of the device count) and
        the weights (B,) float32: 1 for the real rows, 0 for the copies."""
        count = len(rows)
        if count % self.devices == 0:
            return rows, None
        size = batch_size if count < batch_size else math.ceil(count / self.devices) * self.devices
        filled = np.concatenate([rows, np.full(size - count, rows[0], rows.dtype)])
        weights = np.zeros(size, np.float32)
        weights[:count] = 1.0
        return filled, weights

    def share(self, values: np.ndarray) -> np.ndarray:
        """This process's contiguous part of a whole batch's ``values`` (all of it in one process)."""
        if self.processes == 1:
            return values
        part = len(values) // self.processes
        return values[self.process * part : (self.process + 1) * part]


def data_layout() -> DataLayout:
    """The DataLayout of the active ``keras.distribution`` (one device when there is none)."""
    if keras.backend.backend() != "jax":
        return DataLayout()
    distribution = keras.distribution.distribution()
    if distribution is None:
        return DataLayout()
    import jax

    return DataLayout(distribution.device_mesh.devices.size, jax.process_count(), jax.process_index())


def use_device(on_device: bool | None, cache: ImageCache) -> bool:
    """Whether batches are gathered on the accelerator: as ``on_device`` says (JAX only), else when
    JAX runs on one and the cache fits in ``DEVICE_CACHE_BYTES``."""
    if keras.backend.backend() != "jax":
        if on_device:
            raise ConfigError("on_device=True needs the JAX backend")
        return False
    if on_device is not None:
        return on_device
    import jax

    return jax.default_backend() != "cpu" and cache.images.nbytes <= DEVICE_CACHE_BYTES


class DeviceRows:
    """An ImageCache's pixels and labels on this process's JAX devices; batches are gathered there.

    Under a ``keras.distribution`` data-parallel scope the cache is
    replicated on every local device of its mesh and each batch comes out
    split along its first axis over those devices, as fit() splits this
    process's share of a batch. With several processes that share comes out
    as the global batch array (``as_global_batch``), which fit() takes as it
    is (``distribute.accept_global_batches``).
    """

    def __init__(self, cache: ImageCache, channels: int = 1):
        import jax
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        distribution = keras.distribution.distribution()
        replicated = split = None
        self.replicas = 1
        self.global_sharding = None  # set with several processes: take() returns global arrays
        if distribution is not None:
            mesh = distribution.device_mesh.backend_mesh
            local = [d for d in mesh.devices.flat if d.process_index == jax.process_index()]
            split_axis = PartitionSpec(distribution.batch_dim_name)
            if jax.process_count() > 1 and accept_global_batches():
                self.global_sharding = NamedSharding(mesh, split_axis)
            mesh = Mesh(np.array(local), (distribution.batch_dim_name,))
            replicated = NamedSharding(mesh, PartitionSpec())
            split = NamedSharding(mesh, split_axis)
            self.replicas = len(local)
        self.rows_sharding = split
        self.images = jax.device_put(cache.images, replicated)  # N,H,W uint8
        self.labels = jax.device_put(cache.labels, replicated)  # N,L int32
        outputs = None if split is None else (split, split)

        def gather(images, labels, rows, width):
            batch = images[rows, :, :width].astype("float32")[..., None]  # B,H,W',1
            if channels == 3:
                batch = batch.repeat(3, axis=-1)
            return batch, labels[rows]

        self._gather = jax.jit(gather, static_argnums=3, out_shardings=outputs)

    def take(self, rows: np.ndarray, width: int) -> tuple[jax.Array, jax.Array]:
        """(images float32 B,H,W',C, labels) for cache ``rows``, on the device(s).

        ``len(rows)`` must split evenly over this process's devices.
        """
        import jax

        rows = jax.device_put(np.asarray(rows, np.int32), self.rows_sharding)
        images, labels = self._gather(self.images, self.labels, rows, int(width))
        if self.global_sharding is None:
            return images, labels
        return as_global_batch(images, self.global_sharding), as_global_batch(labels, self.global_sharding)


def as_global_batch(local: jax.Array, sharding: jax.sharding.NamedSharding) -> jax.Array:
    """This process's share of a batch (split over its devices) as the global array of ``sharding``.

    No copy and no device work: each local shard becomes the global array's
    shard on the same device, where Keras' multi-process input path
    (``jax.make_array_from_process_local_data``) would slice and place every
    array again on the host thread that also launches the step. On two H200s
    the two-process figure moved by less than 1 % with it
    (``benchmarks/gpu_training/RESULTS.md``).
    """
    import jax

    devices = sharding.mesh.devices.size
    shards = [shard.data for shard in local.addressable_shards]  # one per local device
    shape = (local.shape[0] // len(shards) * devices, *local.shape[1:])
    return jax.make_array_from_single_device_arrays(shape, sharding, shards)
