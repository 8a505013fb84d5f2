"""Checkpoints: best.keras only for a better epoch (also after --resume), and never left half-written."""

from __future__ import annotations

import errno
import json
import math

import keras
import numpy as np
import pytest

from mltu_ext.errors import OutputWriteError, TrainingError
from mltu_ext.training.resume import BestCheckpoint, ResumeState, read_resume_state


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_best_checkpoint_keeps_the_resumed_runs_best(tmp_path):
    path = tmp_path / "best.keras"
    checkpoint = BestCheckpoint(path, best=0.5)  # the best of the epochs before the resume
    checkpoint.set_model(_model())
    checkpoint.on_epoch_end(0, {"val_CER": 0.6})  # worse: nothing written
    assert not path.exists() and checkpoint.best == 0.5
    checkpoint.on_epoch_end(1, {"val_CER": 0.4})
    assert path.is_file() and checkpoint.best == 0.4
    before = path.read_bytes()
    checkpoint.on_epoch_end(2, {"val_CER": float("nan")})
    assert path.read_bytes() == before


def test_resume_state_records_and_restores_the_best(tmp_path):
    best = BestCheckpoint(tmp_path / "best.keras", best=math.inf)
    state = ResumeState(tmp_path, best)
    model = _model()
    for callback in (best, state):
        callback.set_model(model)
    for epoch, cer in enumerate([0.9, 0.7, 0.8]):
        best.on_epoch_end(epoch, {"val_CER": cer})
        state.on_epoch_end(epoch, {"val_CER": cer})
    resumed = read_resume_state(tmp_path)
    assert resumed.epochs_done == 3 and resumed.best == pytest.approx(0.7)
    assert json.loads((tmp_path / "state.json").read_text())["best_val_CER"] == pytest.approx(0.7)


def test_a_truncated_state_file_is_one_clear_error(tmp_path):
    (tmp_path / "state.json").write_text('{"epochs_done": 3, "best_')
    with pytest.raises(TrainingError, match=r"state\.json: unreadable training state"):
        read_resume_state(tmp_path)


def test_a_checkpoint_killed_or_out_of_space_leaves_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / "best.keras"
    checkpoint = BestCheckpoint(path)
    checkpoint.set_model(_model())
    checkpoint.on_epoch_end(0, {"val_CER": 0.5})
    good = path.read_bytes()

    def failing_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip")  # the start of a file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", failing_save)
    with pytest.raises(OutputWriteError, match=r"best\.keras: cannot write the checkpoint \(No space"):
        checkpoint.on_epoch_end(1, {"val_CER": 0.1})
    monkeypatch.undo()
    assert path.read_bytes() == good and sorted(p.name for p in tmp_path.iterdir()) == ["best.keras"]
    reloaded = keras.saving.load_model(path, compile=False)
    assert np.asarray(reloaded.predict(np.zeros((1, 3)), verbose=0)).shape == (1, 1)


def test_the_epoch_log_appends_on_resume_and_survives_a_failed_write(tmp_path, monkeypatch):
    from mltu_ext.evaluation.training_log import read_training_log
    from mltu_ext.training.callbacks import EpochLog

    path = tmp_path / "log.csv"
    log = EpochLog(path)
    log.on_train_begin()
    for epoch, cer in enumerate([0.5, 0.4]):
        log.on_epoch_end(epoch, {"loss": 2.0 - epoch, "val_CER": cer})
    resumed = EpochLog(path, append=True)
    resumed.on_train_begin()
    resumed.on_epoch_end(2, {"loss": 0.5, "val_CER": 0.3})
    assert read_training_log(str(path))["val_CER"] == [0.5, 0.4, 0.3]
    monkeypatch.setattr(
        "pathlib.Path.write_bytes", lambda self, data: (_ for _ in ()).throw(OSError(28, "full"))
    )
    with pytest.raises(OutputWriteError, match=r"log\.csv: cannot write"):
        resumed.on_epoch_end(3, {"loss": 0.4, "val_CER": 0.2})
    monkeypatch.undo()
    assert read_training_log(str(path))["epoch"] == [0.0, 1.0, 2.0]


def test_resume_from_another_folder_explains_a_relative_dataset_path(tmp_path):
    from mltu_ext.config import TrainConfig
    from mltu_ext.training.starting_point import check_same_run

    before, now = TrainConfig(), TrainConfig()
    before.dataset = "ds/labels.csv"  # as typed in the folder it was trained from
    now.dataset = str(tmp_path / "elsewhere" / "ds" / "labels.csv")
    with pytest.raises(TrainingError, match=r"'ds/labels\.csv' is relative to the folder it was"):
        check_same_run(before, now, tmp_path)
    now.dataset = "ds/labels.csv"
    check_same_run(before, now, tmp_path)  # the same path from the same folder: the same run


def test_a_resumed_run_goes_on_with_its_time_budget_and_learning_rate(tmp_path):
    """--resume of a --max-minutes run: the clock, the cosine and the time limit go on where they stopped."""
    from mltu_ext.config import RunConfig, TrainConfig
    from mltu_ext.data.vocabulary import Vocabulary
    from mltu_ext.training.callbacks import ElapsedLogger, TimeLimit, build_callbacks
    from mltu_ext.training.schedules import TimeCosineDecay
    from mltu_ext.training.starting_point import starting_point

    cfg = TrainConfig(max_minutes=3.0)
    cfg.model.vocabulary = "ab"
    cfg.save(tmp_path / "config.json")
    (tmp_path / "last.keras").write_bytes(b"checkpoint")  # read later, by the trainer
    state = {"epochs_done": 4, "logs": {"elapsed_s": 90.0}, "best_val_CER": 0.5}
    (tmp_path / "state.json").write_text(json.dumps(state))
    assert read_resume_state(tmp_path).elapsed_s == 90.0

    start = starting_point(TrainConfig(max_minutes=3.0), tmp_path, ["ab"], resume=True, init_from=None)
    assert (start.initial_epoch, start.elapsed_s) == (4, 90.0)
    run = RunConfig(model_dir=str(tmp_path), export=False)
    callbacks = build_callbacks(cfg, run, tmp_path, start, Vocabulary("ab"), None)
    model = _model()
    for callback in callbacks:
        callback.set_model(model)
        callback.on_train_begin()
    decay = next(c for c in callbacks if isinstance(c, TimeCosineDecay))
    decay.on_train_batch_begin(0)
    # half of the budget gone: the cosine's midpoint, not the warm-up's first small rate
    rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert rate == pytest.approx(decay.rate(90.0), rel=1e-3) and rate > 0.4 * cfg.learning_rate
    logs = {}
    next(c for c in callbacks if isinstance(c, ElapsedLogger)).on_epoch_end(4, logs)
    assert 90.0 <= logs["elapsed_s"] < 100.0  # log.csv's clock goes on too
    limit = next(c for c in callbacks if isinstance(c, TimeLimit))
    limit.on_train_batch_end(0)
    assert not model.stop_training
    limit.start -= 91.0  # the other half of the three minutes
    limit.on_train_batch_end(1)
    assert model.stop_training

    # a run that has used its whole budget: resuming it would train one batch and stop
    state["logs"]["elapsed_s"] = 185.0
    (tmp_path / "state.json").write_text(json.dumps(state))
    with pytest.raises(TrainingError, match=r"max_minutes=3.*--max-minutes"):
        starting_point(TrainConfig(max_minutes=3.0), tmp_path, ["ab"], resume=True, init_from=None)
    longer = starting_point(TrainConfig(max_minutes=6.0), tmp_path, ["ab"], resume=True, init_from=None)
    assert longer.elapsed_s == 185.0
