"""train.py's recipe options as a user combines them: --config, --set, --resume, --init-from, --overwrite."""

from __future__ import annotations

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
