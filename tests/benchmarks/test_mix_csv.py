"""benchmarks/line_model/mix_csv.py: real and rendered lines in one training set, split by writer."""

import csv
from pathlib import Path

import pytest

from tests.benchmarks.scripts import load_script


def _mix_csv():
    return load_script("line_model/mix_csv.py")


def _labels(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True)
    path = folder / "labels.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "text", "writer_id"])
        writer.writerows(rows)
    for name, _, _ in rows:  # only their paths matter here
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).touch()
    return path


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def sets(tmp_path):
    copiste = _labels(tmp_path / "copiste", [("a.jpg", "une ligne", "w1"), ("b.jpg", "deux", "w2")])
    rendered = _labels(tmp_path / "rendered", [("r0.png", "a line", "3"), ("r1.png", "eine Zeile", "4")])
    val = _labels(tmp_path / "rendered_val", [("v0.png", "other", "5")])
    dhsd = _labels(tmp_path / "dhsd", [("images/0.jpg", "Söllingen", "dhsd_1")])
    return tmp_path, copiste, rendered, val, dhsd


def test_split_validates_on_the_named_writers_and_trains_on_the_rest(sets):
    tmp, copiste, rendered, _, dhsd = sets
    out = tmp / "out" / "split.csv"
    out.parent.mkdir()
    mix = _mix_csv()
    argv = ["split", "--copiste", str(copiste), "--rendered", str(rendered), "--dhsd", str(dhsd)]
    mix.run(mix.get_args([*argv, "--val-writers", "w2", "-o", str(out)]))
    rows = _read(out)
    assert [(r["text"], r["split"]) for r in rows] == [
        ("une ligne", "train"),
        ("deux", "val"),
        ("a line", "train"),
        ("eine Zeile", "train"),
        ("Söllingen", "train"),
    ]
    # paths relative to the output's folder, so the CSV reads from anywhere
    assert all((out.parent / r["file_name"]).is_file() for r in rows)
    assert rows[2]["writer_id"] == "font_3"  # rendered fonts never collide with real writers


def test_split_refuses_a_validation_writer_that_is_not_in_the_data(sets):
    tmp, copiste, rendered, _, _ = sets
    mix = _mix_csv()
    args = mix.get_args(["split", "--copiste", str(copiste), "--rendered", str(rendered),
                         "--val-writers", "w9", "-o", str(tmp / "x.csv")])  # fmt: skip
    with pytest.raises(SystemExit, match="not in the data: w9"):
        mix.run(args)
    assert not (tmp / "x.csv").exists()


def test_all_trains_on_every_writer_and_validates_on_rendered_lines(sets):
    tmp, copiste, rendered, val, _ = sets
    mix = _mix_csv()
    out = tmp / "all.csv"
    argv = ["all", "--copiste", str(copiste), "--rendered", str(rendered), "--rendered-limit", "1"]
    mix.run(mix.get_args([*argv, "--rendered-val", str(val), "-o", str(out)]))
    rows = _read(out)
    assert [r["split"] for r in rows if r["text"] in ("une ligne", "deux")] == ["train", "train"]
    assert [r["text"] for r in rows if r["split"] == "val"] == ["other"]
    assert "eine Zeile" not in {r["text"] for r in rows}  # --rendered-limit 1 kept the first only
