"""A reader written from docs/onnx_model.md alone, step by step, gives the package's pixels.

Each function below follows the page's words, with numpy and OpenCV only, and is compared with
``OnnxRecognizer`` on the shipped word model: where they differ, the page or the code is wrong.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.inference.recognizer import OnnxRecognizer

ROOT = Path(__file__).resolve().parents[2]
WORDS = ROOT / "Models" / "dhsd_words"


def gray_as_documented(decoded: np.ndarray) -> np.ndarray:
    """ "Reading an image file": 16 bits by a shift, alpha on white, (9798 R + 19235 G + 3735 B) >> 15."""
    if decoded.dtype == np.uint16:
        top = int(decoded.max())
        decoded = (
            decoded.astype(np.uint8) if top <= 255 else (decoded >> (top.bit_length() - 8)).astype(np.uint8)
        )
    if decoded.ndim == 2:
        return decoded
    if decoded.shape[2] == 4:
        a = decoded[..., 3:].astype(np.float32) / np.float32(255)
        decoded = np.trunc(decoded[..., :3].astype(np.float32) * a + np.float32(255) * (1 - a)).astype(
            np.uint8
        )
    b, g, r = (decoded[..., i].astype(np.int64) for i in range(3))
    return ((9798 * r + 19235 * g + 3735 * b + 16384) >> 15).astype(np.uint8)


def soften_as_documented(image: np.ndarray) -> np.ndarray:
    """(sum + 8) >> 4 of the 3 x 3 neighbourhood weighted [1 2 1] x [1 2 1], the border repeated."""
    padded = np.pad(image.astype(np.int32), 1, mode="edge")
    h, w = image.shape
    total = sum(
        ky * kx * padded[dy : dy + h, dx : dx + w]
        for dy, ky in enumerate((1, 2, 1))
        for dx, kx in enumerate((1, 2, 1))
    )
    return ((total + 8) >> 4).astype(np.uint8)


def pixels_as_documented(gray: np.ndarray, height: int) -> np.ndarray:
    """ "Height": near two-level images snapped, resized keeping the aspect, two-level ones softened."""
    two_level = len(np.unique(gray)) == 2  # two levels as read keep their own levels
    dark, light = int((gray < 48).sum()), int((gray >= 208).sum())
    between = gray.size - dark - light
    if not two_level and dark > 0 and light > 0 and between <= 0.05 * (between + dark):
        gray = np.where(gray < 128, 0, 255).astype(np.uint8)
        two_level = True
    h, w = gray.shape
    new_width = max(1, round(w * height / h))
    if h > height:
        gray = cv2.resize(gray, (new_width, height), interpolation=cv2.INTER_AREA)
    elif h < height:
        gray = cv2.resize(gray, (new_width, height), interpolation=cv2.INTER_LINEAR)
    return soften_as_documented(gray) if two_level else gray


def batch_as_documented(images: list[np.ndarray], time_scale: int, padding_value: int) -> np.ndarray:
    """ "Width": as wide as the widest, a multiple of time_scale, at least 4 x time_scale, padded right."""
    width = max(im.shape[1] for im in images)
    width = max(4 * time_scale, -(-width // time_scale) * time_scale)
    batch = np.full((len(images), images[0].shape[0], width, 1), padding_value, np.float32)
    for row, image in zip(batch, images, strict=True):
        row[:, : image.shape[1], 0] = image
    return batch


def word(height: int) -> np.ndarray:
    image = np.full((height, 3 * height), 250, np.uint8)
    cv2.putText(image, "Weg", (height // 8, int(height * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, height / 40, 20, 3)
    return image


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


def decoded_images() -> dict[str, np.ndarray]:
    """Images as OpenCV decodes files (IMREAD_UNCHANGED): gray, bitonal, colour, alpha, 16-bit, tiny."""
    gray = word(100)
    bitonal = np.where(gray < 135, 0, 255).astype(np.uint8)
    colour = np.dstack([gray, np.full_like(gray, 200), 255 - gray // 2])
    alpha = np.dstack([np.zeros((*gray.shape, 3), np.uint8), 255 - gray])
    return {
        "gray, shrunk": gray,
        "gray, enlarged": word(40),
        "gray, as it is": word(64),
        "bitonal": bitonal,
        "bitonal, enlarged": np.where(word(30) < 135, 0, 255).astype(np.uint8),
        "two levels, not black and white": np.where(gray < 135, 40, 230).astype(np.uint8),
        "two levels, low contrast": np.where(gray < 135, 100, 140).astype(np.uint8),
        "bitonal JPEG, quality 75": jpeg(bitonal, 75),
        "bitonal JPEG, quality 95": jpeg(bitonal, 95),
        "colour": colour,
        "alpha": alpha,
        "16 bits": gray.astype(np.uint16) * 257,
        "12 bits in 16": gray.astype(np.uint16) << 4,
        "one pixel": np.zeros((1, 1), np.uint8),
        "one column": gray[:, 40:41].copy(),
        "one row": gray[50:51, :200].copy(),  # 12,800 columns at height 64
    }


@pytest.fixture(scope="module")
def words_model() -> OnnxRecognizer:
    return OnnxRecognizer(WORDS, providers=["CPUExecutionProvider"], check_ink=False)


@pytest.mark.parametrize("name", list(decoded_images()))
def test_the_documented_pixels_are_the_packages(words_model, name):
    decoded = decoded_images()[name]
    meta = words_model.metadata
    expected = batch_as_documented(
        [pixels_as_documented(gray_as_documented(decoded), meta["input_height"])],
        meta["time_scale"],
        meta["padding_value"],
    )
    np.testing.assert_array_equal(words_model.prepare_batch([decoded]), expected, err_msg=name)


def greedy_as_documented(probs: np.ndarray, vocabulary: str, blank: int) -> str:
    """ "Greedy decoding": arg-max per step, repeats merged, blanks dropped."""
    best = [int(k) for k in probs.argmax(axis=1)]
    kept = [k for i, k in enumerate(best) if k != blank and (i == 0 or k != best[i - 1])]
    return "".join(vocabulary[k] if k < blank else vocabulary[k - 1] for k in kept)


def confidence_as_documented(probs: np.ndarray, text: str, meta: dict) -> tuple[float, list[float]]:
    """ "Confidence": (the text's, its characters') from the best CTC path that emits the text."""
    probs = probs.astype(np.float64)
    temperature = meta.get("confidence_temperature", 1)
    if temperature != 1:  # log-probabilities divided by T, renormalised, stored as float32
        logits = np.log(probs + 1e-30) / temperature
        tempered = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = (tempered / tempered.sum(axis=1, keepdims=True)).astype(np.float32).astype(np.float64)
    blank, vocabulary = meta["blank_index"], meta["vocabulary"]
    if not text:
        return float(np.exp(np.mean(np.log(probs[:, blank] + 1e-30)))), []
    labels = [blank]
    for char in text:
        k = vocabulary.index(char)
        labels += [k if k < blank else k + 1, blank]
    logp = np.log(probs[:, labels] + 1e-30)  # T, S: the alignment's scores
    steps, states = logp.shape
    score = np.full(states, -np.inf)
    score[:2] = logp[0, :2]
    moves = np.zeros((steps, states), np.int64)
    for t in range(1, steps):
        new = np.empty(states)
        for s in range(states):
            options = [score[s], score[s - 1] if s >= 1 else -np.inf]  # stay, move on one
            skips = s >= 2 and labels[s] != blank and labels[s] != labels[s - 2]
            options.append(score[s - 2] if skips else -np.inf)
            moves[t, s] = int(np.argmax(options))  # ties: the first, staying first
            new[s] = options[moves[t, s]] + logp[t, s]
        score = new
    state = states - 1 if score[-1] >= score[-2] else states - 2  # the blank if both score the same
    chars = [0.0] * len(text)
    for t in range(steps - 1, -1, -1):
        if state % 2:
            chars[state // 2] = max(chars[state // 2], float(probs[t, labels[state]]))
        state -= moves[t, state]
    words, current = [], None
    for char, confidence in zip(text, chars, strict=True):
        if char == " ":
            if current is not None:
                words.append(current)
            current = None
        else:
            current = confidence if current is None else current * confidence
    words += [] if current is None else [current]
    return (min(words) if words else 1.0), chars


def line(text: str) -> np.ndarray:
    image = np.full((60, 14 * len(text) + 20), 250, np.uint8)
    cv2.putText(image, text, (8, 42), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 20, 2)
    return image


@pytest.mark.parametrize("model", ["dhsd_words", "handwritten_lines"])
def test_the_documented_texts_and_confidences_are_the_packages(model):
    """Greedy texts and confidences from the same probabilities, with the lines' temperature (1.7)."""
    recognizer = OnnxRecognizer(ROOT / "Models" / model, providers=["CPUExecutionProvider"], check_ink=False)
    meta = recognizer.metadata
    images = [
        word(64),
        word(30),
        line("le chat dort ici"),
        line("Une ligne, 1914."),
        np.full((64, 90), 250, np.uint8),
    ]
    for image in images:
        probs = recognizer.probabilities([image])[0]
        reading = recognizer.read([image])[0]
        text = greedy_as_documented(probs, meta["vocabulary"], meta["blank_index"])
        confidence, chars = confidence_as_documented(probs, text, meta)
        assert reading.text == text
        assert reading.confidence == pytest.approx(confidence, rel=1e-12, abs=1e-15), text
        assert [c.confidence for c in reading.chars] == pytest.approx(chars, rel=1e-12, abs=1e-15), text


