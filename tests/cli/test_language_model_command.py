"""python -m mltu_ext.cli.language_model: a model's own language model, used by inferenceModel.py."""

from __future__ import annotations

import gzip
import json

import pytest

from mltu_ext.ctc.lm_file import LM_FILE, load_language_model
from mltu_ext.errors import ConfigError, ModelLoadError


def test_the_training_split_texts_become_the_models_language_model(model_copy, word_dataset, capsys):
    from mltu_ext.cli import language_model

    args = [str(model_copy), "--dataset", str(word_dataset), "--val-writers", "w0", "--order", "3"]
    args += ["--weight", "0.8", "--bonus", "0.5", "--beam", "4"]
    report = language_model.run(language_model.get_args(args))
    decoder = load_language_model(model_copy / LM_FILE)
    assert (decoder.beam, decoder.alpha, decoder.beta, decoder.lm.order) == (4, 0.8, 0.5, 3)
    # writer w0 holds every fourth word: only the other three writers' texts were counted
    assert report.texts == 72 and f"{report.texts} texts" in capsys.readouterr().out
    words = word_dataset.parent / "words.txt"
    words.write_text("Hauptstraße\n\nBergweg\n", encoding="utf-8")
    both = language_model.run(language_model.get_args([*args, "--text", str(words)]))
    saved = json.loads(gzip.decompress((model_copy / LM_FILE).read_bytes()))
    assert both.texts == 74 and saved["source"].endswith("words.txt (2 lines)")
    assert report.contexts == len(decoder.lm.counts) > 1


def test_inference_reads_with_the_models_language_model_when_asked(model_copy, word_dataset, capsys):
    from mltu_ext.cli import language_model, recognize
    from mltu_ext.ctc.beam_lm import BeamDecoder

    image = sorted((word_dataset.parent / "img").glob("*.png"))[0]
    plain = recognize.get_args(["--image", str(image), "--model", str(model_copy)])
    asked = recognize.get_args(["--image", str(image), "--model", str(model_copy), "--lm"])
    with pytest.raises(ModelLoadError, match="no language model"):
        recognize.choose_decoder(asked, asked.model)
    assert recognize.choose_decoder(plain, plain.model) is None
    assert capsys.readouterr().err == ""  # no language model, nothing to point at
    text = word_dataset.parent / "texts.txt"
    text.write_text("Hauptstraße\nBergweg\n", encoding="utf-8")
    assert language_model.main([str(model_copy), "--text", str(text)]) == 0
    capsys.readouterr()
    # greedy unless asked: the confidences are calibrated for greedy readings
    assert recognize.choose_decoder(plain, plain.model) is None
    assert "--lm reads with it" in capsys.readouterr().err
    decoder = recognize.choose_decoder(asked, asked.model)
    assert isinstance(decoder, BeamDecoder) and decoder.beam == language_model.DEFAULT_BEAM
    assert "the model's language model" in capsys.readouterr().err
    both = recognize.get_args(
        ["--image", str(image), "--model", str(model_copy), "--lm", "--lm-text", str(text)]
    )
    with pytest.raises(ConfigError, match="not both"):
        recognize.choose_decoder(both, both.model)
    # the whole command reads with it too
    assert len(recognize.run(asked)) == 1
    assert "language_model.json.gz" in capsys.readouterr().err


def test_bad_requests_are_refused(model_copy, word_dataset):
    from mltu_ext.cli import language_model

    with pytest.raises(ConfigError, match="give --dataset"):
        language_model.run(language_model.get_args([str(model_copy)]))
    with pytest.raises(ModelLoadError, match="no language model to remove"):
        language_model.run(language_model.get_args([str(model_copy), "--remove"]))
    with pytest.raises(SystemExit):  # a 100-gram's counts would fill the memory
        language_model.get_args([str(model_copy), "--order", "100", "--text", "x.txt"])
    with pytest.raises(ConfigError, match="takes no --dataset or --text"):
        language_model.run(language_model.get_args([str(model_copy), "--remove", "--text", "x.txt"]))
    assert language_model.main([str(model_copy), "--text", str(word_dataset.parent / "missing.txt")]) == 2
    assert not (model_copy / LM_FILE).exists()


def test_a_text_file_that_is_there_but_unusable_says_what_is_wrong(model_copy, tmp_path, capsys):
    from mltu_ext.cli import language_model

    assert language_model.main([str(model_copy), "--text", "/dev/null"]) == 2
    assert (
        capsys.readouterr().err == "error: /dev/null: is a character device, not a language-model text file\n"
    )
    empty = tmp_path / "empty.txt"
    empty.touch()
    assert language_model.main([str(model_copy), "--text", str(empty)]) == 2
    assert capsys.readouterr().err == f"error: {empty}: language-model text file is empty\n"
    assert not (model_copy / LM_FILE).exists()


@pytest.mark.parametrize("bonus", ["nan", "inf"])
def test_a_bonus_that_is_not_a_number_is_refused(model_copy, bonus):
    from mltu_ext.cli import language_model

    # a nan bonus was written, and the beam search then read words as garbage
    with pytest.raises(SystemExit):
        language_model.get_args([str(model_copy), "--text", "x.txt", "--bonus", bonus])


def test_a_beam_too_wide_to_finish_is_refused(model_copy):
    from mltu_ext.cli import language_model, recognize

    # a beam of 100000 was written, and reading one word with it ran for minutes
    with pytest.raises(SystemExit):
        language_model.get_args([str(model_copy), "--text", "x.txt", "--beam", "100000"])
    with pytest.raises(SystemExit):
        recognize.get_args(["--image", "x.png", "--lm-text", "x.txt", "--beam", "100000"])
    assert language_model.get_args([str(model_copy), "--text", "x.txt", "--beam", "1024"]).beam == 1024
