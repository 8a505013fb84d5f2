"""inferenceModel.py on a tiny trained model: a folder of images, and decoding with a language model."""

from __future__ import annotations

import subprocess
import sys

import pytest

# every test here uses the trained_model fixture: a tiny model trained and exported
pytestmark = pytest.mark.slow


def test_inference_script_reads_a_folder(trained_model, word_dataset):
    result, _, _ = trained_model
    out = subprocess.run(
        [
            sys.executable,
            "inferenceModel.py",
            "--image",
            str(word_dataset.parent / "img" / "000.png"),
            str(word_dataset.parent / "img" / "001.png"),
            "--model",
            str(result.model_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(str(word_dataset.parent / "img" / "000.png"))


def test_inference_script_decodes_with_a_language_model(trained_model, word_dataset, tmp_path):
    from mltu_ext.cli.recognize import get_args, main, run

    result, _, _ = trained_model
    image = str(word_dataset.parent / "img" / "000.png")
    words = tmp_path / "words.txt"
    words.write_text("\n".join(["cat", "dog", "sun", "tree", "moon"]) + "\n", encoding="utf-8")
    base = ["--image", image, "--model", str(result.model_dir), "--cpu"]
    plain = run(get_args(base))
    with_lm = run(get_args([*base, "--lm-text", str(words), "--beam", "4", "--lm-weight", "0.5"]))
    assert len(plain) == len(with_lm) == 1 and isinstance(with_lm[0], str)
    assert main([*base, "--lm-text", str(tmp_path / "missing.txt")]) == 2
