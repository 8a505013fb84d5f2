"""train.py's recipe options as a user combines them: --config, --set, --resume, --init-from, --overwrite."""

from __future__ import annotations

import json

import cv2
import pytest

from mltu_ext.cli import train as train_command
from mltu_ext.config import TrainConfig
from tests.conftest import draw_word


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def _table(folder, count=20):
    """A labels.csv without writers (so the split is random, by --val-fraction)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["file_name,text"]
    for i in range(count):
        image = draw_word("cat")
        image[0, i] = 128  # every image its own bytes: no copies to keep together
        cv2.imwrite(str(folder / f"{i}.png"), image)
        rows.append(f"{i}.png,cat")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return folder / "labels.csv"


def test_the_data_and_split_come_from_the_recipe_as_set_or_saved(tmp_path, capsys):
    labels = _table(tmp_path / "d")
    check = ["--check", "--cache-dir", ""]

    assert train_command.main(["--dataset", str(labels), "--set", "val_fraction=0.5", *check]) == 0
    assert "split: 10 training, 10 validation samples" in capsys.readouterr().out

    # the dataset named by --set, or by a saved config.json (a model folder's), as by --dataset
    assert train_command.main(["--set", f"dataset={labels}", *check]) == 0
    assert f"20 samples (generic_csv) from {labels.parent}" in capsys.readouterr().out
    cfg = TrainConfig(dataset=str(labels), val_fraction=0.25)
    cfg.save(tmp_path / "config.json")
    assert train_command.main(["--config", str(tmp_path / "config.json"), *check]) == 0
    assert "split: 15 training, 5 validation samples" in capsys.readouterr().out
    # the flag still wins over the file
    saved = ["--config", str(tmp_path / "config.json")]
    assert train_command.main([*saved, "--val-fraction", "0.5", *check]) == 0
    assert "split: 10 training, 10 validation samples" in capsys.readouterr().out

    assert train_command.main(["--dataset", str(labels), "--set", "dataset_format=csv", *check]) == 2
    err = _one_line_error(capsys)
    assert "dataset_format='csv'" in err and "generic_csv" in err


def _earlier_run(folder):
    """A model folder as an earlier run left it (the files' contents do not matter here)."""
    folder.mkdir(parents=True)
    for name in ("best.keras", "last.keras", "model.onnx", "model.json", "log.csv", "summary.json"):
        (folder / name).write_text("earlier run")
    (folder / "state.json").write_text(json.dumps({"epochs_done": 12, "best_val_CER": 0.1}))
    (folder / "config.json").write_text("{}")


def test_overwrite_leaves_no_file_of_the_earlier_run_beside_the_new_config(tmp_path, capsys, monkeypatch):
    import keras

    labels = _table(tmp_path / "d")
    folder = tmp_path / "model"
    _earlier_run(folder)
    tiny = ["--set", "model.filters=[8]", "--set", "model.strides=[[2,2]]", "--set", "model.lstm_units=[8]"]
    options = ["--dataset", str(labels), "--model-dir", str(folder), "--overwrite", "--cache-dir", "", *tiny]

    # an image that cannot be read: the run stops before it writes anything, the earlier model stays
    (labels.parent / "0.png").write_bytes(b"not a png")
    assert train_command.main(options) == 2
    assert "0.png: cannot decode image" in capsys.readouterr().err.splitlines()[-1]
    cv2.imwrite(str(labels.parent / "0.png"), draw_word("cat"))
    assert (folder / "config.json").read_text() == "{}" and (folder / "last.keras").is_file()

    # Ctrl-C in the first epoch: the folder holds the new run's config and none of the earlier run's
    # checkpoints, which --resume would otherwise continue under the new config
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "fit", interrupted)
    assert train_command.main(options) == 130
    assert "--resume" not in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "run.json"]
    assert TrainConfig.load(folder / "config.json").model.lstm_units == (8,)


def test_network_sizes_that_a_start_from_another_model_would_ignore_are_refused(tmp_path, capsys):
    source = tmp_path / "source"
    source.mkdir()
    TrainConfig().save(source / "config.json")  # height 32, lstm_units (128, 128)
    (source / "best.keras").write_text("weights")  # read only once the options are accepted
    missing = ["--dataset", str(tmp_path / "no_such_labels.csv"), "--model-dir", str(tmp_path / "new")]

    cases = [
        (["--init-from", str(source), "--height", "48"], "--height 48"),
        (["--init-from", str(source), "--set", "model.lstm_units=[64]"], "model.lstm_units=[64]"),
        (["--resume", "--model-dir", str(source), "--set", "model.dropout=0.5"], "model.dropout=0.5"),
    ]
    for options, named in cases:
        assert train_command.main([*missing, *options]) == 2, options
        err = _one_line_error(capsys)
        assert named in err and str(source) in err and "no_such_labels" not in err, err
    # the same sizes as the source's, and the dropout of a fine-tuning run, are no change to refuse
    same = ["--init-from", str(source), "--height", "32", "--set", "model.dropout=0.3", "--check"]
    assert train_command.main([*missing, *same]) == 2
    assert "no_such_labels" in capsys.readouterr().err


