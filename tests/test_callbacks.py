"""Schedules and stopping rules of the training callbacks."""

import itertools

import pytest

from mltu_ext.callbacks import TimeCosineDecay, read_resume_state
from mltu_ext.config import ConfigError, TrainConfig


def test_time_cosine_warms_up_peaks_and_ends_at_the_floor():
    decay = TimeCosineDecay(base_lr=1e-3, minutes=10, warmup=0.1, floor=0.02)
    assert decay.rate(0.0) == pytest.approx(0.05e-3)  # first step is not zero
    assert decay.rate(30.0) == pytest.approx(0.5e-3)  # half way through the warm-up
    assert decay.rate(60.0) == pytest.approx(1e-3)
    assert decay.rate(330.0) == pytest.approx(1e-3 * (0.02 + 0.98 * 0.5))  # cosine midpoint
    assert decay.rate(600.0) == pytest.approx(0.02e-3)
    assert decay.rate(9999.0) == pytest.approx(0.02e-3)
    rates = [decay.rate(t) for t in range(60, 600, 30)]
    assert all(a >= b for a, b in itertools.pairwise(rates))


def test_time_cosine_needs_a_time_budget():
    cfg = TrainConfig(lr_schedule="time_cosine")
    cfg.model.vocabulary = "ab"
    with pytest.raises(ConfigError, match="needs max_minutes"):
        cfg.validate()
    cfg.max_minutes = 5
    cfg.validate()


def test_resume_state_of_an_empty_folder_is_zero(tmp_path):
    assert read_resume_state(tmp_path) == 0
