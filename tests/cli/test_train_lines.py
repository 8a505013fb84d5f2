"""Lines end to end: ALTO pages -> train.py --recipe lines -> the recorded model reads a line by default."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from mltu_ext.cli.recognize import main as recognize_main
from mltu_ext.cli.train import main as train_main
from mltu_ext.inference.model_files import LAST_TRAINED

TEXTS = ("le chat dort", "un bon vin", "la mer bleue", "mon ami lit")
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"


def write_pages(root: Path, pages: int = 6) -> None:
    """``root/images/p<i>.png`` with two text lines each and ``root/alto/p<i>.xml`` (writer p<i>)."""
    (root / "images").mkdir(parents=True)
    (root / "alto").mkdir()
    for p in range(pages):
        page = np.full((110, 320), 255, np.uint8)
        lines = []
        for j in range(2):
            text = TEXTS[(p + j) % len(TEXTS)]
            # each page at its own offset: equal pixels would be the same image (kept on one side)
            cv2.putText(page, text, (8 + 3 * p, 38 + 50 * j), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
            y0, y1 = 12 + 50 * j, 48 + 50 * j
            points = f"4 {y0} 300 {y0} 300 {y1} 4 {y1}"
            strings = "<SP/>".join(f'<String CONTENT="{w}"/>' for w in text.split())
            lines.append(
                f'<TextLine ID="l{j}"><Shape><Polygon POINTS="{points}"/></Shape>{strings}</TextLine>'
            )
        cv2.imwrite(str(root / "images" / f"p{p}.png"), page)
        (root / "alto" / f"p{p}.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?><alto xmlns="{ALTO_NS}"><Description>'
            f"<sourceImageInformation><fileName>p{p}.png</fileName></sourceImageInformation></Description>"
            f'<Layout><Page WIDTH="320" HEIGHT="110"><PrintSpace><TextBlock ID="b">{"".join(lines)}'
            "</TextBlock></PrintSpace></Page></Layout></alto>",
            encoding="utf-8",
        )


def test_alto_pages_train_with_the_line_recipe_and_become_the_default_model(tmp_path, capsys):
    write_pages(tmp_path / "pages")
    models = tmp_path / "Models"
    args = [
        "--recipe", "lines", "--dataset", str(tmp_path / "pages"), "--val-writers", "p4,p5",
        "--epochs", "1", "--pretrain-samples", "0", "--set", "mix_rendered=0", "--set", "max_minutes=null",
        "--set", "base_model=null", "--lr-schedule", "plateau",
        "--set", "model.filters=[8,8,8,8,8,8]", "--set", "model.lstm_units=[16]", "--height", "32",
        "--max-width", "512", "--batch-size", "4", "--accumulate", "2", "--model-dir", str(models / "lines"),
        "--cache-dir", "", "--quiet",
    ]  # fmt: skip
    assert train_main(args) == 0
    out = capsys.readouterr().out
    assert "12 samples (alto)" in out and "8 training, 4 validation samples" in out
    assert "validation writers: p4, p5" in out
    config = json.loads((models / "lines" / "config.json").read_text(encoding="utf-8"))
    assert config["accumulate"] == 2 and config["bucket_width"] == 128 and config["pretrain_kind"] == "lines"
    assert set("lechatdort ") <= set(config["model"]["vocabulary"])
    assert json.loads((models / LAST_TRAINED).read_text())["model"] == "lines/model.onnx"

    line = tmp_path / "line.png"
    cv2.imwrite(str(line), cv2.imread(str(tmp_path / "pages" / "images" / "p0.png"), 0)[12:48, 4:300])
    assert recognize_main(["--image", str(line), "--models-root", str(models), "--no-ink-check"]) == 0
    captured = capsys.readouterr()
    assert f"model: {models / 'lines' / 'model.onnx'} (the model trained last" in captured.err
