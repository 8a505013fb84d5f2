"""Training throughput of the package's recogniser under Keras 3 + JAX on GPUs.

Each measurement is ``model.fit`` over whole epochs: the in-step augmentation,
forward pass, CTC loss, CER/WER metrics, backward pass and Adam, fed from an
``ImageCache`` of synthetic word images (no TensorFlow anywhere). The result
is word images per second; ``benchmarks/gpu_training/torch_reference.py`` times the same
network in plain PyTorch for comparison.

Input modes (how batches reach the step):

- ``host_f32``: ``ArrayBatches`` with its cache in host memory (float32 batches
  built with numpy on the host, copied to the GPU by Keras).
- ``host_u8``: the same rows, but the uint8 pixels are copied and turned
  into float32 on the GPU (a quarter of the bytes over PCIe) by a separate
  small jitted function, one batch ahead.
- ``host_u8_fit``: the same rows as uint8 numpy batches, straight to
  fit(); the model casts them to float32 inside the compiled step (the
  one-line change to ``batching.py`` proposed in benchmarks/gpu_training/GPU_NOTES.md).
- ``device``: a few batches made once on the GPU and cycled: no input work
  at all, so this is the step's own speed.
- ``package``: ``ArrayBatches`` as training uses it now: on a GPU the uint8
  cache lives on the device(s) and each batch is gathered there.

Run on a GPU machine (JAX with CUDA, Keras, OpenCV; repository root on the path)::

    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/gpu_training/gpu_training.py \\
        --variants fp32,bf16,mltu:fp32 --out results.json

``--parallel 1,2`` also trains on two GPUs with ``keras.distribution.DataParallel``
(``mltu_ext.parallel.distribute.data_parallel_scope``) at twice the global batch.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from benchmarks.diagnostics.host_cpu import CpuMeter, current_cpu
from mltu_ext.config import ModelConfig, TrainConfig
from mltu_ext.data.image_cache import ImageCache, build_cache
from mltu_ext.data.samples import Sample
from mltu_ext.data.vocabulary import Vocabulary

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
)


# --------------------------------------------------------------------------- data


def model_recipe(kind: str) -> TrainConfig:
    """``default``: configs.default_config() (32x256 words, BiLSTM 128+64);
    ``mltu``: an mltu-style net (9 residual blocks, BiLSTM 256+64, 32x128)."""
    if kind == "default":
        from configs import default_config

        return default_config()
    if kind == "mltu":
        return TrainConfig(
            model=ModelConfig(
                height=32,
                filters=(16, 16, 16, 32, 32, 64, 64, 64, 64),
                strides=((1, 1), (2, 2), (1, 1), (2, 2), (1, 1), (2, 2), (1, 1), (1, 1), (1, 1)),
                lstm_units=(256, 64),
                dropout=0.2,
            ),
            max_width=128,
        )
    raise ValueError(f"--model {kind!r}: use default or mltu")


def draw_word(text: str, rng: np.random.Generator) -> np.ndarray:
    """``text`` in a random Hershey font, slant-free, dark on white (H, W) uint8."""
    font = FONTS[int(rng.integers(len(FONTS)))]
    scale = float(rng.uniform(0.8, 1.3))
    thickness = int(rng.integers(1, 4))
    (width, height), base = cv2.getTextSize(text, font, scale, thickness)
    image = np.full((height + base + 8, width + 8), 255, np.uint8)
    ink = int(rng.integers(0, 90))
    cv2.putText(image, text, (4, height + 4), font, scale, ink, thickness, cv2.LINE_AA)
    return image


def synthetic_cache(
    count: int, height: int, width: int, time_steps: int, seed: int = 0, cache_file: str | None = None
) -> ImageCache:
    """``count`` random words drawn with OpenCV, decoded once into an ImageCache.

    Words have 2..min(12, time_steps // 2) characters from ``ALPHABET``, so
    every label fits the CTC time axis. With ``cache_file`` the arrays are
    stored there (npz) and reused, so two benchmark scripts share the data.
    """
    if cache_file and os.path.isfile(cache_file):
        with np.load(cache_file) as stored:
            if stored["images"].shape == (count, height, width):
                texts = [str(t) for t in stored["texts"]]
                return ImageCache(stored["images"], stored["labels"], texts, texts)
    rng = np.random.default_rng(seed)
    longest = max(2, min(12, time_steps // 2))
    samples = []
    for i in tqdm(range(count), desc="drawing words", unit="img", mininterval=2.0):
        size = int(rng.integers(2, longest + 1))
        text = "".join(rng.choice(list(ALPHABET), size))
        samples.append(Sample(text=text, image=draw_word(text, rng), source=f"synthetic:{i}"))
    cache = build_cache(samples, Vocabulary(ALPHABET), height, width, time_steps, desc="caching words")
    if cache_file:
        np.savez(cache_file, images=cache.images, labels=cache.labels, texts=np.array(cache.texts))
    return cache


def repeat_cache(cache: ImageCache, copies: int) -> ImageCache:
    """``cache`` with every row ``copies`` times: longer epochs without drawing more words."""
    return ImageCache(
        np.tile(cache.images, (copies, 1, 1)),
        np.tile(cache.labels, (copies, 1)),
        cache.texts * copies,
        cache.names * copies,
    )


# ------------------------------------------------------------------ GPU sampling


class GpuSampler:
    """Samples ``nvidia-smi`` utilisation (percent of time a kernel ran) every 100 ms.

    ``summary()`` gives the mean per GPU index over the sampled window, or
    ``{}`` when nvidia-smi is missing.
    """

    def __init__(self, interval_ms: int = 100):
        self.interval_ms = interval_ms
        self._process: subprocess.Popen | None = None
        self._lines: list[str] = []

    def __enter__(self) -> GpuSampler:
        command = [
            "nvidia-smi",
            "--query-gpu=index,utilization.gpu",
            "--format=csv,noheader,nounits",
            f"--loop-ms={self.interval_ms}",
        ]
        try:
            self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        except OSError:
            self._process = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        out, _ = self._process.communicate(timeout=10)
        self._lines = out.splitlines()
        self._process = None  # a second exit keeps these samples

    def summary(self) -> dict[str, float]:
        values: dict[str, list[float]] = {}
        for line in self._lines:
            parts = [p.strip() for p in line.split(",")]
            if len(parts) == 2 and parts[1].isdigit():
                values.setdefault(parts[0], []).append(float(parts[1]))
        return {gpu: round(statistics.fmean(v), 1) for gpu, v in values.items() if v}


def gpu_names() -> list[str]:
    """``nvidia-smi -L`` lines (empty without NVIDIA GPUs)."""
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


# --------------------------------------------------------------------- variants


@dataclass
class Variant:
    """One model build: precision, metrics and LSTM kernel."""

    name: str
    precision: str = "fp32"  # fp32 or bf16 (mixed: bf16 convolutions, float32 LSTM and loss)
    metrics: bool = True  # CER/WER computed in the training step, as compile_model does
    cudnn: bool = True  # cuDNN LSTM (jax.experimental.rnn); False: lax.scan LSTM
    steps_per_execution: int = 1  # batches per train_function call (fewer callback rounds)
    # several GPUs: mltu_ext.parallel.per_device_step (shard_map, per-device BatchNorm and LSTMs)
    # instead of Keras' GSPMD step; with one GPU it is the plain variant
    per_device: bool = False
    # this many training steps in one compiled call (mltu_ext.parallel.grouped_steps,
    # train.py --steps-per-call)
    fused: int = 0
    # LSTMs unrolled over time in straight-line code (no cuDNN call, so no host wait in the step)
    unroll: bool = False


VARIANTS = {
    v.name: v
    for v in (
        Variant("fp32"),
        Variant("bf16", precision="bf16"),
        Variant("fp32-nometrics", metrics=False),
        Variant("bf16-nometrics", precision="bf16", metrics=False),
        Variant("fp32-scan", cudnn=False),
        Variant("bf16-scan", precision="bf16", cudnn=False),
        Variant("fp32-spe8", steps_per_execution=8),
        Variant("bf16-spe8", precision="bf16", steps_per_execution=8),
        Variant("fp32-perdev", per_device=True),
        Variant("bf16-perdev", precision="bf16", per_device=True),
        Variant("fp32-perdev-spe8", per_device=True, steps_per_execution=8),
        *(Variant(f"fp32-fused{k}", fused=k) for k in (8, 16, 32)),
        *(Variant(f"fp32-perdev-fused{k}", per_device=True, fused=k) for k in (8, 16, 32)),
        *(Variant(f"fp32-unroll-fused{k}", fused=k, unroll=True) for k in (8, 16, 32)),
        *(
            Variant(f"fp32-perdev-unroll-fused{k}", per_device=True, fused=k, unroll=True)
            for k in (8, 16, 32)
        ),
    )
}


@dataclass
class Result:
    framework: str
    model: str
    variant: str
    mode: str
    gpus: int
    batch: int
    img_per_s: float  # median over the timed epochs
    runs: list[float] = field(default_factory=list)
    step_ms: float = 0.0
    gpu_util: dict[str, float] = field(default_factory=dict)
    compile_s: float = 0.0
    params: int = 0
    hlo: dict[str, int] = field(default_factory=dict)
    note: str = ""
    timing: str = "epochs"
    images: int = 0
    processes: int = 1  # training processes (one per GPU with --processes)
    # this process's CPU use over the timed epochs (benchmarks/diagnostics/host_cpu.CpuMeter)
    host_cpu: dict[str, Any] = field(default_factory=dict)


def build_model(recipe: TrainConfig, vocab: Vocabulary, variant: Variant):
    """The package's recogniser, compiled as ``mltu_ext.training.compile.compile_model`` does.

    Workarounds for running it under JAX on a GPU (see benchmarks/gpu_training/GPU_NOTES.md):
    under bf16 the LSTMs are rebuilt with a float32 dtype policy, because the
    cuDNN RNN lowering in jaxlib accepts float32 only ("Unknown output type
    bfloat16"); without cuDNN the LSTMs run as ``lax.scan``.
    """
    import keras

    from mltu_ext.ctc.loss import CTCLoss
    from mltu_ext.model.recognizer import build_recognizer, set_lstm_unroll
    from mltu_ext.training.compile import compile_model

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if variant.precision == "bf16" else "float32")
    keras.utils.set_random_seed(0)
    model = build_recognizer(recipe.model, recipe.augment, seed=0)
    if variant.precision == "bf16":
        model = keras.models.clone_model(model, clone_function=_float32_lstm)
    if variant.unroll:
        set_lstm_unroll(model, True)  # as training does under JAX on a GPU
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional) and not variant.cudnn:
            layer.forward_layer.use_cudnn = False
            layer.backward_layer.use_cudnn = False
    if variant.metrics:
        compile_model(model, recipe, vocab)
    else:
        model.compile(
            optimizer=keras.optimizers.Adam(recipe.learning_rate, clipnorm=5.0),
            loss=CTCLoss(vocab.blank_index),
            jit_compile=True,
        )
    # compile_model has no such argument; fit() reads the attribute when it builds the step
    model.steps_per_execution = variant.steps_per_execution
    return model


def _float32_lstm(layer):
    import keras

    config = layer.get_config()
    if isinstance(layer, keras.layers.Bidirectional):
        config["dtype"] = "float32"
        for key in ("layer", "backward_layer"):
            if isinstance(config.get(key), dict):
                config[key]["config"]["dtype"] = "float32"
    return layer.__class__.from_config(config)


# ------------------------------------------------------------------- input modes


def make_input(mode: str, cache: ImageCache, batch: int, sharding=None):
    """A keras.utils.PyDataset for ``mode`` (package, host_f32, host_u8, host_u8_fit or device)."""
    import jax

    from mltu_ext.data.batching import ArrayBatches

    if jax.process_count() > 1 and mode not in ("package", "host_f32"):
        raise ValueError(f"input mode {mode!r} is one-process only; with --processes use package or host_f32")

    if mode == "package":
        return ArrayBatches(cache, batch, training=True, seed=0)  # on a GPU: cache on the devices
    if mode == "host_f32":
        return ArrayBatches(cache, batch, training=True, seed=0, on_device=False)
    if mode == "host_u8":
        return _U8Batches(cache, batch, sharding)
    if mode == "host_u8_fit":
        return _make_u8_numpy_class()(cache, batch, seed=0)
    if mode == "device":
        return _DeviceBatches(cache, batch, sharding)
    raise ValueError(f"unknown input mode {mode!r}")


def _u8_to_float():
    import jax
    import jax.numpy as jnp

    # B,H,W uint8 -> B,H,W,1 float32, on the device that holds the batch
    return jax.jit(lambda x: jnp.asarray(x, jnp.float32)[..., None])


def _planned_batches_class():
    import keras

    from mltu_ext.data.batching import plan_batches

    class PlannedBatches(keras.utils.PyDataset):
        """The training batches ArrayBatches draws (same seed, full width, no buckets); rows only."""

        def __init__(self, cache: ImageCache, batch_size: int, seed: int = 0):
            super().__init__(workers=1, use_multiprocessing=False)
            self.cache = cache
            self.batch_size = batch_size
            self._rng = np.random.default_rng(seed)
            self._widths = np.full(len(cache), cache.images.shape[2])
            self.rows = self._next_rows()

        def _next_rows(self) -> list[np.ndarray]:
            plan = plan_batches(self._widths, self.batch_size, True, self._rng)
            return [rows for rows, _ in plan]  # sorted rows; every batch full width

        def __len__(self) -> int:
            return len(self.rows)

        def on_epoch_end(self) -> None:
            self.rows = self._next_rows()

    return PlannedBatches


def _make_u8_batches_class():
    import jax

    class U8Batches(_planned_batches_class()):
        """ArrayBatches' rows, shipped as uint8 pixels and converted on the GPU."""

        def __init__(self, cache: ImageCache, batch_size: int, sharding=None):
            super().__init__(cache, batch_size, seed=0)
            self.sharding = sharding
            self._to_float = _u8_to_float()

        def __getitem__(self, index: int):
            rows = self.rows[index]
            images = jax.device_put(self.cache.images[rows], self.sharding)
            labels = jax.device_put(self.cache.labels[rows], self.sharding)
            return self._to_float(images), labels

    return U8Batches


def _make_u8_numpy_class():
    class U8NumpyBatches(_planned_batches_class()):
        """ArrayBatches' rows without the float32 conversion: (B, H, W, 1) uint8."""

        def __getitem__(self, index: int):
            rows = self.rows[index]
            return self.cache.images[rows][..., None], self.cache.labels[rows]

    return U8NumpyBatches


def _U8Batches(cache: ImageCache, batch: int, sharding=None):
    return _make_u8_batches_class()(cache, batch, sharding)


def _DeviceBatches(cache: ImageCache, batch: int, sharding=None, count: int = 8):
    import jax
    import keras

    to_float = _u8_to_float()
    rng = np.random.default_rng(1)
    made = []
    for _ in range(count):
        rows = np.sort(rng.choice(len(cache), batch, replace=False))
        images = to_float(jax.device_put(cache.images[rows], sharding))
        made.append((images, jax.device_put(cache.labels[rows], sharding)))

    class DeviceBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.batch_size = batch

        def __len__(self) -> int:
            return len(cache) // batch

        def __getitem__(self, index: int):
            return made[index % count]

    return DeviceBatches()


# ---------------------------------------------------------------------- timing


def time_fit(
    model,
    data,
    epochs: int,
    warmup_steps: int,
    timing: str = "epochs",
    profile: str | None = None,
    collector: str = "on",
    pin_launcher: Sequence[int] = (),
    recompile: bool = False,
) -> tuple[list[float], float, dict[str, float], dict[str, Any]]:
    """(images/s of each timed epoch, warm-up seconds, mean GPU utilisation, host CPU use).

    ``timing="epochs"`` (as train.py trains): one ``fit`` over a warm-up epoch
    (which compiles the step) and ``epochs`` timed ones; each epoch is timed
    from the end of the one before to its own end, where Keras has already
    waited for the devices (``jax_state_sync``), so the figure includes the
    per-epoch work of fit but not the set-up of a ``fit`` call. With
    ``profile`` (a folder), one more epoch after the timed ones is traced
    with ``jax.profiler`` (a Perfetto trace; ``benchmarks/diagnostics/profile_summary.py`` reads it).
    ``timing="fit"``: a 5-step warm-up fit, then one ``fit`` call per timed
    epoch (its set-up and the final sync included), as runs 1-5 measured.
    ``collector`` (epochs timing): "on", Python's garbage collector as it is;
    "off", disabled for the fit; "freeze", what exists after the warm-up
    epoch moved out of its reach (``gc.freeze``). The host CPU use
    (``benchmarks/diagnostics/host_cpu.CpuMeter``: CPU seconds per thread name, busy cores
    of the process and of the machine) covers the timed epochs; it also
    lists the CPU the launching thread was on at the end of each epoch.
    ``pin_launcher`` (CPUs, one per process): after the warm-up epoch the
    launching thread of process i is pinned to entry i (threads made later
    inherit it; the compile's thread pools exist by then). ``recompile``:
    ``mltu_ext.parallel.recompile.RecompileAfterFirstEpoch`` drops the compiled step
    after the warm-up epoch, and a second untimed epoch compiles it again.
    """
    import keras

    if profile and timing != "epochs":
        raise ValueError("--profile needs --timing epochs")
    images = len(data) * data.batch_size
    if timing == "fit":
        start = time.perf_counter()
        model.fit(data, epochs=1, steps_per_epoch=min(warmup_steps, len(data)), verbose=0, shuffle=False)
        warmup = time.perf_counter() - start
        rates = []
        with GpuSampler() as sampler:
            for _ in range(epochs):
                start = time.perf_counter()
                model.fit(data, epochs=1, verbose=0, shuffle=False)
                rates.append(images / (time.perf_counter() - start))
        return rates, warmup, sampler.summary(), {}
    if timing != "epochs":
        raise ValueError(f"timing {timing!r}: use epochs or fit")

    class EpochEnds(keras.callbacks.Callback):
        # only on_epoch_end: Keras keeps dispatching batch callbacks asynchronously
        def __init__(self, sampler: GpuSampler, meter: CpuMeter):
            super().__init__()
            self.sampler = sampler
            self.meter = meter
            self.ends: list[float] = []
            self.cpus: list[int | None] = []

        def on_epoch_begin(self, epoch, logs=None):
            if profile and epoch == warm + epochs:  # the extra, untimed epoch
                import jax

                self.sampler.__exit__()
                self.meter.__exit__()
                jax.profiler.start_trace(profile, create_perfetto_trace=True)

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())
            self.cpus.append(current_cpu())
            if epoch == warm - 1:
                if pin_launcher:
                    import jax

                    os.sched_setaffinity(0, {pin_launcher[jax.process_index() % len(pin_launcher)]})
                if collector == "freeze":
                    gc.collect()
                    gc.freeze()
                self.sampler.__enter__()  # sample utilisation over the timed epochs only
                self.meter.__enter__()
            if profile and epoch == warm + epochs:
                import jax

                jax.profiler.stop_trace()

    warm = 2 if recompile else 1  # untimed epochs: compile (and compile again)
    sampler = GpuSampler()
    meter = CpuMeter()
    timer = EpochEnds(sampler, meter)
    from mltu_ext.parallel.recompile import RecompileAfterFirstEpoch  # imports keras: not at module level

    callbacks = [RecompileAfterFirstEpoch(), timer] if recompile else [timer]
    if collector == "off":
        gc.collect()
        gc.disable()
    start = time.perf_counter()
    try:
        total = warm + epochs + (1 if profile else 0)
        model.fit(data, epochs=total, verbose=0, shuffle=False, callbacks=callbacks)
    finally:
        sampler.__exit__()
        meter.__exit__()
        if collector == "off":
            gc.enable()
        elif collector == "freeze":
            gc.unfreeze()
    stamps = [start, *timer.ends]
    seconds = [b - a for a, b in itertools.pairwise(stamps)][: warm + epochs]
    host = {**meter.summary(), "launcher_cpus": timer.cpus}
    return [images / s for s in seconds[warm:]], sum(seconds[:warm]), sampler.summary(), host


def hlo_counts(model, data) -> dict[str, int]:
    """Collectives and cuDNN RNN calls in the compiled training step (optimised HLO).

    Under DataParallel these show what GSPMD added: gradient and BatchNorm
    all-reduces, and all-gathers around ops it cannot split by batch.
    """
    import jax

    state = model._get_jax_state(
        trainable_variables=True,
        non_trainable_variables=True,
        optimizer_variables=True,
        metrics_variables=True,
    )
    text = jax.jit(model.train_step).lower(state, data[0]).compile().as_text()
    lines = [line for line in text.splitlines() if " = " in line]
    keys = ("all-reduce-start", "all-reduce(", "all-gather-start", "all-gather(", "collective-permute")
    counts = {key.rstrip("("): sum(key in line for line in lines) for key in keys}
    counts["cudnn_rnn_calls"] = sum("cudnn_rnn" in line and "custom-call" in line for line in lines)
    counts["hlo_lines"] = len(lines)
    return counts


def data_sharding(distribution):
    """The jax sharding fit() gives a batch under ``distribution`` (None: one device)."""
    if distribution is None:
        return None
    return distribution.get_data_layout((1, 1)).backend_layout


def run_variant(
    variant: Variant,
    model_kind: str,
    cache: ImageCache,
    vocab: Vocabulary,
    gpus: int,
    per_gpu_batch: int,
    modes: Sequence[str],
    epochs: int,
    hlo: bool = False,
    timing: str = "epochs",
    profile: str | None = None,
    collector: str = "on",
    pin_launcher: Sequence[int] = (),
    recompile: bool = False,
) -> Iterator[Result]:
    """Build and compile one model, then time it under every input mode."""
    import jax
    import keras

    from mltu_ext.parallel.distribute import data_parallel_scope, local_devices
    from mltu_ext.parallel.grouped_steps import use_grouped_steps
    from mltu_ext.parallel.per_device_step import use_per_device_step

    devices = local_devices()[:gpus]
    if len(devices) < gpus:
        raise RuntimeError(f"asked for {gpus} devices, found {local_devices()}")
    recipe = model_recipe(model_kind)
    recipe.model.vocabulary = vocab.chars
    batch = per_gpu_batch * gpus
    scope = data_parallel_scope(devices=devices) if gpus > 1 else contextlib.nullcontext()
    with scope as distribution:
        model = build_model(recipe, vocab, variant)
        if variant.per_device:
            use_per_device_step(model, distribution)
        if variant.fused:
            use_grouped_steps(model, variant.fused)
        params = int(model.count_params())
        sharding = data_sharding(distribution)
        for i, mode in enumerate(modes):
            data = make_input(mode, cache, batch, sharding)
            trace = None
            if profile:  # one folder per measurement and process
                trace = str(Path(profile) / f"{variant.name}_{gpus}gpu_{mode}_p{jax.process_index()}")
            rates, warmup, util, host = time_fit(
                model,
                data,
                epochs,
                warmup_steps=5,
                timing=timing,
                profile=trace,
                collector=collector,
                pin_launcher=pin_launcher,
                recompile=recompile,
            )
            median = statistics.median(rates)
            counts = hlo_counts(model, data) if hlo and mode == "device" else {}
            yield Result(
                framework="keras-jax",
                model=model_kind,
                variant=variant.name,
                mode=mode,
                gpus=gpus,
                batch=batch,
                img_per_s=round(median, 1),
                runs=[round(r, 1) for r in rates],
                step_ms=round(1000 * batch / median, 3),
                gpu_util=util,
                host_cpu=host,
                compile_s=round(warmup, 1) if i == 0 else 0.0,
                params=params,
                hlo=counts,
                timing=timing,
                images=len(cache),
                processes=jax.process_count(),
            )
    del model
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy("float32")


def parse_variant(spec: str) -> tuple[str, Variant]:
    """``"bf16"`` -> ("default", bf16 variant); ``"mltu:fp32"`` -> ("mltu", fp32 variant)."""
    kind, _, name = spec.rpartition(":")
    kind = kind or "default"
    model_recipe(kind)  # raises for an unknown model
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r} in {spec!r}: use one of {', '.join(VARIANTS)}")
    return kind, VARIANTS[name]


