"""Seeded fuzzing: mutated image bytes, ONNX metadata and CSV files give the package's own errors only.

Whatever the mutation, the result is either a normal answer or an
``MltuExtError`` (which the commands print as one line); any other exception
is a bug that a user would see as a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from mltu_ext.data import load_dataset
from mltu_ext.data.images import decode_gray
from mltu_ext.errors import MltuExtError
from mltu_ext.export.metadata import METADATA_KEY
from mltu_ext.inference import OnnxRecognizer
from tests.conftest import draw_word

SHIPPED = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words" / "model.onnx"


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One to four random byte flips, insertions, deletions or a truncation."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        kind = int(rng.integers(4))
        at = int(rng.integers(max(len(out), 1)))
        if kind == 0 and out:
            out[at] = int(rng.integers(256))
        elif kind == 1:
            out[at:at] = bytes(rng.integers(0, 256, int(rng.integers(1, 9))).tolist())
        elif kind == 2 and out:
            del out[at : at + int(rng.integers(1, 9))]
        else:
            del out[at:]
    return bytes(out)


def test_mutated_image_bytes():
    rng = np.random.default_rng(11)
    seeds = [cv2.imencode(ext, draw_word("fuzz"))[1].tobytes() for ext in (".png", ".jpg", ".bmp", ".tiff")]
    decoded = 0
    for i in range(300):
        data = mutate(seeds[i % len(seeds)], rng)
        try:
            image = decode_gray(data, f"fuzz{i}")
        except MltuExtError:
            continue
        decoded += 1
        assert image.dtype == np.uint8 and image.ndim == 2
    assert 0 < decoded < 300  # both outcomes happened


def _text_mutations(rng: np.random.Generator, text: str) -> str:
    """Metadata JSON with a value replaced by a random other type or value, or the text mutated."""
    metadata = json.loads(text)
    if rng.random() < 0.3:
        return mutate(text.encode(), rng).decode("utf-8", errors="ignore")
    key = list(metadata)[int(rng.integers(len(metadata)))]
    choices = [None, -1, 0, 1, 9999, 2.5, "abc", "", [], {}, True, metadata.get("vocabulary", "")[:5]]
    metadata[key] = choices[int(rng.integers(len(choices)))]
    return json.dumps(metadata)


@pytest.fixture(scope="module")
def shipped_proto():
    return onnx.load(str(SHIPPED))


def test_mutated_onnx_metadata(shipped_proto, tmp_path):
    rng = np.random.default_rng(5)
    entry = next(p for p in shipped_proto.metadata_props if p.key == METADATA_KEY)
    original = entry.value
    image = draw_word("Köln", height=64)
    outcomes = {"refused": 0, "read": 0}
    try:
        for i in range(40):
            entry.value = _text_mutations(rng, original)
            path = tmp_path / f"m{i}.onnx"
            onnx.save(shipped_proto, str(path))
            try:
                texts = OnnxRecognizer(path, providers=["CPUExecutionProvider"]).predict([image])
            except MltuExtError:
                outcomes["refused"] += 1
                continue
            outcomes["read"] += 1
            assert isinstance(texts[0], str)
            path.unlink()
    finally:
        entry.value = original
    assert outcomes["refused"] > 0


def test_mutated_onnx_files(tmp_path):
    rng = np.random.default_rng(8)
    data = SHIPPED.read_bytes()
    for i in range(6):
        path = tmp_path / f"f{i}.onnx"
        # truncate or damage the file where the weights or the metadata lie
        path.write_bytes(mutate(data, rng) if i % 2 else data[: int(rng.integers(10, len(data)))])
        try:
            OnnxRecognizer(path, providers=["CPUExecutionProvider"])
        except MltuExtError:
            continue


def test_mutated_csv_datasets(tmp_path):
    rng = np.random.default_rng(2)
    for name in ("a", "b", "c"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), draw_word(name))
    table = 'file_name,text,writer_id\na.png,München,1\nb.png,"b, quoted",2\nc.png,cé,3\n'.encode()
    outcomes = {"read": 0, "refused": 0}
    for i in range(200):
        folder = tmp_path / f"d{i}"
        folder.mkdir()
        for name in ("a", "b", "c"):
            (folder / f"{name}.png").write_bytes((tmp_path / f"{name}.png").read_bytes())
        (folder / "labels.csv").write_bytes(mutate(table, rng))
        try:
            samples = load_dataset(str(folder)).samples
        except MltuExtError:
            outcomes["refused"] += 1
            continue
        outcomes["read"] += 1
        assert all("\ufffd" not in s.text for s in samples)  # no silent replacement characters
    assert outcomes["read"] and outcomes["refused"]
