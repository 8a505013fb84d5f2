"""Models/rendered_base: the base model that the dhsd recipe starts from."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from configs import dhsd_config, rendered_base_config

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "Models" / "rendered_base"


def test_base_model_matches_the_recipes_network():
    saved = json.loads((BASE / "config.json").read_text(encoding="utf-8"))["model"]
    expected = json.loads(json.dumps(dataclasses.asdict(dhsd_config().model)))
    for name in ("height", "filters", "strides", "lstm_units"):
        assert saved[name] == expected[name], name
    assert rendered_base_config().model == dhsd_config().model
    for char in "äöüßÄÖÜ-":
        assert char in saved["vocabulary"]
    assert (BASE / "best.keras").is_file() and (BASE / "MODEL_CARD.md").is_file()


def test_train_script_finds_the_base_from_any_folder(tmp_path, monkeypatch):
    from mltu_ext.cli.train_start_checks import base_model_dir

    monkeypatch.chdir(tmp_path)
    assert base_model_dir(dhsd_config().base_model) == BASE
    assert base_model_dir(None) is None


def test_base_model_reads_rendered_names():
    import keras

    import mltu_ext.model.augment  # noqa: F401  (registers the layer for loading)
    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.data.images import prepare
    from mltu_ext.evaluation.error_rates import cer
    from mltu_ext.synth.fonts import find_fonts
    from mltu_ext.synth.render import render_text
    from mltu_ext.synth.words import name_like_words

    words = [w for w in name_like_words(40, seed=123) if "-" not in w][:12]
    fonts = find_fonts("".join(sorted(set("".join(words)))))
    if not fonts:
        pytest.skip("no handwriting font installed (scripts/install.sh installs them)")
    vocabulary = json.loads((BASE / "config.json").read_text(encoding="utf-8"))["model"]["vocabulary"]
    rng = np.random.default_rng(5)
    images = [
        prepare(render_text(w, rng, fonts[i % len(fonts)], height=40), 40, 320) for i, w in enumerate(words)
    ]
    model = keras.saving.load_model(BASE / "best.keras", compile=False)
    probs = np.asarray(model(np.stack(images).astype(np.float32)[..., None], training=False))
    predictions = greedy_decode(probs, vocabulary)
    # 0.5 % CER on its own held-out renders; words it never saw, in random fonts
    assert cer(predictions, words) <= 0.15, list(zip(words, predictions, strict=True))