def read_as_documented(path: Path) -> np.ndarray:
    """ "Reading an image file": decoded unchanged, made gray, then turned as its EXIF tag says."""
    decoded = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded.dtype.kind == "f":
        decoded = np.nan_to_num(decoded.astype(np.float64), nan=255.0, posinf=255.0, neginf=0.0)
        decoded = decoded * 255 if decoded.max() <= 1.0 else decoded
        decoded = np.clip(np.rint(decoded), 0, 255).astype(np.uint8)
    gray = gray_as_documented(decoded)
    from PIL import Image

    with Image.open(path) as image:
        asked = image.format in ("JPEG", "TIFF", "WEBP")
        orientation = image.getexif().get(0x0112, 1) if asked else 1
    turned = {2: gray[:, ::-1], 3: gray[::-1, ::-1], 4: gray[::-1], 5: gray.T}
    turned |= {6: np.rot90(gray, -1), 7: gray[::-1, ::-1].T, 8: np.rot90(gray)}
    return turned.get(orientation, gray)


def test_the_documented_file_reading_is_the_packages(tmp_path):
    """Files whose reading the page states: turned by their EXIF orientation, floating-point samples."""
    from PIL import Image

    from mltu_ext.data.images import read_gray

    gray = word(40)
    files = []
    for orientation in range(1, 9):
        stored = Image.fromarray(gray[:, ::-1] if orientation % 2 == 0 else gray)
        exif = stored.getexif()
        exif[0x0112] = orientation
        for suffix in (".jpg", ".webp", ".png"):  # a PNG's EXIF is not asked
            files.append(tmp_path / f"o{orientation}{suffix}")
            stored.save(files[-1], exif=exif.tobytes(), quality=95)
    for name, pixels in (("fraction", gray / 255.0), ("levels", gray.astype(np.float64))):
        files.append(tmp_path / f"{name}.tif")
        Image.fromarray(pixels.astype(np.float32), "F").save(files[-1])
    for path in files:
        np.testing.assert_array_equal(read_gray(str(path)), read_as_documented(path), err_msg=path.name)


