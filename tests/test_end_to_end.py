"""Train a tiny model, export it, and read images back through ONNX Runtime."""

from __future__ import annotations

import json
import subprocess
import sys

import keras
import numpy as np
import onnxruntime as ort

from mltu_ext.config import TrainConfig
from mltu_ext.data.image_cache import build_cache
from mltu_ext.data.images import read_gray
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.evaluation.error_rates import cer
from mltu_ext.inference.recognizer import OnnxRecognizer


def test_training_writes_the_model_folder(trained_model):
    result, train_samples, val_samples = trained_model
    folder = result.model_dir
    for name in ("config.json", "best.keras", "last.keras", "log.csv", "model.onnx", "state.json"):
        assert (folder / name).is_file(), name
    cfg = TrainConfig.load(folder / "config.json")
    assert cfg.model.vocabulary == Vocabulary.from_texts(s.text for s in train_samples + val_samples).chars
    log = (folder / "log.csv").read_text().splitlines()
    assert len(log) == 1 + result.epochs
    assert "val_CER" in log[0] and "learning_rate" in log[0]


def test_training_learns(trained_model):
    result, _, _ = trained_model
    losses = result.history["loss"]
    assert losses[-1] < losses[0]


def test_onnx_matches_keras_on_real_images(trained_model):
    result, _, val = trained_model
    cfg = TrainConfig.load(result.model_dir / "config.json")
    vocab = Vocabulary(cfg.model.vocabulary)
    cache = build_cache(val[:6], vocab, cfg.model.height, cfg.max_width, cfg.time_steps)
    images = cache.images.astype(np.float32)[..., None]
    model = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    session = ort.InferenceSession(str(result.onnx_path), providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {session.get_inputs()[0].name: images})[0]
    keras_out = np.asarray(model(images, training=False))
    np.testing.assert_allclose(onnx_out, keras_out, atol=1e-4)
    # dynamic width: a narrower batch runs too, with fewer time steps
    narrow = session.run(None, {session.get_inputs()[0].name: images[:, :, :64]})[0]
    assert narrow.shape[1] == keras_out.shape[1] // 2


def test_onnx_metadata_is_json(trained_model):
    result, _, _ = trained_model
    session = ort.InferenceSession(str(result.onnx_path), providers=["CPUExecutionProvider"])
    meta = json.loads(session.get_modelmeta().custom_metadata_map["mltu_ext"])
    cfg = TrainConfig.load(result.model_dir / "config.json")
    assert meta["vocabulary"] == cfg.model.vocabulary
    assert meta["blank_index"] == len(cfg.model.vocabulary)
    assert meta["input_height"] == cfg.model.height
    assert meta["padding_value"] == 255


