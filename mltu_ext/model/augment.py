"""Random handwriting augmentation as a Keras layer that runs inside the training step.

Working on whole batches on the device (instead of per image in Python, as
mltu's augmentors do) keeps a GPU fed; at inference the layer passes its
input through unchanged, so it costs nothing in the exported model.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import keras
from keras import ops

from mltu_ext.config.model_config import AugmentConfig
from mltu_ext.data.images import PAD_VALUE

# the layer's random-change sizes: its constructor arguments, its saved config
# and the fields of AugmentConfig that it is built from
SETTINGS = tuple(f.name for f in fields(AugmentConfig) if f.name != "enabled")
ELASTIC_GRID = (3, 12)  # rows, columns of random displacement nodes across an image
INK_LEVEL = 128.0  # a column with a pixel darker than this holds writing (for ``stretch``)
# ``binarize`` thresholds each image at this share of the way from its darkest pixel to its
# paper's tone, drawn at random: binarizers differ in where they put the cut, so strokes come
# out thinner or thicker
THRESHOLD_SHARE = (0.35, 0.65)


@keras.saving.register_keras_serializable(package="mltu_ext")
class HandwritingAugment(keras.layers.Layer):
    """Slant, rotation, scale, shift, elastic bending, stroke thickness, brightness and contrast.

    Input and output: float (B, H, W, C) with pixel values 0..255, dark ink on
    white. New pixels that the warp brings in are white (``PAD_VALUE``).
    Horizontal scaling only shrinks the writing towards the left edge, so no
    ink is pushed out of the image on the right. ``elastic`` bends the strokes
    by a smooth random field: displacements of up to ``elastic`` times the
    height, drawn on a coarse grid (``ELASTIC_GRID``) and interpolated, so
    that neighbouring pixels move together as a pen's wobble does.
    ``stretch`` also lets the warp widen the writing, by up to ``1 + stretch``
    but never further than the image's blank right margin (its padding in a
    batch) allows, so no ink leaves the image either way. ``binarize`` is the
    chance that an image is first made black and white and softened by the
    binomial filter that readers apply to a bitonal scan
    (:func:`mltu_ext.data.images.soften_edges`), so that the model also
    learns the look of bitonal archive scans.
    """

    def __init__(
        self,
        shear: float = 0.3,
        rotation_deg: float = 3.0,
        scale: float = 0.12,
        translate: float = 0.04,
        brightness: float = 0.15,
        contrast: float = 0.3,
        thickness_prob: float = 0.5,
        elastic: float = 0.0,
        stretch: float = 0.0,
        binarize: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.shear = float(shear)
        self.rotation_deg = float(rotation_deg)
        self.scale = float(scale)
        self.translate = float(translate)
        self.brightness = float(brightness)
        self.contrast = float(contrast)
        self.thickness_prob = float(thickness_prob)
        self.elastic = float(elastic)
        self.stretch = float(stretch)
        self.binarize = float(binarize)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @classmethod
    def from_settings(
        cls, settings: AugmentConfig, seed: int | None = None, **kwargs: Any
    ) -> HandwritingAugment:
        """The layer for an ``AugmentConfig`` (its fields are this layer's arguments)."""
        return cls(**{name: getattr(settings, name) for name in SETTINGS}, seed=seed, **kwargs)

    def _uniform(self, batch, low: float, high: float):
        return keras.random.uniform((batch,), low, high, seed=self.seed_generator)

    def call(self, images: Any, training: bool | None = None) -> Any:
        """Images (B, H, W, C) with random bitonal look, warp, bend, stroke width and tone when training;
        as given otherwise."""
        if not training:
            return images
        images = ops.cast(images, "float32")
        shape = ops.shape(images)
        batch = shape[0]
        height = ops.cast(shape[1], "float32")
        if self.binarize > 0:
            images = self._bitonal(images, batch)
        images = self._warp(images, batch, height)
        if self.elastic > 0:
            images = self._bend(images, batch, height)
        images = self._thickness(images, batch)
        return self._tone(images, batch)

    def _warp(self, images, batch, height):
        # transform maps each output pixel (x, y) to the input pixel it reads:
        #   x_in = sx*(cos r*x - sin r*(y-cy)) + k*(y-cy) + tx
        #   y_in = sy*(sin r*x + cos r*(y-cy)) + cy + ty
        # with x measured from the left edge, so shrinking keeps the start of the word
        angle = self._uniform(batch, -1.0, 1.0) * (self.rotation_deg * math.pi / 180.0)
        shear = self._uniform(batch, -self.shear, self.shear)
        if self.stretch > 0:
            sx = self._horizontal_scale(images, batch, height, angle, shear)
        else:  # narrowing only, drawn as the recipes without stretch were trained
            sx = self._uniform(batch, 1.0, 1.0 + self.scale)
        sy = self._uniform(batch, 1.0 - self.scale / 2, 1.0 + self.scale)
        ty = self._uniform(batch, -self.translate, self.translate) * height
        cy = height / 2.0
        # shift right by the shear's reach so the lower-left strokes stay inside
        tx = -ops.abs(shear) * cy
        cos, sin = ops.cos(angle), ops.sin(angle)
        a0 = sx * cos
        a1 = -sx * sin + shear
        a2 = -a1 * cy + tx
        b0 = sy * sin
        b1 = sy * cos
        b2 = -b1 * cy + cy + ty
        zeros = ops.zeros_like(a0)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)  # B,8
        return ops.image.affine_transform(
            images, transform, interpolation="bilinear", fill_mode="constant", fill_value=PAD_VALUE
        )

    def _horizontal_scale(self, images, batch, height, angle, shear):
        """B, scales sx in [lowest, 1 + scale]; sx < 1 widens, as far as each image's margin allows."""
        cols = ops.shape(images)[2]
        inked = ops.cast(ops.min(images, axis=(1, 3)) < INK_LEVEL, "float32")  # B,W
        ends = ops.cast(ops.arange(cols), "float32")[None, :] + 1.0
        right = ops.max(inked * ends, axis=1)  # B: one past the last inked column, 0 for none
        # slant and rotation carry the top and bottom rows further right than the middle
        reach = right + (2.0 * ops.abs(shear) + ops.abs(ops.sin(angle))) * height / 2.0 + 1.0
        lowest = ops.maximum(1.0 / (1.0 + self.stretch), reach / ops.cast(cols, "float32"))
        lowest = ops.minimum(lowest, 1.0)
        return lowest + self._uniform(batch, 0.0, 1.0) * (1.0 + self.scale - lowest)

    def _bend(self, images, batch, height):
        shape = ops.shape(images)
        rows, cols = shape[1], shape[2]
        # B,3,12,2 random node displacements (pixels) -> B,H,W,2 smooth field
        nodes = keras.random.uniform((batch, *ELASTIC_GRID, 2), -1.0, 1.0, seed=self.seed_generator)
        # linear interpolation as two small matrix products (H,3) and (W,12): works
        # with the unknown widths of bucketed batches, where image.resize does not
        field = ops.einsum(
            "hk,bklc,wl->bhwc",
            _hat_weights(rows, ELASTIC_GRID[0]),
            nodes * (self.elastic * height),
            _hat_weights(cols, ELASTIC_GRID[1]),
        )
        ys = ops.cast(ops.arange(rows), "float32")[None, :, None]
        xs = ops.cast(ops.arange(cols), "float32")[None, None, :]
        return bilinear_sample(images, xs + field[..., 0], ys + field[..., 1])

    def _bitonal(self, images, batch):
        """Some images (chance ``binarize``) thresholded to 0 / 255, then softened; the rest as they are."""
        darkest = ops.min(images, axis=(1, 2, 3), keepdims=True)  # B,1,1,1
        lightest = ops.max(images, axis=(1, 2, 3), keepdims=True)
        # the paper's tone, not the lightest pixel: a batch's padding is pure white and would put
        # the cut above a darker paper, turning it black. Left of the last column that holds a
        # pixel under pure white, paper that is tinted covers most pixels, so their mean is its
        # tone; where most are pure white, the paper is white
        tinted = ops.cast(images < PAD_VALUE, "float32")  # B,H,W,1
        columns = ops.max(tinted, axis=(1, 3))  # B,W
        ends = ops.cast(ops.arange(ops.shape(images)[2]), "float32")[None, :] + 1.0
        content = ops.max(columns * ends, axis=1) * ops.cast(ops.shape(images)[1], "float32")  # B
        count = ops.reshape(ops.sum(tinted, axis=(1, 2, 3)), (-1, 1, 1, 1))
        tone = ops.sum(images * tinted, axis=(1, 2, 3), keepdims=True) / ops.maximum(count, 1.0)
        mostly_tinted = count > 0.5 * ops.reshape(content, (-1, 1, 1, 1))
        paper = ops.where(mostly_tinted, tone, PAD_VALUE)
        share = ops.reshape(self._uniform(batch, *THRESHOLD_SHARE), (-1, 1, 1, 1))
        level = darkest + share * (paper - darkest)
        # a blank image (darkest == lightest) stays white rather than turning black
        bitonal = ops.where((images < level) & (darkest < lightest), 0.0, 255.0)
        chosen = ops.cast(self._uniform(batch, 0.0, 1.0) < self.binarize, "float32")
        chosen = ops.reshape(chosen, (-1, 1, 1, 1))
        return images * (1.0 - chosen) + soften(bitonal) * chosen

    def _thickness(self, images, batch):
        # dark ink: a max filter thins the strokes, a min filter thickens them
        thinner = ops.max_pool(images, pool_size=2, strides=1, padding="same")
        thicker = -ops.max_pool(-images, pool_size=2, strides=1, padding="same")
        choice = self._uniform(batch, 0.0, 1.0)
        half = self.thickness_prob / 2.0
        thin_mask = ops.reshape(ops.cast(choice < half, images.dtype), (-1, 1, 1, 1))
        thick_mask = ops.reshape(
            ops.cast((choice >= half) & (choice < 2 * half), images.dtype), (-1, 1, 1, 1)
        )
        keep = 1.0 - thin_mask - thick_mask
        return images * keep + thinner * thin_mask + thicker * thick_mask

    def _tone(self, images, batch):
        factor = ops.reshape(self._uniform(batch, 1.0 - self.contrast, 1.0 + self.contrast), (-1, 1, 1, 1))
        shift = ops.reshape(self._uniform(batch, -self.brightness, self.brightness) * 255.0, (-1, 1, 1, 1))
        mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
        return ops.clip((images - mean) * factor + mean + shift, 0.0, 255.0)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input's shape: the layer keeps every size."""
        return input_shape

    def get_config(self) -> dict:
        """The base config, every setting and the seed, for saving and loading."""
        config = super().get_config()
        config.update({name: getattr(self, name) for name in SETTINGS}, seed=self.seed)
        return config