# ----------------------------------------------------------------------- report


def table(results: Sequence[dict[str, Any]]) -> str:
    """Markdown table of results (framework, variant, mode, GPUs, batch, img/s, ...)."""
    lines = [
        "| framework | model | variant | input | GPUs | batch | img/s | runs | step ms | GPU util % |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        util = ", ".join(f"{v:.0f}" for v in r.get("gpu_util", {}).values()) or "-"
        runs = ", ".join(f"{x:,.0f}" for x in r.get("runs", []))
        lines.append(
            f"| {r['framework']} | {r['model']} | {r['variant']} | {r['mode']} | {_gpus(r)} | "
            f"{r['batch']} | {r['img_per_s']:,.0f} | {runs} | {r['step_ms']:.2f} | {util} |"
        )
    return "\n".join(lines)


def _gpus(result: dict[str, Any]) -> str:
    processes = result.get("processes", 1)
    return f"{result['gpus']} ({processes} processes)" if processes > 1 else str(result["gpus"])


def ratios(results: Sequence[dict[str, Any]]) -> list[str]:
    """JAX/PyTorch at equal model, precision and input; 2-GPU/1-GPU at equal variant and input."""
    lines = []
    by_key = {(r["framework"], r["model"], r["variant"], r["mode"], r["gpus"]): r for r in results}
    torch_runs = [r for r in results if r["framework"] == "pytorch"]
    keras_mode = {"host": ("package", "host_u8", "host_f32"), "device": ("device",)}
    for t in torch_runs:
        precision = t["variant"]
        for mode in keras_mode.get(t["mode"], ()):
            for variant in (precision, f"{precision}-nometrics"):
                k = by_key.get(("keras-jax", t["model"], variant, mode, 1))
                if k:
                    lines.append(
                        f"JAX/PyTorch {t['model']} {variant} ({mode} vs torch {t['mode']}): "
                        f"{k['img_per_s'] / t['img_per_s']:.3f}"
                    )
    for r in results:
        if r["framework"] == "keras-jax" and r["gpus"] > 1:
            # a per-device variant on one GPU is the plain variant
            single = r["variant"].replace("-perdev", "")
            if single not in {x["variant"] for x in results if x["gpus"] == 1}:
                single = single.split("-")[0]
            one = by_key.get(("keras-jax", r["model"], single, r["mode"], 1))
            if one:
                lines.append(
                    f"{_gpus(r)}-GPU/1-GPU {r['model']} {r['variant']} {r['mode']}: "
                    f"{r['img_per_s'] / one['img_per_s']:.3f}"
                )
    return lines


# ------------------------------------------------------------------------- CLI


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=20000, help="synthetic word images in the cache")
    parser.add_argument("--batch-size", type=int, default=256, help="batch per GPU")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per measurement")
    parser.add_argument(
        "--variants",
        default="fp32,bf16",
        help=f"comma list of [MODEL:]VARIANT; MODEL default or mltu, VARIANT one of {', '.join(VARIANTS)}",
    )
    parser.add_argument("--modes", default="host_f32,host_u8,device", help="comma list of input modes")
    parser.add_argument("--parallel", default="1", help="comma list of GPU counts, e.g. 1,2")
    parser.add_argument(
        "--copies", type=int, default=1, help="repeat the drawn images this many times (longer epochs)"
    )
    parser.add_argument(
        "--timing",
        choices=("epochs", "fit"),
        default="epochs",
        help="epochs: one fit, each epoch timed (as train.py trains); fit: one fit() call per timed epoch",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="train in this many processes, one GPU each (mltu_ext.parallel.multi_process, as train.py "
        "--processes); --parallel must then be the same number",
    )
    parser.add_argument(
        "--one-gpu-json", default=None, help="results of a one-GPU run to compute the scaling against"
    )
    parser.add_argument("--hlo", action="store_true", help="count collectives in the compiled step")
    parser.add_argument(
        "--profile",
        default=None,
        help="folder: trace one more (untimed) epoch of each measurement with jax.profiler",
    )
    parser.add_argument(
        "--gc",
        choices=("on", "off", "freeze"),
        default="on",
        help="Python's garbage collector during fit: as it is, disabled, or frozen after the warm-up",
    )
    parser.add_argument(
        "--pin-launcher",
        default="",
        help="CPUs (comma-separated, one per process): pin each process's launching thread "
        "there after the warm-up epoch",
    )
    parser.add_argument(
        "--recompile",
        action="store_true",
        help="compile the step a second time after the warm-up epoch (RecompileAfterFirstEpoch)",
    )
    parser.add_argument("--time-budget", type=float, default=0, help="skip what starts after this many s")
    parser.add_argument("--cache-file", default=None, help="npz to store/reuse the synthetic images")
    parser.add_argument("--torch-json", default=None, help="torch_reference.py results to compare with")
    parser.add_argument("--out", default=None, help="JSON file for the results")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    from benchmarks.diagnostics.cpu_pinning import format_cpu_list
    from mltu_ext.parallel.multi_process import initialize_worker, is_main_process, worker_info

    worker = worker_info()
    if worker is not None:
        initialize_worker(worker)  # before JAX does anything
    import jax
    import keras

    start = time.perf_counter()
    header = {
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "jax": jax.__version__,
        "devices": [str(d) for d in jax.devices()],
        "nvidia_smi": gpu_names(),
        "python": platform.python_version(),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "cpus": format_cpu_list(sorted(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else "",
        "argv": sys.argv,
    }
    print(json.dumps(header), flush=True)
    vocab = Vocabulary(ALPHABET)
    results: list[dict[str, Any]] = []
    errors: list[str] = []
    plan = [
        (*parse_variant(spec), int(gpus))
        for spec in args.variants.split(",")
        for gpus in args.parallel.split(",")
        if not (parse_variant(spec)[1].per_device and int(gpus) == 1)
    ]
    caches: dict[str, ImageCache] = {}
    for kind, variant, gpus in tqdm(plan, desc="variants", unit="build"):
        if args.time_budget and time.perf_counter() - start > args.time_budget:
            errors.append(f"{kind}/{variant.name}/{gpus} GPU: skipped, time budget spent")
            continue
        recipe = model_recipe(kind)
        if kind not in caches:
            cache_file = args.cache_file if kind == "default" else None
            caches[kind] = synthetic_cache(
                args.images, recipe.model.height, recipe.max_width, recipe.time_steps, cache_file=cache_file
            )
            if args.copies > 1:
                caches[kind] = repeat_cache(caches[kind], args.copies)
        try:
            for result in run_variant(
                variant,
                kind,
                caches[kind],
                vocab,
                gpus,
                args.batch_size,
                args.modes.split(","),
                args.epochs,
                hlo=args.hlo,
                timing=args.timing,
                profile=args.profile,
                collector=args.gc,
                pin_launcher=[int(c) for c in args.pin_launcher.split(",") if c],
                recompile=args.recompile,
            ):
                results.append(asdict(result))
                print(json.dumps(results[-1]), flush=True)
        # one variant the GPU cannot run (XLA raises RuntimeError: out of memory, a failed compile)
        # or that Keras refuses (ValueError, TypeError) must not lose the others' numbers; any
        # other exception is a bug in this script and stops it with its traceback
        except (RuntimeError, ValueError, TypeError, MemoryError) as error:
            traceback.print_exc()
            errors.append(f"{kind}/{variant.name}/{gpus} GPU: {type(error).__name__}: {error}"[:500])
    if not is_main_process():
        return results
    for extra in (args.torch_json, args.one_gpu_json):
        if extra and os.path.isfile(extra):
            results = json.loads(Path(extra).read_text())["results"] + results
    report = {"header": header, "results": results, "errors": errors, "ratios": ratios(results)}
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    print("\n".join(report["ratios"]))
    for line in errors:
        print("ERROR", line)
    print(f"total {time.perf_counter() - start:.0f} s")
    return results


def launch_processes(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Draw the words once, then run this script as ``args.processes`` workers, one GPU each."""
    from mltu_ext.parallel.multi_process import launch

    if args.parallel != str(args.processes):
        raise SystemExit(f"--processes {args.processes} needs --parallel {args.processes}")
    if not args.cache_file:
        raise SystemExit("--processes needs --cache-file (the workers read the words drawn here)")
    if any(parse_variant(spec)[0] == "default" for spec in args.variants.split(",")):
        recipe = model_recipe("default")
        size = (recipe.model.height, recipe.max_width, recipe.time_steps)
        synthetic_cache(args.images, *size, cache_file=args.cache_file)
    command = [sys.executable, str(Path(__file__).resolve()), *argv]
    return launch(command, args.processes, Path(args.cache_file).parent / "gpu_training_workers")


def main() -> None:
    from mltu_ext.parallel.multi_process import worker_info

    args = get_args()
    if args.processes > 1 and worker_info() is None:
        sys.exit(launch_processes(args, sys.argv[1:]))
    run(args)


if __name__ == "__main__":
    main()