def test_inference_class_matches_keras_decoding(trained_model):
    """The ONNX recogniser and the Keras model give the same texts for the same files."""
    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.data.images import prepare

    result, _, val = trained_model
    cfg = TrainConfig.load(result.model_dir / "config.json")
    paths = [s.path for s in val[:8]]
    recognizer = OnnxRecognizer(result.model_dir)
    texts = recognizer.predict_files(paths, batch_size=3)
    model = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    # same preparation as inference: height 32, padded to the widest image
    widest = max(read_gray(p).shape[1] * 32 // read_gray(p).shape[0] for p in paths)
    width = -(-max(widest, 4 * cfg.model.time_scale) // cfg.model.time_scale) * cfg.model.time_scale
    batch = np.stack([prepare(read_gray(p), 32, width) for p in paths]).astype(np.float32)[..., None]
    expected = greedy_decode(np.asarray(model(batch, training=False)), cfg.model.vocabulary)
    assert len(texts) == len(paths)
    assert cer(texts, expected) <= 0.05


def test_keras_round_trip(trained_model, tmp_path):
    result, _, _ = trained_model
    model = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    path = tmp_path / "copy.keras"
    model.save(path)
    again = keras.saving.load_model(path, compile=False)
    batch = np.random.default_rng(0).uniform(0, 255, (2, 32, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(again(batch)), np.asarray(model(batch)), atol=1e-6)
    # the config alone rebuilds the same architecture
    from mltu_ext.model.recognizer import build_recognizer

    cfg = TrainConfig.load(result.model_dir / "config.json")
    rebuilt = build_recognizer(cfg.model)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(rebuilt(batch)), np.asarray(model(batch)), atol=1e-6)


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
    from inferenceModel import get_args, main, run

    result, _, _ = trained_model
    image = str(word_dataset.parent / "img" / "000.png")
    words = tmp_path / "words.txt"
    words.write_text("\n".join(["cat", "dog", "sun", "tree", "moon"]) + "\n", encoding="utf-8")
    base = ["--image", image, "--model", str(result.model_dir), "--cpu"]
    plain = run(get_args(base))
    with_lm = run(get_args([*base, "--lm-text", str(words), "--beam", "4", "--lm-weight", "0.5"]))
    assert len(plain) == len(with_lm) == 1 and isinstance(with_lm[0], str)
    assert main([*base, "--lm-text", str(tmp_path / "missing.txt")]) == 2


def test_inference_module_does_not_import_tensorflow(trained_model, word_dataset):
    result, _, _ = trained_model
    code = (
        "import sys; from mltu_ext.inference.recognizer import OnnxRecognizer; "
        f"r = OnnxRecognizer({str(result.model_dir)!r}); "
        f"r.predict_files([{str(word_dataset.parent / 'img' / '000.png')!r}]); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_resume_continues_epoch_count(trained_model, tmp_path):
    import shutil

    from mltu_ext.training.trainer import train

    result, train_samples, val = trained_model
    folder = tmp_path / "resumed"
    shutil.copytree(result.model_dir, folder)
    cfg = TrainConfig.load(folder / "config.json")
    cfg.model_dir = str(folder)
    cfg.epochs = result.epochs + 1
    again = train(cfg, train_samples, val, resume=True, verbose=0, export=False)
    assert again.epochs == result.epochs + 1
    rows = (folder / "log.csv").read_text().splitlines()
    assert len(rows) == 1 + result.epochs + 1  # appended, header once


def test_init_from_grows_vocabulary_and_keeps_old_weights(trained_model, tmp_path):
    """Fine-tuning: old characters keep their output weights, new ones get fresh ones."""
    import cv2

    from mltu_ext.data.samples import Sample
    from mltu_ext.training.trainer import train
    from tests.conftest import draw_word, tiny_config

    result, train_samples, val_samples = trained_model
    old_cfg = TrainConfig.load(result.model_dir / "config.json")
    new_word = tmp_path / "zebra.png"
    cv2.imwrite(str(new_word), draw_word("zebra"))
    extra = [Sample(text="zebra", path=str(new_word))]
    cfg = tiny_config(tmp_path / "tuned", epochs=1)
    cfg.learning_rate = 1e-9  # barely move, so the copied weights stay recognisable
    tuned = train(
        cfg,
        train_samples[:16] + extra,
        val_samples[:8],
        init_from=result.model_dir,
        freeze_cnn=True,
        verbose=0,
        export=False,
    )
    new_cfg = TrainConfig.load(tuned.model_dir / "config.json")
    assert new_cfg.model.vocabulary.startswith(old_cfg.model.vocabulary)
    assert "z" in new_cfg.model.vocabulary and "z" not in old_cfg.model.vocabulary
    old = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    new = keras.saving.load_model(tuned.model_dir / "last.keras", compile=False)
    old_k = old.get_layer("output").get_weights()[0]
    new_k = new.get_layer("output").get_weights()[0]
    n_old = len(old_cfg.model.vocabulary)
    np.testing.assert_allclose(new_k[:, :n_old], old_k[:, :n_old], atol=1e-5)
    np.testing.assert_allclose(new_k[:, -1], old_k[:, -1], atol=1e-5)  # blank
    # frozen CNN: convolution weights are exactly the old ones
    np.testing.assert_array_equal(
        new.get_layer("res0_conv1").get_weights()[0], old.get_layer("res0_conv1").get_weights()[0]
    )
