"""The per-device data-parallel step (JAX), on two emulated CPU devices in a subprocess."""

from __future__ import annotations

import math

import pytest

from tests.conftest import run_two_device_check

pytestmark = [pytest.mark.slow, pytest.mark.jax]

pytest.importorskip("jax")


@pytest.fixture(scope="module")
def check() -> dict:
    return run_two_device_check("per_device_check.py")


def test_batchnorm_statistics_stay_per_device(check):
    # a global BatchNorm over both halves gives about 0.05 here (measured), not 1e-7
    assert check["batchnorm_max_diff"] < 1e-5


def test_recogniser_trains_with_replicas_in_step(check):
    result = check["recognizer"]
    assert result["replicas"] == 2 and result["replicas_equal"]
    assert all(math.isfinite(v) for v in result["losses"])
    assert result["losses"][-1] < 0.5 * result["losses"][0]


def test_device_resident_batches_match_the_host_batches(check):
    rows = check["device_rows"]
    assert rows["same"]
    # split over the two devices as fit() splits a batch: 4 rows each of 8
    assert rows["shards"] == 2 and rows["shard_rows"] == 4
    # the last batch (rows 32-36) is filled with copies of its first row, weighted 0
    assert rows["last_weights"] == [1, 1, 1, 1, 1, 0, 0, 0] and rows["last_rows"]


def test_uneven_validation_batches_are_filled_and_weighted_out(check):
    # a last batch of 3 words cannot split over 2 devices: it is filled to 4 rows
    # with a copy that weighs 0, so the CER is the one device's CER on the 7 words
    result = check["uneven_validation"]
    assert result["last_batch_rows"] == 4 and result["last_batch_weights"] == [1, 1, 1, 0]
    assert math.isfinite(result["val_CER"])
    assert result["split_CER"] == pytest.approx(result["single_CER"], abs=1e-6)
