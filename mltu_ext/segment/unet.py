"""The segmenter's network: a small U-Net from a grayscale page to three probability maps.

Input float32 (B, H, W, 1), pixels 0-255 (H and W multiples of 2**levels);
output float32 (B, H, W, 3): region, core and baseline probabilities.
Only Keras layers, so it trains under any backend and exports through tf2onnx.
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from mltu_ext.config.segmenter_config import SegmenterConfig


def _block(x, filters: int, name: str):
    for k in range(2):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{k}")(x)
        x = keras.layers.BatchNormalization(name=f"{name}_bn{k}")(x)
        x = keras.layers.Activation("relu", name=f"{name}_relu{k}")(x)
    return x


def build_segmenter(cfg: SegmenterConfig) -> keras.Model:
    """The U-Net of ``cfg`` (uncompiled)."""
    cfg.validate()
    pages = keras.Input((None, None, 1), name="image")  # B,H,W,1 in 0-255
    x = keras.layers.Rescaling(-1.0 / 127.5, offset=1.0, name="scale")(pages)  # ink +1, paper -1
    skips = []
    for level, filters in enumerate(cfg.filters[:-1]):
        x = _block(x, filters, f"down{level}")
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{level}")(x)  # H/2**(level+1)
    x = _block(x, cfg.filters[-1], "bottom")
    for level in reversed(range(len(cfg.filters) - 1)):
        x = keras.layers.UpSampling2D(2, name=f"up{level}")(x)
        x = keras.layers.Concatenate(name=f"join{level}")([x, skips[level]])
        x = _block(x, cfg.filters[level], f"up{level}")
    maps = keras.layers.Conv2D(3, 1, activation="sigmoid", name="maps", dtype="float32")(x)  # B,H,W,3
    return keras.Model(pages, maps, name="line_segmenter")


def weighted_bce(baseline_weight: float) -> Callable:
    """Binary cross-entropy over the three maps, the baseline map's counted ``baseline_weight`` times."""
    weights = keras.ops.convert_to_tensor([1.0, 1.0, baseline_weight], "float32")

    def loss(y_true, y_pred):
        y_pred = keras.ops.clip(y_pred, 1e-6, 1.0 - 1e-6)
        bce = -(y_true * keras.ops.log(y_pred) + (1.0 - y_true) * keras.ops.log(1.0 - y_pred))  # B,H,W,3
        return keras.ops.mean(bce * weights)

    return loss
