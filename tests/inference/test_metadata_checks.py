"""A model whose metadata contradicts its graph is refused on load, naming the file and the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from mltu_ext.errors import ModelLoadError
from mltu_ext.inference import OnnxRecognizer
from tests.conftest import with_metadata

SHIPPED = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words" / "model.onnx"


@pytest.fixture(scope="module")
def shipped_proto():
    return onnx.load(str(SHIPPED))


def _drop_char(m):
    return {**m, "vocabulary": m["vocabulary"][1:]}


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("short_vocabulary", _drop_char, r"'vocabulary' has 68 characters but the graph gives 70"),
        ("long_vocabulary", lambda m: {**m, "vocabulary": m["vocabulary"] + "€"}, "'vocabulary' has 70"),
        ("repeated", lambda m: {**m, "vocabulary": "aa" + m["vocabulary"][2:]}, "repeated characters"),
        ("blank_negative", lambda m: {**m, "blank_index": -1}, "'blank_index'=-1"),
        ("blank_huge", lambda m: {**m, "blank_index": 9999}, "'blank_index'=9999"),
        ("blank_text", lambda m: {**m, "blank_index": "abc"}, "'blank_index' must be a whole number"),
        ("blank_bool", lambda m: {**m, "blank_index": True}, "'blank_index' must be a whole number"),
        ("height", lambda m: {**m, "input_height": 32}, "'input_height'=32 but the graph takes 64"),
        ("channels", lambda m: {**m, "channels": 3}, "'channels'=3 but the graph takes 1"),
        ("time_scale", lambda m: {**m, "time_scale": 0}, "'time_scale'=0"),
        ("padding", lambda m: {**m, "padding_value": 300}, "'padding_value'=300"),
        ("missing", lambda m: {k: v for k, v in m.items() if k != "vocabulary"}, "lacks vocabulary"),
        ("not_json", lambda m: "{not json", "not valid JSON"),
        ("not_object", lambda m: "[1, 2]", "not a JSON object"),
        # the rest of docs/onnx_model.md's list of refusals
        ("channels_2", lambda m: {**m, "channels": 2}, "'channels'=2"),
        ("temperature_0", lambda m: {**m, "confidence_temperature": 0}, "'confidence_temperature' must be"),
        ("temperature_text", lambda m: {**m, "confidence_temperature": "1.7"}, "'confidence_temperature'"),
        ("temperature_null", lambda m: {**m, "confidence_temperature": None}, "'confidence_temperature'"),
        ("temperature_inf", lambda m: {**m, "confidence_temperature": float("inf")}, "positive finite"),
        ("segmenter", lambda m: {**m, "kind": "line_segmenter"}, "line segmenter.*not a recogniser"),
    ],
)
def test_inconsistent_metadata_is_refused(shipped_proto, tmp_path, name, change, message):
    path = with_metadata(shipped_proto, tmp_path / f"{name}.onnx", change)
    with pytest.raises(ModelLoadError, match=message) as caught:
        OnnxRecognizer(path, providers=["CPUExecutionProvider"])
    assert str(path) in str(caught.value)


def test_the_command_says_it_in_one_line(shipped_proto, tmp_path):
    import cv2

    from tests.conftest import draw_word

    path = with_metadata(shipped_proto, tmp_path / "bad.onnx", _drop_char)
    cv2.imwrite(str(tmp_path / "w.png"), draw_word("Köln", height=64))
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "inferenceModel.py", "--image", str(tmp_path / "w.png"), "--model", str(path)],
        capture_output=True, text=True, cwd=root,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "bad.onnx: metadata field 'vocabulary'" in done.stderr


def test_a_graph_that_does_not_read_lines_is_refused(tmp_path):
    """Recogniser metadata on the line segmenter's graph, (1, H, W, 1) -> (1, H, W, 3): refused."""
    segmenter = onnx.load(str(SHIPPED.parents[1] / "line_segmenter" / "segmenter.onnx"))
    recogniser = json.loads((SHIPPED.parent / "model.json").read_text(encoding="utf-8"))
    path = with_metadata(segmenter, tmp_path / "maps.onnx", lambda m: recogniser)
    with pytest.raises(ModelLoadError, match=r"maps.onnx: graph takes .* not a line recogniser"):
        OnnxRecognizer(path, providers=["CPUExecutionProvider"])