def bilinear_sample(images: Any, x: Any, y: Any, fill_value: float = PAD_VALUE) -> Any:
    """Read ``images`` (B, H, W, C) at float positions ``x``, ``y`` (B, H, W), bilinearly.

    Positions outside the image read ``fill_value``. Four gathers from the
    flattened batch, so it runs the same under every Keras backend.
    """
    shape = ops.shape(images)
    batch, rows, cols, channels = shape[0], shape[1], shape[2], shape[3]
    flat = ops.reshape(images, (-1, channels))  # B*H*W, C
    base = ops.reshape(ops.arange(batch, dtype="int32") * (rows * cols), (-1, 1, 1))
    x0, y0 = ops.floor(x), ops.floor(y)
    wx, wy = x - x0, y - y0

    def tap(yy, xx):
        inside = (xx >= 0) & (xx <= ops.cast(cols - 1, "float32")) & (yy >= 0)
        inside = inside & (yy <= ops.cast(rows - 1, "float32"))
        xi = ops.cast(ops.clip(xx, 0, ops.cast(cols - 1, "float32")), "int32")
        yi = ops.cast(ops.clip(yy, 0, ops.cast(rows - 1, "float32")), "int32")
        index = ops.reshape(base + yi * cols + xi, (-1,))
        values = ops.reshape(ops.take(flat, index, axis=0), ops.shape(images))
        return ops.where(inside[..., None], values, fill_value)

    top = tap(y0, x0) * (1 - wx)[..., None] + tap(y0, x0 + 1) * wx[..., None]
    bottom = tap(y0 + 1, x0) * (1 - wx)[..., None] + tap(y0 + 1, x0 + 1) * wx[..., None]
    return top * (1 - wy)[..., None] + bottom * wy[..., None]


def soften(images: Any) -> Any:
    """The binomial filter [1 2 1] x [1 2 1] / 16 on float (B, H, W, C), edge pixels repeated.

    The float form of :func:`mltu_ext.data.images.soften_edges` (which rounds to uint8).
    """
    images = ops.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="symmetric")  # B,H+2,W+2,C
    rows = images[:, :-2] + 2.0 * images[:, 1:-1] + images[:, 2:]  # B,H,W+2,C
    return (rows[:, :, :-2] + 2.0 * rows[:, :, 1:-1] + rows[:, :, 2:]) / 16.0  # B,H,W,C


def _hat_weights(size, nodes: int):
    """(size, nodes) weights of linear interpolation from ``nodes`` evenly spaced points (corners aligned)."""
    span = ops.cast(ops.maximum(size - 1, 1), "float32")
    positions = ops.cast(ops.arange(size), "float32") * ((nodes - 1) / span)  # size,
    grid = ops.cast(ops.arange(nodes), "float32")
    return ops.relu(1.0 - ops.abs(positions[:, None] - grid[None, :]))
