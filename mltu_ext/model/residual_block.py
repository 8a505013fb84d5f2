"""Residual convolution blocks in the style of mltu's ``residual_block``.

Written on ``keras.layers`` alone (mltu's version imports ``tensorflow``), so
the same model builds under the TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

import keras


def residual_block(
    x: keras.KerasTensor,
    filters: int,
    strides: tuple[int, int] = (1, 1),
    dropout: float = 0.0,
    name: str = "block",
) -> keras.KerasTensor:
    """Conv-BN-LeakyReLU, Conv-BN, add the (projected) input, LeakyReLU, dropout.

    ``x`` is (B, H, W, C_in); the result is (B, H/sh, W/sw, filters). A 1x1
    strided convolution projects the skip path when the shape changes.
    """
    y = keras.layers.Conv2D(
        filters,
        3,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer="he_uniform",
        name=f"{name}_conv1",
    )(x)
    y = keras.layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = keras.layers.LeakyReLU(negative_slope=0.1, name=f"{name}_act1")(y)
    y = keras.layers.Conv2D(
        filters,
        3,
        padding="same",
        use_bias=False,
        kernel_initializer="he_uniform",
        name=f"{name}_conv2",
    )(y)
    y = keras.layers.BatchNormalization(name=f"{name}_bn2")(y)
    skip = x
    if tuple(strides) != (1, 1) or x.shape[-1] != filters:
        skip = keras.layers.Conv2D(filters, 1, strides=strides, padding="same", name=f"{name}_skip")(x)
    y = keras.layers.Add(name=f"{name}_add")([y, skip])
    y = keras.layers.LeakyReLU(negative_slope=0.1, name=f"{name}_act2")(y)
    if dropout > 0:
        y = keras.layers.Dropout(dropout, name=f"{name}_drop")(y)
    return y
