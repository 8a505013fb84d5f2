"""Shared fixtures: tiny word images drawn with OpenCV and a tiny trained model."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.cli.common import set_tensorflow_environment

set_tensorflow_environment()  # before anything imports TensorFlow (none of the imports above does)

WORDS = ["cat", "dog", "sun", "red", "sky", "tree", "moon", "blue", "apple", "hello", "cab", "bed"]


def draw_word(text: str, height: int = 32, thickness: int = 2) -> np.ndarray:
    """A word in OpenCV's plain font, dark on white (H, W) uint8."""
    width = 16 * len(text) + 12
    image = np.full((height, width), 255, np.uint8)
    cv2.putText(image, text, (4, height - 9), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 0, thickness)
    return image


def with_metadata(proto, path: Path, change) -> Path:
    """A copy of the ONNX ``proto`` at ``path`` whose package metadata ``change(dict)`` edited (or
    replaced, when it returns text)."""
    import json

    import onnx

    from mltu_ext.export.metadata import METADATA_KEY

    copy = onnx.ModelProto()
    copy.CopyFrom(proto)
    entry = next(p for p in copy.metadata_props if p.key == METADATA_KEY)
    value = change(json.loads(entry.value))
    entry.value = value if isinstance(value, str) else json.dumps(value)
    onnx.save(copy, str(path))
    return path


def write_word_dataset(folder: Path, count: int = 96, writers: int = 4) -> Path:
    """Images + labels.csv (file_name,text,writer_id) in ``folder``; returns the CSV."""
    (folder / "img").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(count):
        text = WORDS[i % len(WORDS)]
        cv2.imwrite(str(folder / "img" / f"{i:03d}.png"), draw_word(text, thickness=1 + i % 2))
        rows.append((f"img/{i:03d}.png", text, f"w{i % writers}"))
    labels = folder / "labels.csv"
    with labels.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "text", "writer_id"])
        writer.writerows(rows)
    return labels


def run_jax(args: list[str], devices: int = 1, timeout: int = 900) -> str:
    """Run ``python args...`` from the repository root under JAX on CPU devices; its stdout.

    The test process runs Keras on TensorFlow, so JAX checks run in a
    subprocess; ``devices`` > 1 emulates that many CPU devices.
    """
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(root)}
    if devices > 1:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    out = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=root, timeout=timeout
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def run_two_device_check(script: str, timeout: int = 900) -> dict:
    """Run ``tests/scripts/<script>`` under JAX with two emulated CPU devices; the JSON of its last line."""
    import json

    stdout = run_jax([str(Path(__file__).resolve().parent / "scripts" / script)], devices=2, timeout=timeout)
    return json.loads(stdout.strip().splitlines()[-1])


def tiny_config(epochs: int = 3):
    """A recipe for a model small enough to train in seconds on two cores."""
    from mltu_ext.config import ModelConfig, TrainConfig

    return TrainConfig(
        model=ModelConfig(
            height=32, filters=(8, 16), strides=((2, 2), (2, 1)), lstm_units=(24,), dropout=0.0
        ),
        max_width=128,
        batch_size=16,
        epochs=epochs,
        learning_rate=3e-3,
        seed=1,
    )


def tiny_run(model_dir: Path, **settings):
    """A RunConfig writing to ``model_dir``, quiet, without an image cache."""
    from mltu_ext.config import RunConfig

    return RunConfig(model_dir=str(model_dir), verbose=0, **settings)


@pytest.fixture(scope="session")
def word_dataset(tmp_path_factory) -> Path:
    return write_word_dataset(tmp_path_factory.mktemp("words"))


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, word_dataset):
    """(TrainResult, train samples, val samples) of a tiny model trained a few epochs.

    It takes about 10 s (training and ONNX export), so tests that use it are marked slow.
    """
    from mltu_ext.data import load_dataset, split_samples
    from mltu_ext.training.trainer import train

    samples = load_dataset(str(word_dataset)).samples
    parts = split_samples(samples, val_fraction=0.25, seed=0)
    result = train(tiny_config(), parts.train, parts.val, tiny_run(tmp_path_factory.mktemp("model")))
    return result, parts.train, parts.val