def test_ctrl_c_says_what_the_folder_holds_and_how_to_go_on(tmp_path, capsys, monkeypatch):
    import keras

    labels = _table(tmp_path / "d")
    folder = tmp_path / "model"
    tiny = ["--set", "model.filters=[8]", "--set", "model.strides=[[2,2]]", "--set", "model.lstm_units=[8]"]
    options = ["--dataset", str(labels), "--model-dir", str(folder), "--cache-dir", "", *tiny]
    epochs_done = []

    def interrupted(*args, **kwargs):
        if epochs_done:  # as if an epoch had been saved
            (folder / "last.keras").write_text("checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "fit", interrupted)
    assert train_command.main(options) == 130
    err = capsys.readouterr().err
    assert f"{folder} holds no finished epoch" in err and "--resume" not in err, err

    epochs_done.append(1)
    assert train_command.main([*options, "--overwrite"]) == 130
    err = capsys.readouterr().err
    # the data and recipe are in the folder's config.json: --resume and the folder are enough
    assert err.splitlines()[-2] == f"interrupted: continue with --resume --model-dir {folder}", err


def test_resume_is_refused_before_any_data_is_read(tmp_path, capsys):
    folder = tmp_path / "model"
    folder.mkdir()
    missing = ["--dataset", str(tmp_path / "no_such_labels.csv")]

    assert train_command.main([*missing, "--resume"]) == 2
    assert "--resume continues the run in --model-dir" in _one_line_error(capsys)
    assert train_command.main([*missing, "--resume", "--model-dir", str(folder)]) == 2
    err = _one_line_error(capsys)
    assert f"{folder}: nothing to resume" in err and "no_such_labels" not in err

    TrainConfig(dataset=str(tmp_path / "other.csv")).save(folder / "config.json")
    (folder / "last.keras").write_text("checkpoint")
    assert train_command.main([*missing, "--resume", "--model-dir", str(folder)]) == 2
    err = _one_line_error(capsys)
    assert err.startswith("error: --dataset ") and "(dataset " in err and "other.csv" in err, err
    assert "no such file" not in err


def test_a_split_that_leaves_a_side_empty_says_why(tmp_path, capsys):
    folder = tmp_path / "d"
    folder.mkdir()
    rows = ["file_name,text,writer_id"]
    for i in range(6):
        cv2.imwrite(str(folder / f"{i}.png"), draw_word("cat"))  # all six the same bytes
        rows.append(f"{i}.png,cat,{'a' if i < 4 else 'b'}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    options = ["--dataset", str(folder / "labels.csv"), "--model-dir", str(tmp_path / "m"), "--cache-dir", ""]

    assert train_command.main([*options, "--val-writers", "a,b"]) == 2
    err = capsys.readouterr().err
    assert "--val-writers a, b take every writer: no training samples are left" in err, err
    assert train_command.main([*options, "--val-writers", "b"]) == 2
    err = capsys.readouterr().err
    assert "no validation samples: its 2 were copies" in err, err
    assert not (tmp_path / "m").exists()


TINY = ["--set", "model.filters=[8]", "--set", "model.strides=[[2,2]]", "--set", "model.lstm_units=[8]"]


def _interrupted_run(folder, options, capsys):
    """Train with ``options`` into ``folder`` and press Ctrl-C right after the first epoch is saved."""
    from mltu_ext.training.resume import ResumeState

    saved = ResumeState.on_epoch_end

    def save_then_stop(self, epoch, logs=None):
        saved(self, epoch, logs)
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ResumeState, "on_epoch_end", save_then_stop)
        assert train_command.main([*options, "--model-dir", str(folder)]) == 130
    return capsys.readouterr().err


def test_resume_takes_the_data_and_recipe_from_the_model_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the dataset path as typed: relative to the folder the run starts in
    _table(tmp_path / "d", count=8)
    folder = tmp_path / "model"
    recipe = ["--dataset", "d/labels.csv", "--set", "val_fraction=0.25", "--max-width", "128"]
    options = [*recipe, "--epochs", "2", "--set", "augment.shear=0.1", *TINY]
    run = ["--cache-dir", "", "--quiet"]
    err = _interrupted_run(folder, [*options, *run], capsys)
    assert f"continue with --resume --model-dir {folder}" in err and "same options" not in err, err
    before = TrainConfig.load(folder / "config.json")
    assert json.loads((folder / "state.json").read_text())["epochs_done"] == 1

    # only --resume and the folder (and how this run executes): the data, the split and the recipe
    # are the folder's config.json's
    assert train_command.main(["--resume", "--model-dir", str(folder), *run]) == 0
    out = capsys.readouterr().out
    assert "split: 6 training, 2 validation samples" in out, out
    assert json.loads((folder / "state.json").read_text())["epochs_done"] == 2
    after = TrainConfig.load(folder / "config.json")
    assert after.model.vocabulary == before.model.vocabulary == "act"
    assert (after.dataset, after.val_fraction, after.max_width) == ("d/labels.csv", 0.25, 128)
    assert (after.augment.shear, after.model.lstm_units) == (0.1, (8,))
    assert after.split["counts"] == before.split["counts"]

    # the same options again are no change: accepted (the dataset by another spelling of its path too)
    same = [*recipe[:1], str(tmp_path / "d" / "labels.csv"), *recipe[2:], *options[6:]]
    assert train_command.main([*same, "--resume", "--model-dir", str(folder), "--check", *run]) == 0
    assert "split: 6 training, 2 validation samples" in capsys.readouterr().out


def test_resume_refuses_a_changed_option_and_accepts_a_longer_run(tmp_path, capsys):
    labels = _table(tmp_path / "d", count=8)
    folder = tmp_path / "model"
    run = ["--cache-dir", "", "--quiet"]
    _interrupted_run(folder, ["--dataset", str(labels), "--epochs", "1", *TINY, *run], capsys)
    resume = ["--resume", "--model-dir", str(folder), *run]

    other = tmp_path / "other.csv"
    cases = [
        (["--batch-size", "4"], "--batch-size 4", "batch_size 32", "4"),
        (["--set", "augment.shear=0.5"], "--set augment.shear=0.5", "augment.shear 0.", "0.5"),
        (["--dataset", str(other)], f"--dataset {other}", f"dataset {str(labels)!r}", repr(str(other))),
        (["--no-augment"], "--no-augment", "augment.enabled True", "False"),
        (["--recipe", "lines"], "--recipe lines", "augment.", "more"),
    ]
    for given, option, theirs, ours in cases:
        assert train_command.main([*resume, *given]) == 2, given
        err = _one_line_error(capsys)
        assert err.startswith(f"error: {option}: ") and str(folder) in err, err
        assert theirs in err and ours in err, err

    # the run trained its one epoch: a longer one is asked for, then accepted
    assert train_command.main(resume) == 2
    assert "--epochs" in _one_line_error(capsys)
    assert train_command.main([*resume, "--epochs", "2", "--max-minutes", "5"]) == 0
    assert json.loads((folder / "state.json").read_text())["epochs_done"] == 2
    cfg = TrainConfig.load(folder / "config.json")
    # a time limit added on resume leaves the learning-rate schedule as the run began it
    assert (cfg.epochs, cfg.max_minutes, cfg.lr_schedule) == (2, 5.0, "plateau")


def test_resume_of_a_run_whose_dataset_is_gone_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "model"
    folder.mkdir()
    TrainConfig(dataset="d/labels.csv").save(folder / "config.json")
    (folder / "last.keras").write_text("checkpoint")  # read only once the options are accepted

    assert train_command.main(["--resume", "--model-dir", str(folder), "--cache-dir", ""]) == 2
    err = _one_line_error(capsys)
    assert "'d/labels.csv'" in err and str(folder / "config.json") in err and "no longer exists" in err, err
    assert "relative to the folder the run was started in" in err, err


def test_resume_of_a_rendered_words_run_takes_its_recipe(tmp_path):
    from configs import RECIPES

    folder = tmp_path / "model"
    folder.mkdir()
    started = ["--synthetic-samples", "100", "--epochs", "3", "--set", "model.lstm_units=[8]"]
    cfg = train_command.config_from_args(train_command.get_args(started))
    cfg.augment.enabled = False  # as the rendered words' run leaves it (synth.default_words)
    cfg.model.vocabulary = "abc"
    cfg.save(folder / "config.json")
    (folder / "last.keras").write_text("checkpoint")
    resume = ["--resume", "--model-dir", str(folder)]

    for given in ([], [*started, "--recipe", "default"]):
        resumed = train_command.config_from_args(train_command.get_args([*resume, *given]))
        assert resumed.to_dict() == TrainConfig.load(folder / "config.json").to_dict(), given
    assert RECIPES["default"]().synthetic_samples != 100


def test_resume_splits_the_data_as_the_run_did(tmp_path, capsys):
    folder = tmp_path / "model"
    folder.mkdir()
    cfg = TrainConfig(dataset=str(_table(tmp_path / "d", count=4)))
    cfg.split = {"method": "random", "seed": 3}
    cfg.save(folder / "config.json")
    (folder / "last.keras").write_text("checkpoint")
    resume = ["--resume", "--model-dir", str(folder)]

    args = train_command.get_args(resume)
    train_command.config_from_args(args)
    assert (args.split_seed, args.val_writers) == (3, None)
    assert train_command.main([*resume, "--split-seed", "4"]) == 2
    err = _one_line_error(capsys)
    assert err.startswith("error: --split-seed 4: ") and "seed 3, not 4" in err and str(folder) in err, err

    cfg.split = {"method": "writer_ids", "seed": None, "writers": {"val": ["28", "29"], "train": ["1"]}}
    cfg.save(folder / "config.json")
    args = train_command.get_args(resume)
    train_command.config_from_args(args)
    assert (args.split_seed, args.val_writers) == (0, ["28", "29"])
