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


def test_one_unreadable_image_among_several_loses_no_reading(tmp_path, capsys):
    from mltu_ext.cli import recognize
    from tests.cli.conftest import WORD_MODEL

    good = [_sample(tmp_path, name, text).path for name, text in (("a.png", "Berlin"), ("b.png", "Bonn"))]
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")

    code = recognize.main(["--image", good[0], str(broken), good[1], "--model", str(WORD_MODEL)])

    out, err = capsys.readouterr()
    assert code == 2
    assert [row.split("\t")[0] for row in out.splitlines()] == good  # both good ones printed
    assert f"error: {broken}: cannot decode image" in err
    assert "1 of 3 images could not be read" in err


def test_a_strip_too_wide_for_the_model_is_named_and_the_others_are_read(tmp_path, capsys):
    import cv2
    import numpy as np

    from mltu_ext.cli import recognize
    from tests.cli.conftest import WORD_MODEL

    good = [_sample(tmp_path, name, text).path for name, text in (("a.png", "Berlin"), ("b.png", "Bonn"))]
    strip = tmp_path / "strip.png"
    cv2.imwrite(str(strip), np.full((20, 12000), 255, np.uint8))  # 38,400 columns at the model's height 64

    code = recognize.main(["--image", good[0], str(strip), good[1], "--model", str(WORD_MODEL)])

    out, err = capsys.readouterr()
    assert code == 2
    assert [row.split("\t")[0] for row in out.splitlines()] == good
    assert f"error: {strip}: " in err and "columns wide" in err
    assert "1 of 3 images could not be read" in err

    assert recognize.main(["--image", str(strip), "--model", str(WORD_MODEL)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and f"error: {strip}: " in err


def test_image_and_dataset_together_are_refused(tmp_path, capsys):
    import pytest

    from mltu_ext.cli import recognize

    with pytest.raises(SystemExit) as stop:
        recognize.get_args(["--image", str(_sample(tmp_path).path), "--dataset", str(tmp_path)])
    assert stop.value.code == 2
    assert "not both" in capsys.readouterr().err


def test_training_into_a_folder_with_a_model_is_refused_unless_asked(tmp_path, capsys):
    from mltu_ext.cli import train
    from mltu_ext.cli.train_start_checks import check_model_dir

    folder = tmp_path / "trained"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"a model from an earlier run")

    assert train.main(["--model-dir", str(folder), "--max-minutes", "0.1"]) == 2
    err = capsys.readouterr().err
    assert f"{folder}: holds a trained model (model.onnx)" in err and "--overwrite" in err
    assert (folder / "model.onnx").read_bytes() == b"a model from an earlier run"
    check_model_dir(str(folder), resume=False, overwrite=True)  # asked for: allowed
    check_model_dir(str(folder), resume=True, overwrite=False)


def test_a_model_folder_under_a_file_is_refused(tmp_path, capsys):
    from mltu_ext.cli import train

    (tmp_path / "notes.txt").write_text("a file")
    assert train.main(["--model-dir", str(tmp_path / "notes.txt" / "model"), "--max-minutes", "0.1"]) == 2
    assert "notes.txt is a file, not a folder" in capsys.readouterr().err


def test_quantize_refuses_to_write_over_its_input_and_reads_check_images_first(model_copy, capsys):
    from mltu_ext.cli import quantize

    source = model_copy / "model.onnx"
    before = source.read_bytes()
    assert quantize.main([str(model_copy), "-o", str(source)]) == 2
    assert "is the model being quantized" in capsys.readouterr().err
    assert source.read_bytes() == before

    checks = model_copy.parent / "checks"
    checks.mkdir()
    (checks / "broken.png").write_text("not an image")
    assert quantize.main([str(model_copy), "--check-dir", str(checks)]) == 2
    assert "broken.png: cannot decode" in capsys.readouterr().err
    assert not (model_copy / "model.int8.onnx").exists()  # no unchecked model left behind


def test_a_file_error_on_a_named_path_is_one_line_and_names_the_file_in_the_way(tmp_path, capsys):
    import pytest

    from mltu_ext.cli.common import run_command

    (tmp_path / "notes.txt").write_text("a file")
    target = tmp_path / "notes.txt" / "out" / "result.json"

    assert run_command(lambda: target.parent.mkdir(parents=True)) == 2
    assert capsys.readouterr().err == (
        f"error: {target.parent}: {tmp_path / 'notes.txt'} is a file, not a folder\n"
    )
    with pytest.raises(OSError, match="no file named"):  # not about a path: a bug, traceback kept
        run_command(lambda: (_ for _ in ()).throw(OSError("no file named")))


def test_a_corrupt_segmenter_is_one_line(tmp_path):
    broken = tmp_path / "segmenter.onnx"
    broken.write_bytes(b"\x08\x07 not a protobuf")
    image = _sample(tmp_path).path
    out = _run("inferenceModel.py", "--image", image, "--page", "--segmenter", str(broken))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith(f"error: {broken}: not a loadable ONNX segmenter")


def test_ctrl_c_ends_a_command_with_one_line_and_status_130(capsys):
    from mltu_ext.cli.common import run_command

    def interrupted() -> None:
        raise KeyboardInterrupt

    assert run_command(interrupted) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_min_confidence_prints_unsure_words_as_empty_and_says_how_many(tmp_path, capsys):
    from mltu_ext.cli import recognize
    from tests.cli.conftest import WORD_MODEL

    words = [_sample(tmp_path, name, text).path for name, text in (("a.png", "Berlin"), ("b.png", "Bonn"))]
    assert recognize.main(["--image", *words, "--model", str(WORD_MODEL), "--confidence"]) == 0
    read = [row.split("\t") for row in capsys.readouterr().out.splitlines()]
    assert all(text for _, text, _ in read)
    # a threshold between the two confidences: the less sure word is printed empty, the other not
    low, high = sorted(float(confidence) for _, _, confidence in read)
    assert low < high
    threshold = (low + high) / 2
    args = ["--image", *words, "--model", str(WORD_MODEL), "--min-confidence", str(threshold)]
    assert recognize.main(args) == 0
    out, err = capsys.readouterr()
    assert sorted(bool(row.split("\t")[1]) for row in out.splitlines()) == [False, True]
    assert f"1 text(s) less sure than {threshold} printed as empty" in err


def test_dataset_options_with_image_are_refused_not_ignored(tmp_path, capsys):
    import pytest

    from mltu_ext.cli import recognize

    image = str(_sample(tmp_path).path)
    # --format is the dataset's format: with --image it once wrote JSON when ALTO was asked
    with pytest.raises(SystemExit) as stop:
        recognize.get_args(["--image", image, "--output", str(tmp_path / "out"), "--format", "alto"])
    assert stop.value.code == 2
    assert "--output-format" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        recognize.get_args(["--image", image, "--report", str(tmp_path / "r")])
    assert "--report: only with --dataset" in capsys.readouterr().err
    args = recognize.get_args(["--image", image, "--batch-size", "4", "--output-format", "alto"])
    assert args.output_format == "alto" and args.batch_size == 4


def test_a_page_whose_line_is_too_long_is_named_and_the_other_pages_are_read(tmp_path, capsys):
    import cv2
    import numpy as np

    from mltu_ext.cli import recognize
    from tests.cli.conftest import WORD_MODEL

    strip = tmp_path / "strip.png"
    cv2.imwrite(str(strip), np.zeros((1, 300), np.uint8))  # one black line, 19,200 columns at height 64
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((600, 500), 255, np.uint8))

    code = recognize.main(["--image", str(strip), str(blank), "--page", "--model", str(WORD_MODEL)])

    err = capsys.readouterr().err
    assert code == 2
    assert f"error: {strip}: a line found on it is too long for the model" in err
    # the advice fits a page: not that of a line image (read it as a page), nor a batch's "image 0"
    assert "--page" not in err and "image 0" not in err and "page-shaped parts" in err
    assert f"note: {blank}: read as a page" in err  # read after the failing page
    assert "1 of 2 images could not be read" in err

    assert recognize.main(["--image", str(strip), "--page", "--model", str(WORD_MODEL)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and f"error: {strip}: " in err


def test_a_word_read_with_a_page_says_whose_text_it_is_and_that_output_leaves_it_out(tmp_path, capsys):
    import cv2
    import numpy as np

    from mltu_ext.cli import recognize
    from tests.cli.conftest import WORD_MODEL

    word = _sample(tmp_path, "word.png", "Bonn").path
    page = tmp_path / "page.png"
    cv2.imwrite(str(page), np.full((600, 500), 255, np.uint8))  # a page without lines
    out_dir = tmp_path / "out"

    args = ["--image", str(page), word, "--model", str(WORD_MODEL), "--output", str(out_dir)]
    assert recognize.main(args) == 0

    out, err = capsys.readouterr()
    assert [row.split("\t")[0] for row in out.splitlines()] == [word]  # not a bare text
    assert f"note: {word}: not shaped like a page" in err and "not written to --output" in err
    assert [p.name for p in out_dir.iterdir()] == ["page.json"]


def test_a_newline_in_a_file_name_keeps_each_text_on_its_own_row(tmp_path, capsys):
    from mltu_ext.cli import recognize
    from tests.cli.conftest import WORD_MODEL

    odd = _sample(tmp_path, "two\nlines.png", "Bonn").path
    plain = _sample(tmp_path, "plain.png", "Berlin").path

    assert recognize.main(["--image", odd, plain, "--model", str(WORD_MODEL)]) == 0

    rows = capsys.readouterr().out.splitlines()
    assert [row.split("\t")[0] for row in rows] == [odd.replace("\n", "\\n"), plain]


def test_start_options_that_would_be_ignored_are_refused_before_the_data_is_read(tmp_path, capsys):
    from mltu_ext.cli import train

    source = tmp_path / "source"
    source.mkdir()
    (source / "config.json").write_text("{}")
    missing = ["--dataset", str(tmp_path / "no_such_labels.csv"), "--model-dir", str(tmp_path / "new")]
    cases = [
        (["--resume", "--init-from", str(source)], "--resume continues the run in --model-dir"),
        (["--freeze-cnn"], "--freeze-cnn keeps the convolutions of the model given with --init-from"),
        (["--freeze-cnn", "--resume"], "--freeze-cnn: --resume continues the run"),
        (["--init-from", str(source)], f"{source}: no best.keras or weights.npz to start from"),
        (
            [
                "--init-from",
                str(source),
                "--freeze-cnn",
                "--pretrain-samples",
                "10",
                "--pretrain-minutes",
                "1",
            ],
            "--freeze-cnn with a rendered warm-up",
        ),
    ]
    for options, message in cases:
        assert train.main([*missing, *options]) == 2, options
        err = capsys.readouterr().err
        assert message in err and "no_such_labels" not in err, (options, err)
    assert not (tmp_path / "new").exists()


def _into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """Run ``python args...`` with a standard output that nothing reads (``| head`` gone)."""
    import os

    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, *args], stdout=write, stderr=subprocess.PIPE, text=True, timeout=300
        )
    finally:
        os.close(write)


def test_a_closed_output_ends_each_listing_command_quietly(tmp_path):
    from tests.cli.conftest import WORD_MODEL
    from tests.conftest import write_word_dataset

    labels = write_word_dataset(tmp_path / "words", count=8)
    images = str(labels.parent / "img")
    for args in (
        ["-m", "mltu_ext.synth", "--list-fonts"],
        ["-m", "mltu_ext.data", "check", str(labels)],
        ["inferenceModel.py", "--model", str(WORD_MODEL), "--image", images],
    ):
        out = _into_closed_pipe(*args)
        assert (out.returncode, out.stderr) == (141, ""), args


def test_a_broken_pipe_that_is_not_the_output_keeps_its_traceback(capsys):
    import pytest

    from mltu_ext.cli.common import run_command

    with pytest.raises(BrokenPipeError):
        run_command(lambda: (_ for _ in ()).throw(BrokenPipeError(32, "Broken pipe")))
