"""Warm-up on rendered words before a real dataset (mltu_ext.training.pretraining)."""

from __future__ import annotations

import json

import pytest

from mltu_ext.errors import ConfigError, TrainingError
from mltu_ext.synth.words import name_like_words
from mltu_ext.training.pretraining import PRETRAIN_DIR, pretrain_then_train, rendered_texts
from tests.conftest import tiny_config, tiny_run, write_word_dataset


def test_name_like_words_are_seeded_and_look_like_german_names():
    words = name_like_words(400, seed=2)
    assert words == name_like_words(400, seed=2)
    assert words != name_like_words(400, seed=3)
    assert len(words) == len(set(words)) == 400
    text = "".join(words)
    assert any(c in text for c in "äöü")
    assert sum(w[0].isupper() for w in words) > 200
    assert any("-" in w for w in words)


def test_rendered_texts_keep_every_label():
    labels = ["Mühlbach", "Große Straße", "Weßnig"]
    texts = rendered_texts(labels, extra=50, seed=0)
    assert set(labels) <= set(texts)
    assert len(texts) >= 50
    assert texts == sorted(texts)


def test_config_checks_the_warm_up_fields(tmp_path):
    cfg = tiny_config()
    cfg.dataset = "words.csv"  # a warm-up needs a real dataset after it
    cfg.pretrain_samples, cfg.mix_rendered = 10, 20
    with pytest.raises(ConfigError, match="mix_rendered=20"):
        cfg.validate()
    cfg.mix_rendered, cfg.pretrain_minutes = 0, -1.0
    with pytest.raises(ConfigError, match="must not be negative"):
        cfg.validate()


def test_warm_up_longer_than_the_budget_is_refused_before_any_work(tmp_path):
    cfg = tiny_config()
    cfg.pretrain_samples, cfg.pretrain_minutes, cfg.max_minutes = 10, 2.0, 1.0
    with pytest.raises(TrainingError, match="leaves nothing"):
        pretrain_then_train(
            cfg, [object()], [object()], tiny_run(tmp_path / "model"), render_dir=tmp_path / "render"
        )
    assert not (tmp_path / "render").exists()


@pytest.mark.slow
def test_pretrain_then_train_runs_both_phases(tmp_path):
    from mltu_ext.data import load_dataset, split_by_writer_ids

    samples = load_dataset(str(write_word_dataset(tmp_path / "data", count=48))).samples
    parts = split_by_writer_ids(samples, ["w3"])
    cfg = tiny_config(epochs=2)
    cfg.pretrain_samples, cfg.pretrain_minutes, cfg.mix_rendered = 64, 0.05, 16
    cfg.max_minutes, cfg.lr_schedule = 1.0, "time_cosine"
    run = tiny_run(tmp_path / "model", export=False)
    result = pretrain_then_train(cfg, parts.train, parts.val, run, render_dir=tmp_path / "render")
    warm = tmp_path / "model" / PRETRAIN_DIR
    assert (warm / "best.keras").is_file() and (warm / "log.csv").is_file()
    summary = json.loads((tmp_path / "model" / "summary.json").read_text())
    # the real phase trained on the real words plus the kept rendered ones
    assert summary["train_samples"] == len(parts.train) + 16
    assert result.best_val_cer is not None
    saved = json.loads((tmp_path / "model" / "config.json").read_text())
    rendered = load_dataset(str(tmp_path / "render" / "labels.csv")).samples
    assert set("".join(s.text for s in samples + rendered)) <= set(saved["model"]["vocabulary"])


@pytest.mark.slow
def test_line_warm_up_renders_lines_and_starts_from_a_base_model(tmp_path, trained_model, monkeypatch):
    """pretrain_kind='lines' renders whole lines; init_from gives the warm-up the base model's network."""
    import keras

    from mltu_ext.data import load_dataset, split_by_writer_ids
    from mltu_ext.training import trainer

    samples = load_dataset(str(write_word_dataset(tmp_path / "data", count=32))).samples
    parts = split_by_writer_ids(samples, ["w3"])
    cfg = tiny_config(epochs=1)
    cfg.model.filters = (4, 4)  # not the base's: the warm-up must take the base's sizes
    cfg.max_width = 512  # room for the CTC steps of a whole line
    cfg.pretrain_kind, cfg.pretrain_samples, cfg.pretrain_minutes = "lines", 24, 0.05
    cfg.max_minutes, cfg.lr_schedule = 1.0, "time_cosine"
    started_from = []
    real_train = trainer.train

    def spy(*args, **kwargs):
        started_from.append(kwargs.get("init_from"))
        return real_train(*args, **kwargs)

    monkeypatch.setattr("mltu_ext.training.pretraining.train", spy)
    base_dir = trained_model[0].model_dir
    run = tiny_run(tmp_path / "model", export=False)
    pretrain_then_train(cfg, parts.train, parts.val, run, render_dir=tmp_path / "render", init_from=base_dir)
    rendered = load_dataset(str(tmp_path / "render" / "labels.csv")).samples
    assert len(rendered) == 24 and all(" " in s.text for s in rendered)
    assert started_from[0] == base_dir
    warm = keras.saving.load_model(tmp_path / "model" / PRETRAIN_DIR / "best.keras")
    base = keras.saving.load_model(base_dir / "best.keras")
    assert warm.get_layer("res0_conv1").kernel.shape == base.get_layer("res0_conv1").kernel.shape
    assert warm.get_layer("res0_conv1").kernel.shape[-1] != 4  # the base's filters, not cfg's
