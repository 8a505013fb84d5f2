"""The residual CNN + BiLSTM recogniser with a softmax over characters + blank."""

from __future__ import annotations

import keras

from mltu_ext.config import AugmentConfig, ModelConfig
from mltu_ext.errors import ConfigError
from mltu_ext.model.augment import HandwritingAugment
from mltu_ext.model.residual_block import residual_block


def build_recognizer(
    cfg: ModelConfig, augment: AugmentConfig | None = None, seed: int | None = None
) -> keras.Model:
    """Build the model described by ``cfg`` (its vocabulary must be set).

    Input: float32 (B, height, W, channels), pixels 0..255, dark ink on white,
    any width W. Output: probabilities (B, W / time_scale, len(vocabulary) + 1),
    blank last. With ``augment`` the model augments its input when training.

    >>> cfg = ModelConfig(vocabulary="ab", filters=(8, 8), strides=((2, 2), (2, 1)),
    ...                   lstm_units=(8,))
    >>> build_recognizer(cfg).output_shape
    (None, None, 3)
    """
    cfg.validate()
    if not cfg.vocabulary:
        raise ConfigError("ModelConfig.vocabulary is empty: set it from the training labels")
    inputs = keras.Input((cfg.height, None, cfg.channels), name="image")
    x = inputs
    if augment is not None and augment.enabled:
        x = HandwritingAugment.from_settings(augment, seed=seed, name="augment")(x)
    # ink becomes 1 and paper (and the white padding) 0, so zero padding in
    # the convolutions matches the paper
    x = keras.layers.Rescaling(-1.0 / 255.0, offset=1.0, name="normalize")(x)
    for i, (filters, strides) in enumerate(zip(cfg.filters, cfg.strides, strict=True)):
        x = residual_block(x, filters, strides, dropout=cfg.dropout if i % 2 else 0.0, name=f"res{i}")
    height = cfg.height // cfg.height_scale
    # B,H',W',C -> B,W',H',C -> B,W',H'*C: each column is one CTC time step
    x = keras.layers.Permute((2, 1, 3), name="columns_first")(x)
    x = keras.layers.Reshape((-1, height * cfg.filters[-1]), name="columns")(x)
    first_residual = len(cfg.lstm_units) - cfg.residual_lstms
    for i, units in enumerate(cfg.lstm_units):
        # float32 even under mixed precision: cuDNN's LSTM in JAX takes float32 only
        lstm = keras.layers.LSTM(units, return_sequences=True, dtype="float32")
        y = keras.layers.Bidirectional(lstm, name=f"blstm{i}", dtype="float32")(x)  # B,T,2*units
        y = keras.layers.Dropout(cfg.dropout, name=f"blstm{i}_drop")(y)
        if i >= first_residual:
            # B,T,2*units -> B,T,D (D: the input's width); zero at the start, so x passes unchanged
            y = keras.layers.Dense(
                x.shape[-1], kernel_initializer="zeros", dtype="float32", name=f"blstm{i}_proj"
            )(y)
            y = keras.layers.Add(name=f"blstm{i}_residual", dtype="float32")([x, y])
        x = y
    # the softmax stays float32 under mixed precision so the CTC loss is stable
    outputs = keras.layers.Dense(
        len(cfg.vocabulary) + 1, activation="softmax", dtype="float32", name="output"
    )(x)
    return keras.Model(inputs, outputs, name="recognizer")


def set_lstm_unroll(model: keras.Model, unroll: bool) -> int:
    """Run the BiLSTMs of ``model`` unrolled over time (True) or as a loop or cuDNN call (False).

    The weights and the outputs stay the same; only the computation changes.
    Under JAX on a GPU the unrolled form trained 8 % faster on one GPU and
    10 % faster on two (``benchmarks/gpu_training/RESULTS.md``):
    jaxlib's cuDNN LSTM copies the sequence lengths to the host and waits
    for the GPU twice a step, and the unrolled cells have no such wait.
    ONNX export wants the loop form (tf2onnx turns it into one LSTM node).
    Set it before the step is traced (before ``fit``). Returns the number of
    LSTM layers set.
    """
    count = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            for direction in (layer.forward_layer, layer.backward_layer):
                direction.unroll = unroll
                direction.use_cudnn = False if unroll else "auto"
                count += 1
    return count


# Unrolled LSTMs compile in seconds for a word's 32-80 time steps; a line's
# 250-500 steps made one XLA graph that had not finished compiling after
# 7 minutes on an H200, so longer sequences keep the loop (scan or cuDNN).
MAX_UNROLLED_LSTM_STEPS = 128


def unroll_lstms_here(time_steps: int | None = None) -> bool:
    """True where unrolled LSTMs train faster: the JAX backend on a GPU, for short sequences.

    ``time_steps`` is the longest sequence the model trains on (the
    config's ``time_steps``); beyond MAX_UNROLLED_LSTM_STEPS the loop form
    is used everywhere.
    """
    if keras.backend.backend() != "jax":
        return False
    if time_steps is not None and time_steps > MAX_UNROLLED_LSTM_STEPS:
        return False
    import jax

    return jax.default_backend() == "gpu"
