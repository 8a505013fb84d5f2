"""A segmenter file whose metadata is damaged or does not fit its network is refused on load, in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from mltu_ext.errors import ModelLoadError
from mltu_ext.segment.segmenter import OnnxSegmenter
from tests.conftest import with_metadata

SHIPPED = Path(__file__).resolve().parents[2] / "Models" / "line_segmenter" / "segmenter.onnx"


@pytest.fixture(scope="module")
def shipped_proto():
    return onnx.load(str(SHIPPED))


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("multiple_zero", lambda m: {**m, "size_multiple": 0}, r"'size_multiple' must be a whole number"),
        ("multiple_text", lambda m: {**m, "size_multiple": "16"}, r"'size_multiple' must be a whole number"),
        ("multiple_negative", lambda m: {**m, "size_multiple": -16}, r"'size_multiple'.*got -16"),
        ("multiple_fraction", lambda m: {**m, "size_multiple": 16.5}, r"'size_multiple'.*got 16.5"),
        ("long_side_zero", lambda m: {**m, "long_side": 0}, r"'long_side' must be a whole number"),
        ("long_side_none", lambda m: {**m, "long_side": None}, r"'long_side'.*got None"),
        ("long_side_bool", lambda m: {**m, "long_side": True}, r"'long_side'.*got True"),
        ("long_side_text", lambda m: {**m, "long_side": "big"}, r"'long_side'.*got 'big'"),
        (
            "long_side_small",
            lambda m: {**m, "long_side": 8},
            r"'long_side'=8 is less than its 'size_multiple'",
        ),
        ("version_text", lambda m: {**m, "format_version": "x"}, r"'format_version' must be a whole number"),
        ("version_zero", lambda m: {**m, "format_version": 0}, r"'format_version' must be a whole number"),
        ("version_newer", lambda m: {**m, "format_version": 2}, r"format 2 is newer"),
        ("maps", lambda m: {**m, "maps": ["core", "region", "baseline"]}, r"'maps' is \['core'"),
        ("multiple_8", lambda m: {**m, "size_multiple": 8}, r"'size_multiple'=8 does not fit its network"),
    ],
)
def test_damaged_metadata_is_refused_naming_the_file_and_field(
    shipped_proto, tmp_path, name, change, message
):
    path = with_metadata(shipped_proto, tmp_path / f"{name}.onnx", change)
    with pytest.raises(ModelLoadError, match=message) as caught:
        OnnxSegmenter(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_larger_multiple_than_the_network_needs_still_segments(shipped_proto, tmp_path):
    path = with_metadata(shipped_proto, tmp_path / "m32.onnx", lambda m: {**m, "size_multiple": 32})
    segmenter = OnnxSegmenter(path)
    maps, _ = segmenter.maps(np.full((1024, 760), 245, np.uint8))  # 760 is no multiple of 32: padded
    assert maps.shape == (1024, 760, 3)


def test_a_segmenter_without_metadata_is_told_how_to_export_one(shipped_proto, tmp_path):
    copy = onnx.ModelProto()
    copy.CopyFrom(shipped_proto)
    del copy.metadata_props[:]
    onnx.save(copy, str(tmp_path / "bare.onnx"))
    with pytest.raises(
        ModelLoadError, match=r"bare\.onnx: .*no 'mltu_ext' metadata.*mltu_ext\.segment export"
    ):
        OnnxSegmenter(tmp_path / "bare.onnx")


def test_a_trained_folder_not_yet_exported_is_told_to_be_exported(tmp_path):
    (tmp_path / "segmenter.keras").write_bytes(b"a trained network")
    with pytest.raises(ModelLoadError, match=r"no segmenter\.onnx.*python -m mltu_ext\.segment export"):
        OnnxSegmenter(tmp_path)
    with pytest.raises(ModelLoadError, match=r"segmenter not found"):
        OnnxSegmenter(tmp_path / "elsewhere")


def test_a_recognisers_network_labelled_a_segmenter_is_refused_by_its_input(tmp_path):
    words = onnx.load(str(SHIPPED.parents[1] / "dhsd_words" / "model.onnx"))
    segmenter_metadata = json.loads((SHIPPED.parent / "segmenter.json").read_text(encoding="utf-8"))
    path = with_metadata(words, tmp_path / "words.onnx", lambda m: segmenter_metadata)
    with pytest.raises(
        ModelLoadError, match=r"words\.onnx: its network takes images of shape .*64.*not a line segmenter"
    ):
        OnnxSegmenter(path)
