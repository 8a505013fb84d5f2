"""An export that fails its parity check or is interrupted leaves no model.onnx under its name."""

from __future__ import annotations

import keras
import pytest

from mltu_ext.errors import ExportMismatchError
from mltu_ext.export import onnx_export
from mltu_ext.export.metadata import model_metadata

pytestmark = pytest.mark.slow


def _export(result, path, monkeypatch=None):
    model = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    from mltu_ext.config import TrainConfig

    cfg = TrainConfig.load(result.model_dir / "config.json")
    meta = model_metadata(cfg.model.vocabulary, cfg.model.height, 1, cfg.model.time_scale)
    return onnx_export.export_onnx(model, path, meta)


def test_a_failed_parity_check_leaves_the_previous_file_or_none(trained_model, tmp_path, monkeypatch):
    result, _, _ = trained_model

    def mismatch(model, path, images, atol=1e-4, name=None):
        raise ExportMismatchError(
            f"{name}: ONNX output differs from Keras by 1.0e+00 (allowed 1e-04); not written"
        )

    monkeypatch.setattr(onnx_export, "check_export", mismatch)
    fresh = tmp_path / "fresh" / "model.onnx"
    with pytest.raises(ExportMismatchError, match="not written"):
        _export(result, fresh)
    assert not fresh.exists() and list(fresh.parent.iterdir()) == []
    kept = tmp_path / "model.onnx"
    kept.write_bytes(b"the previous export")
    with pytest.raises(ExportMismatchError):
        _export(result, kept)
    assert kept.read_bytes() == b"the previous export"


def test_an_export_killed_while_writing_leaves_no_partial_file(trained_model, tmp_path, monkeypatch):
    result, _, _ = trained_model
    import onnx

    class Killed(BaseException):
        pass

    def half_save(proto, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(proto.SerializeToString()[:100])
        raise Killed

    monkeypatch.setattr(onnx, "save", half_save)
    target = tmp_path / "model.onnx"
    with pytest.raises(Killed):
        _export(result, target)
    assert list(tmp_path.iterdir()) == []


def test_a_mismatch_names_the_onnx_file_not_its_input(tmp_path):
    import keras
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    from mltu_ext.export.onnx_export import check_export

    inputs = keras.Input((4, 4, 1), name="image")
    model = keras.Model(inputs, keras.layers.Rescaling(2.0)(inputs))
    shape = [None, 4, 4, 1]
    graph = helper.make_graph(
        [helper.make_node("Identity", ["image"], ["maps"])],
        "same",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("maps", TensorProto.FLOAT, shape)],
    )
    onnx.save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "tmp.onnx")
    )
    images = np.ones((1, 4, 4, 1), np.float32)
    with pytest.raises(ExportMismatchError, match=r"segmenter\.onnx: ONNX output differs"):
        check_export(model, tmp_path / "tmp.onnx", images, name=tmp_path / "segmenter.onnx")
