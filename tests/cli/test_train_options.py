"""train.py's recipe options as a user combines them: --config, --set, --resume, --init-from, --overwrite."""

from __future__ import annotations

import json

import cv2

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
    # the data and recipe options must come again: --resume checks that they are the same
    assert f"continue with the same options and --resume --model-dir {folder}" in err, err


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
    assert "this one differs (dataset" in err and "no such file" not in err


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
