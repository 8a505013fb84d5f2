"""Bad input to train.py and inferenceModel.py stops with one clear line naming the file and the problem."""

from __future__ import annotations

import subprocess
import sys

import onnx

from mltu_ext.data.samples import Sample


def _sample(tmp_path, name="a.png", text="cat"):
    import cv2

    from tests.conftest import draw_word

    path = tmp_path / name
    cv2.imwrite(str(path), draw_word(text))
    return Sample(text=text, path=str(path), source=f"labels.csv:{name}")


def _run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True)


def test_wrong_model_path_is_one_line(tmp_path):
    out = _run("inferenceModel.py", "--image", str(_sample(tmp_path).path), "--model", str(tmp_path / "nope"))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "nope: model not found" in out.stderr


def test_onnx_without_metadata_is_one_line(tmp_path):
    from onnx import TensorProto, helper

    node = helper.make_node("Identity", ["image"], ["out"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 32, 32, 1])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 32, 32, 1])],
    )
    path = tmp_path / "plain.onnx"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by every onnxruntime in range
    onnx.save(model, str(path))
    out = _run("inferenceModel.py", "--image", str(_sample(tmp_path).path), "--model", str(path))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "plain.onnx: ONNX file has no 'mltu_ext' metadata" in out.stderr


def test_train_script_reports_bad_labels_in_one_line(tmp_path):
    from tests.conftest import write_word_dataset

    labels = write_word_dataset(tmp_path / "data", count=12)
    text = labels.read_text().splitlines()
    name, _, writer = text[3].split(",")
    text[3] = f"{name},,{writer}"  # an empty label on line 4
    labels.write_text("\n".join(text) + "\n")
    out = _run(
        "train.py",
        "--dataset",
        str(labels),
        "--epochs",
        "1",
        "--model-dir",
        str(tmp_path / "m"),
        "--cache-dir",
        "",
    )
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "labels.csv" in errors[0] and "empty" in errors[0]


def test_corrupt_onnx_file_is_one_line(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x00garbage")
    out = _run("inferenceModel.py", "--image", str(_sample(tmp_path).path), "--model", str(path))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "broken.onnx: not a loadable ONNX model" in out.stderr
