"""An image reads the same alone and among others (benchmarks/batch_effects)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mltu_ext.errors import ConfigError
from mltu_ext.inference.recognizer import OnnxRecognizer
from tests.benchmarks.scripts import load_script
from tests.conftest import draw_word

WORDS = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words"


def _images() -> tuple[np.ndarray, list[np.ndarray]]:
    """A word, and batch mates: wider and narrower ones, one as wide as it, and a dark one."""
    target = draw_word("Hauptstraße", height=64, thickness=3)
    mates = [draw_word(text, height=64, thickness=3) for text in ("Bahnhofstraße 12", "Weg", "Goethestraßen")]
    mates.append(np.clip(draw_word("Hauptstraßx", height=64).astype(int) - 90, 0, 255).astype(np.uint8))
    return target, mates


def _assert_independent(recognizer: OnnxRecognizer) -> None:
    target, mates = _images()
    alone = recognizer.read([target])[0]
    for batch_size in (2, 32):
        among = recognizer.read([*mates[:2], target, *mates[2:]], batch_size=batch_size)[2]
        assert among.text == alone.text
        assert among.confidence == pytest.approx(alone.confidence, abs=1e-6)
        chars = [c.confidence for c in among.chars]
        assert chars == pytest.approx([c.confidence for c in alone.chars], abs=1e-6)


def test_an_int8_file_reads_an_image_as_it_reads_it_alone():
    # the shipped file quantises its activations with one range per run
    _assert_independent(OnnxRecognizer(WORDS, batching="exact"))


def test_a_float_file_reads_an_image_as_it_reads_it_alone(tmp_path):
    batch_effects = load_script("batch_effects/batch_effects.py")
    float_file = batch_effects.dequantized_copy(WORDS / "model.onnx", tmp_path / "model.onnx")
    _assert_independent(OnnxRecognizer(float_file, batching="exact"))


def test_width_batching_stays_the_default_and_a_wrong_name_is_refused():
    # the documented batches (docs/onnx_model.md) that the Node reader copies
    assert OnnxRecognizer(WORDS).batching == "width"
    with pytest.raises(ConfigError, match="batching='alone'"):
        OnnxRecognizer(WORDS, batching="alone")


def test_the_command_reads_exactly_with_exact(tmp_path, capsys):
    import cv2

    from mltu_ext.cli.recognize import get_args, run

    target, mates = _images()
    paths = []
    for number, image in enumerate([*mates[:2], target, *mates[2:]]):
        paths.append(str(tmp_path / f"{number}.png"))
        assert cv2.imwrite(paths[-1], image)
    base = ["--model", str(WORDS), "--cpu", "--confidence"]
    run(get_args(["--image", paths[2], *base]))
    alone = capsys.readouterr().out.splitlines()  # text <tab> confidence
    run(get_args(["--image", *paths, *base, "--exact"]))
    together = capsys.readouterr().out.splitlines()  # path <tab> text <tab> confidence, sorted by path
    assert together[2] == f"{paths[2]}\t{alone[0]}"  # the same text and confidence to 4 decimals


def test_int8_files_are_told_from_float_ones_without_the_onnx_package(tmp_path):
    from mltu_ext.inference.model_files import quantises_per_run

    batch_effects = load_script("batch_effects/batch_effects.py")
    float_file = batch_effects.dequantized_copy(WORDS / "model.onnx", tmp_path / "model.onnx")
    assert quantises_per_run(WORDS / "model.onnx") and not quantises_per_run(float_file)
