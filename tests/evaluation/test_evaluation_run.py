"""evaluate(), show_sample() and the command-line helpers with a fake recogniser."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.cli.evaluation_args import add_evaluation_arguments, run_evaluation
from mltu_ext.data.samples import Sample
from mltu_ext.errors import ConfigError
from mltu_ext.evaluation.error_rates import edit_distance
from mltu_ext.evaluation.evaluate import evaluate, show_sample
from mltu_ext.evaluation.plots import pick_for_grid
from mltu_ext.evaluation.summary import SampleResult, summarize

TEXTS = ["hello", "modern", "world", "Test 42", "corn", "ok", "l|b", "burn", "day", "x"]
PICTURES = ("samples.png", "confusion.png", "training_curves.png", "dataset.png")


def corrupt(text: str) -> str:
    """The fixed mistakes of the fake model: rn read as m, the first l as I."""
    return text.replace("rn", "m").replace("l", "I", 1)


class FakeRecognizer:
    """Reads the sample number from the top-left pixel and returns its corrupted truth."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.batches: list[int] = []

    def predict(self, images: list[np.ndarray]) -> list[str]:
        self.batches.append(len(images))
        return [corrupt(self.texts[int(image[0, 0])]) for image in images]


def word_image(number: int, text: str) -> np.ndarray:
    image = np.full((32, 20 + 12 * max(len(text), 1)), 255, np.uint8)
    cv2.putText(image, text, (3, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1)
    image[0, 0] = number  # the fake recogniser's key
    return image


def write_samples(folder: Path, texts: list[str]) -> list[Sample]:
    samples = []
    for number, text in enumerate(texts):
        path = folder / f"w{number}.png"
        assert cv2.imwrite(str(path), word_image(number, text))
        samples.append(Sample(text, path=str(path), source=f"labels.csv:{number + 2}"))
    return samples


def write_log(path: Path, header: str, rows: int = 4) -> Path:
    names = header.split(",")
    lines = [header]
    for epoch in range(rows):
        values = {
            "epoch": epoch,
            "loss": 9 / (epoch + 1),
            "val_loss": 10 / (epoch + 1),
            "val_CER": 0.8 / (epoch + 1),
            "val_WER": 0.9 / (epoch + 1),
            "learning_rate": 1e-3 / 2**epoch,
        }
        lines.append(",".join(str(values[name]) for name in names))
    path.write_text("\n".join(lines) + "\n")
    return path


def png_size(path: Path) -> tuple[int, int]:
    image = cv2.imread(str(path))
    assert image is not None, f"{path} does not open as an image"
    return image.shape[0], image.shape[1]


def test_evaluate_writes_everything_and_agrees_with_plain_functions(tmp_path):
    samples = write_samples(tmp_path, TEXTS)
    samples.append(Sample("lost", path=str(tmp_path / "missing.png")))  # unreadable
    samples.append(Sample("mem", image=word_image(len(TEXTS) + 1, "mem")))  # in-memory pixels
    texts = [*TEXTS, "lost", "mem"]
    log = write_log(tmp_path / "log.csv", "epoch,learning_rate,loss,val_CER,val_WER,val_loss")
    out = tmp_path / "report"
    recognizer = FakeRecognizer(texts)

    metrics = evaluate(
        recognizer,
        samples,
        str(out),
        batch_size=4,
        training_log=str(log),
        dataset_name="tiny",
        progress=False,
    )

    for name in ("metrics.json", "predictions.csv", "report.html", "report.md", *PICTURES):
        assert (out / name).is_file(), name
    for name in PICTURES:
        height, width = png_size(out / name)
        assert height > 200 and width > 200, (name, height, width)
    assert recognizer.batches == [4, 4, 3]  # the unreadable image leaves a batch of 3

    # the same numbers as the plain functions on the same predictions
    truths = [*TEXTS, "mem"]
    predictions = [corrupt(t) for t in truths]
    expected = json.loads(json.dumps(summarize(predictions, truths)))
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key, value in expected.items():
        assert saved[key] == (pytest.approx(value) if isinstance(value, float) else value), key
    assert saved["cer"] > 0 and saved["exact_match"] < 1
    assert saved["confusions"]["multi"] == [{"truth": "rn", "prediction": "m", "count": 3}]
    assert saved["confusions"]["substitutions"] == [{"truth": "l", "prediction": "I", "count": 3}]
    assert saved["dataset"] == "tiny"
    assert saved["skipped"]["count"] == 1 and "missing.png" in saved["skipped"]["unreadable"][0]
    assert saved["throughput"]["images"] == len(truths)
    assert saved["throughput"]["images_per_s"] > 0
    assert saved["training"]["epochs"] == 4 and saved["training"]["best_val_CER_epoch"] == 3
    assert metrics["cer"] == saved["cer"]

    with open(out / "predictions.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["truth"] for r in rows] == truths
    assert [r["prediction"] for r in rows] == predictions
    assert [int(r["edits"]) for r in rows] == [
        edit_distance(p, t) for p, t in zip(predictions, truths, strict=True)
    ]
    assert rows[0]["path"].endswith("w0.png") and rows[0]["source"] == "labels.csv:2"

    page = (out / "report.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for name in PICTURES:
        assert f'src="{name}"' in page
        assert f"({name})" in markdown
    assert "mode[rn→m]" in page  # the worst-predictions table marks the differences
    assert "I\\|b" in markdown  # a pipe in a label does not break the Markdown table


def test_evaluate_without_log_and_with_embedded_pictures(tmp_path):
    samples = write_samples(tmp_path, TEXTS[:3])
    out = tmp_path / "out"
    evaluate(
        FakeRecognizer(TEXTS),
        samples,
        str(out),
        training_log=str(tmp_path / "none.csv"),
        embed_images=True,
        progress=False,
    )
    assert not (out / "training_curves.png").exists()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3
    assert "none.csv: training log not found" in page


def test_evaluate_rejects_a_recogniser_that_loses_images(tmp_path):
    class Short:
        def predict(self, images):
            return ["x"] * (len(images) - 1)

    samples = write_samples(tmp_path, TEXTS[:2])
    with pytest.raises(ValueError, match="1 predictions for a batch of 2"):
        evaluate(Short(), samples, str(tmp_path / "out"), progress=False)
    with pytest.raises(ValueError, match="no samples"):
        evaluate(Short(), [], str(tmp_path / "out"), progress=False)


def test_pick_for_grid_puts_errors_first():
    results = [SampleResult(i, str(i), "ab", "ab" if i % 4 else "b", 0 if i % 4 else 1) for i in range(20)]
    chosen = pick_for_grid(results, count=8)
    assert [r.index for r in chosen[:5]] == [0, 4, 8, 12, 16]  # all five errors
    assert all(r.edits == 0 for r in chosen[5:]) and len(chosen) == 8
    assert chosen == pick_for_grid(results, count=8)


def test_show_sample(tmp_path):
    samples = write_samples(tmp_path, TEXTS)
    picture = tmp_path / "one" / "sample.png"
    text = show_sample(FakeRecognizer(TEXTS), samples, 1, str(picture))
    assert '"modern"' in text and '"modem"' in text
    assert "33.33 %" in text  # 2 edits over 6 characters
    assert "mode[rn→m]" in text
    assert png_size(picture)[1] > 200
    with pytest.raises(ConfigError, match="10 samples"):
        show_sample(FakeRecognizer(TEXTS), samples, 10)


def test_cli_helpers_run_report_and_index(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    samples = write_samples(folder, TEXTS[:4])
    rows = ["file,text"] + [f"{Path(s.path).name},{s.text}" for s in samples]
    (folder / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=2)  # inferenceModel.py may have it
    add_evaluation_arguments(parser)
    out = tmp_path / "out"
    args = parser.parse_args(
        [
            "--dataset",
            str(folder),
            "--report",
            str(out),
            "--index",
            "1",
            "--save-image",
            str(tmp_path / "one.png"),
        ]
    )

    text = run_evaluation(args, FakeRecognizer(TEXTS))

    assert '"modern"' in text and "CER" in text
    assert (out / "report.html").is_file() and (tmp_path / "one.png").is_file()
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert saved["samples"] == 4 and saved["throughput"]["batch_size"] == 2
    assert text in capsys.readouterr().out
    with pytest.raises(ValueError, match="--report OUT"):
        run_evaluation(parser.parse_args(["--dataset", str(folder)]), FakeRecognizer(TEXTS))


class ShiftedRecognizer:
    """Reads image k as ``readings[k]`` (the number in its top-left pixel)."""

    def __init__(self, readings: list[str]) -> None:
        self.readings = readings

    def predict(self, images: list[np.ndarray]) -> list[str]:
        return [self.readings[int(image[0, 0])] for image in images]


def test_report_lists_labels_of_another_image_of_the_writer(tmp_path):
    labels = ["Dresden", "Leipzig", "Görlitz", "Bautzen"]
    samples = write_samples(tmp_path, labels)
    for sample in samples:
        sample.writer = "7"
    # image 1 shows "Görlitz" but is labelled "Leipzig"
    readings = ["Dresden", "Görlitz", "Görlitz", "Bautzen"]
    metrics = evaluate(ShiftedRecognizer(readings), samples, str(tmp_path / "out"), progress=False)
    assert [(r["index"], r["label"], r["other_label"]) for r in metrics["suspect_labels"]] == [
        (1, "Leipzig", "Görlitz")
    ]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "may belong to another image of the same writer" in report and "w1.png" in report


def test_no_suspect_labels_without_writers(tmp_path):
    samples = write_samples(tmp_path, ["Dresden", "Leipzig"])
    metrics = evaluate(
        ShiftedRecognizer(["Leipzig", "Leipzig"]), samples, str(tmp_path / "o"), progress=False
    )
    assert metrics["suspect_labels"] == []
    assert "same writer" not in (tmp_path / "o" / "report.md").read_text(encoding="utf-8")


def test_a_markdown_cell_shows_html_entities_and_formatting_as_typed():
    from mltu_ext.evaluation.report_page import _md_cell

    assert _md_cell("<script>alert(1)</script>") == "\\<script\\>alert(1)\\</script\\>"
    assert _md_cell("&lt; *star* `x` a|b") == "\\&lt; \\*star\\* \\`x\\` a\\|b"
    assert _md_cell("two\nlines") == "two lines"


def test_truth_characters_the_model_cannot_write_are_named(tmp_path):
    samples = write_samples(tmp_path, TEXTS)
    recognizer = FakeRecognizer(TEXTS)
    recognizer.vocabulary = "abcdefghijklmnopqrstuvwxyz "  # no capitals, digits or "|"
    metrics = evaluate(recognizer, samples, str(tmp_path / "out"), progress=False)
    # "Test 42": T, 4, 2; "l|b": |
    assert metrics["unwritable"] == {"characters": "24T|", "count": 4}
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "4 characters of the truths are not in the model's vocabulary" in report
    plain = evaluate(FakeRecognizer(TEXTS), samples, str(tmp_path / "o2"), progress=False)
    assert plain["unwritable"] == {"characters": "", "count": 0}  # a reader without a vocabulary


def test_an_image_too_wide_for_the_model_is_skipped_and_named(tmp_path):
    from mltu_ext.evaluation.evaluate import evaluate
    from mltu_ext.inference.recognizer import OnnxRecognizer

    words = OnnxRecognizer(Path(__file__).resolve().parents[2] / "Models" / "dhsd_words", max_width=400)
    word = np.full((64, 120), 255, np.uint8)
    word[20:44, 10:110] = 0
    samples = [
        Sample("Ahr", image=word, source="labels.csv:2"),
        Sample("Berlin", image=np.full((16, 200), 255, np.uint8), source="labels.csv:3"),  # 800 columns at 64
        Sample("Bonn", image=word, source="labels.csv:4"),
    ]
    metrics = evaluate(words, samples, str(tmp_path / "report"), progress=False)
    assert metrics["throughput"]["images"] == 2
    assert metrics["skipped"]["count"] == 1
    assert "labels.csv:3: 800 columns wide" in metrics["skipped"]["unreadable"][0]