def test_the_documented_batches_are_the_packages():
    """Batched as the page says, the texts and confidences are the package's to the last bit.

    The shipped files quantise activations with one range per batch, so a batch of other images
    gives other confidences: the batches must hold the same images, in the same order.
    """
    from mltu_ext.inference.ink import has_writing

    recognizer = OnnxRecognizer(WORDS, providers=["CPUExecutionProvider"])  # the ink check on
    meta = recognizer.metadata
    images = [word(h) for h in (20, 90, 45, 64, 150)] + [line("le chat dort"), line("Köln 1914")]
    images[3:3] = [np.full((64, w), 250, np.uint8) for w in (60, 130, 300)]  # blank paper: read as ""
    order = [i for i, im in enumerate(images) if has_writing(im)]  # the package's own check first
    order.sort(key=lambda i: images[i].shape[1] / images[i].shape[0])  # stable: equal ratios keep order
    expected = {i: ("", 1.0) for i in range(len(images))}
    for start in range(0, len(order), 2):
        chunk = order[start : start + 2]
        prepared = [pixels_as_documented(images[i], meta["input_height"]) for i in chunk]
        batch = batch_as_documented(prepared, meta["time_scale"], meta["padding_value"])
        probs = recognizer.session.run(None, {recognizer.session.get_inputs()[0].name: batch})[0]
        for i, row in zip(chunk, probs, strict=True):
            text = greedy_as_documented(row, meta["vocabulary"], meta["blank_index"])
            expected[i] = (text, confidence_as_documented(row, text, meta)[0])
    readings = recognizer.read(images, batch_size=2)
    assert [(r.text, r.confidence) for r in readings] == [expected[i] for i in range(len(images))]
