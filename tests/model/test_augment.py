"""The in-step augmentation layer: bilinear sampling and elastic bending."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from mltu_ext.config import AugmentConfig
from mltu_ext.errors import ConfigError
from mltu_ext.model.augment import HandwritingAugment, bilinear_sample


def _bar_image(batch: int = 2, height: int = 32, width: int = 96) -> np.ndarray:
    image = np.full((batch, height, width, 1), 255.0, np.float32)
    image[:, 10:20, 20:70] = 0.0  # a dark bar: ink
    return image


def _grid(batch: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    ys = np.broadcast_to(np.arange(height, dtype=np.float32)[None, :, None], (batch, height, width))
    xs = np.broadcast_to(np.arange(width, dtype=np.float32)[None, None, :], (batch, height, width))
    return xs.copy(), ys.copy()


def _only(seed: int = 3, **changes) -> HandwritingAugment:
    """A layer whose random changes are all off except ``changes``."""
    off = dict.fromkeys(("shear", "rotation_deg", "scale", "translate", "brightness", "contrast"), 0)
    return HandwritingAugment(**{**off, "thickness_prob": 0, **changes}, seed=seed)


def test_bilinear_sample_identity_half_pixel_and_outside():
    image = _bar_image()
    xs, ys = _grid(2, 32, 96)
    assert np.array_equal(ops.convert_to_numpy(bilinear_sample(image, xs, ys)), image)
    # half a pixel to the right: the bar's edges become the mean of ink and paper
    shifted = ops.convert_to_numpy(bilinear_sample(image, xs + 0.5, ys))
    assert shifted[0, 15, 19, 0] == pytest.approx(127.5)
    assert shifted[0, 15, 69, 0] == pytest.approx(127.5)
    assert shifted[0, 15, 30, 0] == 0.0
    # reading left of the image gives the white fill
    outside = ops.convert_to_numpy(bilinear_sample(image, xs - 200.0, ys))
    assert np.all(outside == 255.0)


def test_elastic_bends_the_strokes_but_keeps_the_ink():
    image = _bar_image()
    layer = _only(elastic=0.1)
    assert np.array_equal(ops.convert_to_numpy(layer(image, training=False)), image)
    bent = ops.convert_to_numpy(layer(image, training=True))
    assert bent.shape == image.shape
    assert np.abs(bent - image).max() > 50  # pixels moved
    ink_before, ink_after = (image < 128).mean(), (bent < 128).mean()
    assert 0.7 * ink_before < ink_after < 1.3 * ink_before
    # displacements stay within elastic * height (3.2 px here): nothing far from the bar gets ink
    assert np.all(bent[:, :5] > 250) and np.all(bent[:, 25:] > 250)


def test_elastic_is_saved_in_the_layer_config():
    layer = HandwritingAugment.from_settings(AugmentConfig(elastic=0.07), seed=1)
    config = layer.get_config()
    assert config["elastic"] == pytest.approx(0.07)
    assert HandwritingAugment.from_config(config).elastic == pytest.approx(0.07)


def test_elastic_works_on_batches_of_unknown_width():
    import tensorflow as tf

    layer = HandwritingAugment(elastic=0.1, seed=1)
    step = tf.function(
        lambda x: layer(x, training=True), input_signature=[tf.TensorSpec([None, 32, None, 1], tf.float32)]
    )
    for width in (64, 112):
        assert tuple(step(tf.fill([3, 32, width, 1], 200.0)).shape) == (3, 32, width, 1)


def test_negative_elastic_is_refused():
    with pytest.raises(ConfigError, match="elastic"):
        AugmentConfig(elastic=-0.1).validate()


def _last_inked_column(images: np.ndarray) -> np.ndarray:
    """B: index of the rightmost column with a pixel under 128 (-1 for none)."""
    inked = (images < 128).any(axis=(1, 3))
    return np.where(inked.any(axis=1), inked.shape[1] - 1 - np.argmax(inked[:, ::-1], axis=1), -1)


def test_stretch_widens_the_writing_within_its_limit():
    image = np.repeat(_bar_image(1, 32, 200), 32, axis=0)  # the bar ends at column 69
    widened = ops.convert_to_numpy(_only(5, stretch=0.5)(image, training=True))
    ends = _last_inked_column(widened)
    assert ends.max() > 85  # widened by more than a fifth in some copies
    assert ends.min() >= 68  # never narrowed: scale is 0
    assert ends.max() <= 70 * 1.5  # at most 1 + stretch
    # without stretch the writing keeps its width
    same = ops.convert_to_numpy(_only(5, stretch=0.0)(image, training=True))
    assert np.array_equal(same, image)


def test_stretch_never_pushes_ink_out_of_the_image():
    image = np.full((16, 32, 120, 1), 255.0, np.float32)
    image[:8, 10:20, 10:60] = 0.0  # eight copies with room to widen
    image[8:, 10:20, 30:120] = 0.0  # eight that run to the right edge: none

    def augment(stretch: float) -> np.ndarray:
        layer = _only(2, shear=0.4, rotation_deg=1, stretch=stretch)
        return ops.convert_to_numpy(layer(image, training=True))

    widened, plain = augment(0.8), augment(0.0)
    ends = _last_inked_column(widened[:8])
    assert ends.max() > _last_inked_column(plain[:8]).max() + 10  # widened, with slant and rotation
    assert np.all(widened[:8, :, -2:] > 250)  # but the slanted strokes still end inside the image
    # the same random draws otherwise: where there is no room, stretch changes nothing
    assert np.array_equal(widened[8:], plain[8:])


def test_stretch_is_saved_and_checked():
    layer = HandwritingAugment.from_settings(AugmentConfig(stretch=0.3), seed=1)
    assert HandwritingAugment.from_config(layer.get_config()).stretch == pytest.approx(0.3)
    with pytest.raises(ConfigError, match="stretch"):
        AugmentConfig(stretch=-0.2).validate()


def test_soften_is_the_readers_softening_in_float():
    from mltu_ext.data.images import soften_edges
    from mltu_ext.model.augment import soften

    rng = np.random.default_rng(4)
    image = rng.choice(np.array([0, 255], np.uint8), size=(7, 23))
    softened = ops.convert_to_numpy(soften(image[None, :, :, None].astype(np.float32)))[0, :, :, 0]
    # soften_edges rounds half up to uint8; the float form keeps the exact sixteenths
    assert np.array_equal(np.floor(softened + 0.5).astype(np.uint8), soften_edges(image))


def test_binarize_makes_gray_writing_black_and_white_then_soft():
    image = np.full((4, 32, 96, 1), 200.0, np.float32)  # gray paper
    image[:, 10:20, 20:70] = 60.0  # gray ink
    out = ops.convert_to_numpy(_only(binarize=1.0)(image, training=True))
    assert np.all(out[:, 12:18, 22:68] == 0.0)  # inside the stroke: black
    assert np.all(out[:, :8] == 255.0)  # paper: white
    edge = out[:, 10, 30, 0]  # the stroke's top row, softened: 0 + 4/16 of white
    assert np.allclose(edge, 255.0 * 4 / 16)
    # without binarize the same layer leaves the image alone
    assert np.array_equal(ops.convert_to_numpy(_only(binarize=0.0)(image, training=True)), image)


def test_binarize_changes_about_its_share_of_the_images_and_keeps_blank_ones_white():
    image = np.full((200, 16, 24, 1), 210.0, np.float32)
    image[:, 4:12, 4:20] = 90.0
    out = ops.convert_to_numpy(_only(7, binarize=0.3)(image, training=True))
    changed = (out != image).any(axis=(1, 2, 3)).mean()
    assert 0.15 < changed < 0.45
    blank = np.full((8, 16, 24, 1), 230.0, np.float32)
    assert np.all(ops.convert_to_numpy(_only(binarize=1.0)(blank, training=True)) == 255.0)


def test_binarize_works_on_batches_of_unknown_width_and_is_saved_and_checked():
    import tensorflow as tf

    layer = HandwritingAugment.from_settings(AugmentConfig(binarize=0.2), seed=1)
    assert HandwritingAugment.from_config(layer.get_config()).binarize == pytest.approx(0.2)
    step = tf.function(
        lambda x: layer(x, training=True), input_signature=[tf.TensorSpec([None, 32, None, 1], tf.float32)]
    )
    for width in (64, 112):
        assert tuple(step(tf.fill([3, 32, width, 1], 200.0)).shape) == (3, 32, width, 1)
    for bad in (-0.1, 1.5):
        with pytest.raises(ConfigError, match="binarize"):
            AugmentConfig(binarize=bad).validate()


def test_binarize_keeps_dark_paper_white_beside_wide_padding():
    # a yellowed page (paper 150, ink 40) whose line fills a fifth of its padded batch width
    image = np.full((64, 32, 200, 1), 255.0, np.float32)
    image[:, :, :40] = 150.0
    image[:, 10:20, 5:35] = 40.0
    out = ops.convert_to_numpy(_only(11, binarize=1.0)(image, training=True))
    assert np.all(out[:, 12:18, 8:32] == 0.0)  # the ink, black
    assert np.all(out[:, :7, :40] == 255.0)  # the paper, white at every threshold drawn
    assert np.all(out[:, :, 45:] == 255.0)  # the padding, white
