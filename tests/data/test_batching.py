"""Width buckets: every row once per epoch, nothing cropped away, both input paths alike."""

import keras
import numpy as np
import pytest

from mltu_ext.data.batching import ArrayBatches, plan_batches, tf_dataset
from mltu_ext.data.image_cache import ImageCache, ink_widths, label_steps


def _cache(ink: list[int], labels: list[list[int]], width: int = 64, height: int = 8) -> ImageCache:
    """White rows with ink (value 0) in the first ``ink[i]`` columns of row i."""
    images = np.full((len(ink), height, width), 255, np.uint8)
    for i, columns in enumerate(ink):
        images[i, height // 2, :columns] = 0
    length = max(len(row) for row in labels)
    padded = np.full((len(labels), length), -1, np.int32)
    for i, row in enumerate(labels):
        padded[i, : len(row)] = row
    texts = [f"w{i}" for i in range(len(ink))]
    return ImageCache(images, padded, texts, texts)


def test_ink_widths_and_label_steps_by_hand():
    images = np.full((3, 4, 10), 255, np.uint8)
    images[0, 1, 3] = 10  # last ink in column 3 -> 4 columns
    images[1, 0, 9] = 254  # light grey is still not padding -> all 10
    assert ink_widths(images).tolist() == [4, 10, 0]
    labels = np.array([[1, 1, 2, -1], [3, -1, -1, -1], [4, 5, 5, 5]], np.int32)
    # "aab" needs a blank between the a's: 4 steps; "ceee" needs 2 blanks: 6
    assert label_steps(labels).tolist() == [4, 1, 6]


def test_min_width_covers_ink_margin_and_ctc_steps():
    cache = _cache([10, 2, 60], [[1], [1, 1, 1, 1, 1, 1], [2]])
    # row 0: ink 10 + margin 8; row 1: 6 letters all alike need 11 steps * 4 columns;
    # row 2: 60 + 8 is capped at the 64 columns the cache has
    assert cache.min_widths(time_scale=4, margin=8).tolist() == [18, 44, 64]


def test_training_plan_uses_each_row_once_and_crops_to_rounded_widths():
    rng = np.random.default_rng(0)
    min_widths = rng.integers(10, 160, size=1000)
    plan = plan_batches(min_widths, 32, True, np.random.default_rng(1), bucket=16, max_width=160)
    rows = np.concatenate([r for r, _ in plan])
    assert len(plan) == 1000 // 32 and all(len(r) == 32 for r, _ in plan)
    assert len(set(rows.tolist())) == len(rows) == 31 * 32
    for r, width in plan:
        assert width % 16 == 0 or width == 160
        assert min_widths[r].max() <= width < min_widths[r].max() + 16
    # sorting within pools makes batches much narrower than the widest row
    mean_width = np.mean([w for _, w in plan])
    assert mean_width < 0.8 * 160
    again = plan_batches(min_widths, 32, True, np.random.default_rng(2), bucket=16, max_width=160)
    assert [r.tolist() for r, _ in again] != [r.tolist() for r, _ in plan]


def test_validation_plan_keeps_every_row_and_no_bucket_keeps_full_width():
    min_widths = np.array([50, 20, 90, 30, 60])
    plan = plan_batches(min_widths, 2, False, np.random.default_rng(0), bucket=32, max_width=96)
    assert sorted(np.concatenate([r for r, _ in plan]).tolist()) == [0, 1, 2, 3, 4]
    assert [w for _, w in plan] == [32, 64, 96]  # (20, 30), (50, 60), (90,)
    plain = plan_batches(min_widths, 2, True, np.random.default_rng(0), bucket=0, max_width=96)
    assert len(plain) == 2 and {w for _, w in plain} == {96}


def _ink_kept(images: np.ndarray, cache: ImageCache, names: list[int]) -> bool:
    """Every batch row equals the cache row over the cropped width, and the rest was white."""
    for image, row in zip(images[..., 0], names, strict=True):
        full = cache.images[row].astype(np.float32)
        width = image.shape[1]
        if not np.array_equal(image, full[:, :width]) or (full[:, width:] != 255).any():
            return False
    return True


def _row_of(cache: ImageCache, labels: np.ndarray) -> list[int]:
    return [int(np.flatnonzero((cache.labels == label).all(axis=1))[0]) for label in labels]


@pytest.mark.parametrize("path", ["array", "tf"])
def test_batches_are_cropped_without_losing_ink(path):
    rng = np.random.default_rng(3)
    ink = rng.integers(4, 120, size=40).tolist()
    # a distinct label per row lets each batch row be traced back to its cache row
    labels = [[i % 7, i // 7] for i in range(40)]
    cache = _cache(ink, labels, width=128)
    if path == "array":
        array = ArrayBatches(cache, 8, training=True, seed=1, bucket=16, time_scale=4)
        batches = [array[i] for i in range(5)]
    else:
        data = tf_dataset(cache, 8, training=True, seed=1, bucket=16, time_scale=4)
        batches = [(keras.ops.convert_to_numpy(x), keras.ops.convert_to_numpy(y)) for x, y in data]
    assert len(batches) == 5
    widths = {images.shape[2] for images, _ in batches}
    assert len(widths) > 1 and max(widths) <= 128
    seen = []
    for images, batch_labels in batches:
        assert images.dtype == np.float32 and images.shape[0] == 8
        rows = _row_of(cache, batch_labels)
        assert _ink_kept(images, cache, rows)
        seen += rows
    assert sorted(seen) == list(range(40))


def test_tf_dataset_reshuffles_each_epoch():
    cache = _cache(list(range(5, 69)), [[i % 7, i // 7] for i in range(64)], width=96)
    data = tf_dataset(cache, 8, training=True, seed=0, bucket=16, time_scale=4)
    assert int(data.cardinality()) == 8
    epochs = [[keras.ops.convert_to_numpy(y)[:, :2].tolist() for _, y in data] for _ in range(2)]
    assert epochs[0] != epochs[1]
    rows = [sorted(str(label) for batch in epoch for label in batch) for epoch in epochs]
    assert rows[0] == rows[1]


def test_layout_fills_uneven_batches_with_zero_weight_copies():
    from mltu_ext.parallel.device_batches import DataLayout

    two = DataLayout(devices=2)
    rows = np.array([4, 9, 13])
    even, none = two.fill(np.array([4, 9]), 8)  # splits evenly: left as it is
    assert even.tolist() == [4, 9] and none is None
    filled, weights = two.fill(rows, 8)  # the last, short batch: filled up to the batch size
    assert filled.tolist() == [4, 9, 13, 4, 4, 4, 4, 4]
    assert weights.tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    filled, weights = two.fill(np.arange(11), 8)  # a larger uneven batch: to the next multiple
    assert len(filled) == 12 and weights.sum() == 11 and weights[-1] == 0
    same, none = DataLayout().fill(rows, 8)  # one device: nothing to fill
    assert same is rows and none is None


def test_layout_gives_each_process_its_contiguous_share():
    from mltu_ext.parallel.device_batches import DataLayout

    values = np.arange(8)
    assert DataLayout(devices=2, processes=2, process=0).share(values).tolist() == [0, 1, 2, 3]
    assert DataLayout(devices=2, processes=2, process=1).share(values).tolist() == [4, 5, 6, 7]
    assert DataLayout(devices=4, processes=1).share(values) is values
