"""Label corrections applied to samples, and the errors for corrections that do not fit."""

from pathlib import Path

import pytest

from mltu_ext.data.corrections import apply_corrections, load_corrections
from mltu_ext.data.samples import Sample


def _samples(root: Path) -> list[Sample]:
    return [
        Sample(
            "Marienfließ", path=str(root / "images" / "w1" / "1_0.png"), writer="1", source="labels.csv:2"
        ),
        Sample("Görlitz", path=str(root / "images" / "w1" / "1_1.png"), writer="1", source="labels.csv:3"),
    ]


def _write(path: Path, rows: str) -> Path:
    path.write_text("file_name,published,corrected\n" + rows, encoding="utf-8")
    return path


def test_corrected_text_replaces_the_label_and_the_rest_stays(tmp_path):
    fixes = load_corrections(_write(tmp_path / "fix.csv", "images/w1/1_0.png,Marienfließ,Dölzig\n"))
    samples = _samples(tmp_path)
    out = apply_corrections(samples, fixes, tmp_path)
    assert [s.text for s in out] == ["Dölzig", "Görlitz"]
    assert out[0].source.endswith("(corrected)") and out[1] is samples[1]
    assert samples[0].text == "Marienfließ"  # the input list is not changed


def test_corrections_written_with_decomposed_accents_or_special_spaces_still_match(tmp_path):
    import unicodedata

    row = f"images/w1/1_1.png,{unicodedata.normalize('NFD', 'Görlitz')},Groß\u00a0Köris\n"
    fixes = load_corrections(_write(tmp_path / "fix.csv", row))
    out = apply_corrections(_samples(tmp_path), fixes, tmp_path)  # the labels as the readers give them
    assert out[1].text == "Groß Köris"


def test_stale_correction_names_the_file(tmp_path):
    fixes = load_corrections(_write(tmp_path / "fix.csv", "images/w1/1_1.png,Leipzig,Dölzig\n"))
    with pytest.raises(ValueError, match=r"1_1\.png: label is 'Görlitz'"):
        apply_corrections(_samples(tmp_path), fixes, tmp_path)


def test_correction_without_its_sample_raises(tmp_path):
    fixes = load_corrections(_write(tmp_path / "fix.csv", "images/w9/9_0.png,A,B\n"))
    with pytest.raises(ValueError, match=r"images/w9/9_0\.png"):
        apply_corrections(_samples(tmp_path), fixes, tmp_path)


def test_bad_corrections_files(tmp_path):
    (tmp_path / "cols.csv").write_text("file,text\nx,y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        load_corrections(tmp_path / "cols.csv")
    twice = _write(tmp_path / "twice.csv", "a.png,A,B\na.png,A,C\n")
    with pytest.raises(ValueError, match=r"more than one correction for a\.png"):
        load_corrections(twice)


def test_shipped_dhsd_corrections_fit_the_dataset():
    data = Path(__file__).resolve().parents[3] / "shared" / "data" / "dhsd"
    if not (data / "labels.csv").is_file():
        pytest.skip("DHSD is not beside the checkout")
    from mltu_ext.data import load_dataset

    fixes = load_corrections(
        Path(__file__).resolve().parents[2] / "mltu_ext" / "data" / "known_corrections" / "dhsd.csv"
    )
    out = apply_corrections(load_dataset(str(data)).samples, fixes, data)
    assert fixes and sum(s.source.endswith("(corrected)") for s in out) == len(fixes)


def test_corrections_option_of_the_dataset_arguments(tmp_path):
    import argparse

    import cv2
    import numpy as np

    from mltu_ext.cli.dataset_args import add_dataset_arguments, load_from_args

    data = tmp_path / "data"
    (data / "img").mkdir(parents=True)
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(data / "img" / name), np.full((20, 60), 255, np.uint8))
    labels = "file_name,text\nimg/a.png,Görlitz\nimg/b.png,Leipzig\n"
    (data / "labels.csv").write_text(labels, encoding="utf-8")
    fixes = _write(tmp_path / "fix.csv", "img/b.png,Leipzig,Dölzig\n")
    parser = argparse.ArgumentParser()
    add_dataset_arguments(parser)
    dataset = load_from_args(parser.parse_args(["--dataset", str(data), "--corrections", str(fixes)]))
    assert sorted(s.text for s in dataset.samples) == ["Dölzig", "Görlitz"]
    assert any("1 labels corrected" in note for note in dataset.notes)
