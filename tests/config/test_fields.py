"""Recipe fields set by path (--set) and read from config.json are checked against their types."""

from __future__ import annotations

import json

import pytest

from mltu_ext.config import RunConfig, TrainConfig
from mltu_ext.config.fields import parse_assignment, set_field
from mltu_ext.errors import ConfigError


def test_set_converts_to_each_fields_type():
    cfg = TrainConfig()
    set_field(cfg, *parse_assignment("augment.shear=0.5"))
    set_field(cfg, *parse_assignment("model.lstm_units=[128,64]"))
    set_field(cfg, *parse_assignment("augment.enabled=false"))
    set_field(cfg, *parse_assignment("max_minutes=none"))
    set_field(cfg, *parse_assignment("optimizer=adamw"))
    set_field(cfg, "epochs", "7")
    assert cfg.augment.shear == 0.5 and cfg.model.lstm_units == (128, 64) and cfg.augment.enabled is False
    assert cfg.max_minutes is None and cfg.optimizer == "adamw" and cfg.epochs == 7


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("augment.shearx=1", "unknown field 'shearx'"),
        ("nosection.x=1", "no config section 'nosection'"),
        ("augment.shear=abc", "expected a number"),
        ("epochs=2.5", "expected a whole number"),
        ("augment.enabled=maybe", "expected true or false"),
        ("model=3", "a section"),
        ("model.strides=[[2,2],[1]]", "expected 2 entries"),
        ("shear", "expected FIELD=VALUE"),
    ],
)
def test_bad_assignments_name_the_field(assignment, message):
    with pytest.raises(ConfigError, match=message):
        set_field(TrainConfig(), *parse_assignment(assignment))


@pytest.mark.parametrize(
    ("assignment", "suggestion"),
    [
        ("learning_rat=0.1", "did you mean learning_rate?"),
        ("learningrate=0.1", "did you mean learning_rate?"),
        ("model.hieght=48", "did you mean model.height?"),
        ("lstm_units=[64]", "did you mean model.lstm_units?"),  # a field of a section, set at the top
        ("shear=0.5", "did you mean augment.shear?"),
        ("modle.height=48", "did you mean model.height?"),
        ("model.lstm_unit=[64]", "did you mean model.lstm_units?"),
    ],
)
def test_a_near_miss_field_name_is_answered_with_the_field_meant(assignment, suggestion):
    with pytest.raises(ConfigError) as error:
        set_field(TrainConfig(), *parse_assignment(assignment))
    assert suggestion in str(error.value)


def test_a_value_is_not_taken_for_a_section():
    with pytest.raises(ConfigError, match=r"--set model.height.x: model.height is a value, not a section"):
        set_field(TrainConfig(), *parse_assignment("model.height.x=3"))


def test_config_json_with_wrong_types_or_shape_is_refused(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"epochs": "many"}))
    with pytest.raises(ConfigError, match=r"config\.json: config\.epochs='many'"):
        TrainConfig.load(path)
    path.write_text(json.dumps({"model": {"filters": "wide"}}))
    with pytest.raises(ConfigError, match=r"model\.filters"):
        TrainConfig.load(path)
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="expected an object"):
        TrainConfig.load(path)
    path.write_bytes(b'{"epochs": 3')  # truncated
    with pytest.raises(ConfigError, match="cannot read config"):
        TrainConfig.load(path)


def test_older_config_json_with_run_fields_still_loads(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"epochs": 3, "processes": 2, "model_dir": "x", "jit_compile": "auto"}))
    assert TrainConfig.load(path).epochs == 3


def test_run_config_checks_its_fields():
    with pytest.raises(ConfigError, match="processes=0"):
        RunConfig(processes=0).validate()
    with pytest.raises(ConfigError, match="steps_per_call"):
        RunConfig(steps_per_call=0).validate()
    assert RunConfig(data_parallel=True).parallel and not RunConfig().parallel


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("seed=-1", "seed=-1: must be from 0 to 2\\*\\*32 - 1"),
        ("synthetic_seed=4294967296", "synthetic_seed=4294967296: must be from 0"),
        ("lr_factor=2", "lr_factor=2.0: must be in \\(0, 1\\)"),
        ("lr_factor=0", "lr_factor=0.0: must be in \\(0, 1\\)"),
        ("lr_patience=-2", "lr_patience=-2: must not be negative"),
        ("early_stopping_patience=-1", "early_stopping_patience=-1: must not be negative"),
        ("min_learning_rate=-1", "min_learning_rate=-1.0: must not be negative"),
        ("max_width=1000000000", "max_width=1000000000: more than 16384 columns"),
        ("max_minutes=-1", "max_minutes=-1.0: must be positive"),
        ("pretrain_samples=100", "pretrain_samples=100 needs pretrain_minutes > 0"),
    ],
)
def test_settings_that_would_crash_or_be_ignored_in_training_are_refused(assignment, message):
    cfg = TrainConfig()
    set_field(cfg, *parse_assignment(assignment))
    with pytest.raises(ConfigError, match=message):
        cfg.validate()


def test_a_warm_up_as_long_as_the_time_limit_is_refused():
    cfg = TrainConfig(pretrain_samples=100, pretrain_minutes=5.0, max_minutes=5.0)
    with pytest.raises(ConfigError, match="leaves nothing of max_minutes"):
        cfg.validate()
    TrainConfig(pretrain_samples=100, pretrain_minutes=2.0, max_minutes=5.0).validate()
