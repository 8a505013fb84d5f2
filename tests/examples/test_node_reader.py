"""The Node.js reader (examples/node) reads the same texts as the package, from the contract alone.

It runs ``node recognize.js Models/dhsd_words IMAGE...`` on DHSD words (when
../shared/data/dhsd is there), on DHSD words scaled up and down, and on words
drawn here, as PNG (gray, colour, transparent) and JPEG (gray, colour), and
compares what it prints with ``inferenceModel.py --no-ink-check``.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from mltu_ext.data.images import is_near_two_level, is_two_level, read_gray, resize_to_height

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "examples" / "node"
MODEL = ROOT / "Models" / "dhsd_words"
DHSD = ROOT.parent / "shared" / "data" / "dhsd"
HEIGHT = 64  # the model's input_height

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH"),
    pytest.mark.skipif(
        not (NODE_DIR / "node_modules" / "onnxruntime-node").is_dir(),
        reason="examples/node/node_modules missing: run scripts/install.sh (npm install in examples/node)",
    ),
]


def node(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["node", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def draw(text: str, height: int, colour: bool = False, alpha: bool = False) -> np.ndarray:
    """A word drawn dark on light paper, ``height`` rows high (BGR, BGRA or gray)."""
    scale, thickness, font = height / 45, max(1, height // 18), cv2.FONT_HERSHEY_SIMPLEX
    (w, _), _ = cv2.getTextSize(text, font, scale, thickness)
    image = np.full((height, w + height // 3), 250, np.uint8)
    cv2.putText(image, text, (height // 6, int(height * 0.72)), font, scale, 20, thickness)
    if alpha:  # ink opaque, paper transparent, with soft edges
        return np.dstack([np.zeros((*image.shape, 3), np.uint8), 255 - image])
    if colour:  # blue ink on cream paper
        return np.dstack([image, image * 0.9 + 10, image * 0.8 + 30]).astype(np.uint8)
    return image


def scaled(image: np.ndarray, height: int, colour: bool) -> np.ndarray:
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    out = cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR) if colour else out


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[Path]:
    """Image files: real words at their size and rescaled, and drawn ones, PNG and JPEG."""
    folder = tmp_path_factory.mktemp("node_images")
    files: list[Path] = []

    def save(name: str, image: np.ndarray) -> None:
        path = folder / name
        assert cv2.imwrite(str(path), image)
        files.append(path)

    if (DHSD / "images").is_dir():
        real = sorted((DHSD / "images").rglob("*.png"))
        for path in real[:: max(1, len(real) // 24)][:24]:
            files.append(path)
        for k, path in enumerate(real[7 :: max(1, len(real) // 8)][:8]):
            gray = read_gray(str(path))
            for height in (40, 100, 128):  # upscaled, shrunk, shrunk by exactly 2
                colour = (k + height) % 2 == 1
                save(f"dhsd{k}_{height}.png", scaled(gray, height, colour))
                save(f"dhsd{k}_{height}.jpg", scaled(gray, height, not colour))
    words = ("Hamburg", "Bahnhof", "Lindenau", "Neustadt", "Berlin-Mitte", "Oberhof")
    for k, word in enumerate(words):
        for height in (30, 48, 64, 96, 150):
            save(f"draw{k}_{height}.png", draw(word, height, colour=k % 2 == 0))
            save(f"draw{k}_{height}.jpg", draw(word, height, colour=k % 2 == 1))
        save(f"draw{k}_alpha.png", draw(word, 80, alpha=True))
    return files


@pytest.fixture(scope="module")
def bitonal(tmp_path_factory) -> list[Path]:
    """Two-level PNGs, which both readers soften after resizing: 30 to 180 rows, 1-bit, and one
    that a JPEG made near two-level."""
    folder = tmp_path_factory.mktemp("node_bitonal")
    files = []
    for k, word in enumerate(("Hamburg", "Bahnhof", "Lindenau", "Neustadt", "Oberhof", "Weimar")):
        files.append(folder / f"{word}.png")
        assert cv2.imwrite(str(files[-1]), np.where(draw(word, 30 + 30 * k) < 135, 0, 255).astype(np.uint8))
    files.append(folder / "one_bit_dithered.png")  # a 1-bit file, dithered by Pillow
    Image.fromarray(draw("Hamburg", 90)).convert("1").save(files[-1])
    # a bitonal word saved as JPEG, kept losslessly: near two-level, made two-level again
    ok, data = cv2.imencode(".jpg", np.where(draw("Lindenau", 120) < 135, 0, 255).astype(np.uint8))
    assert ok
    files.append(folder / "bitonal_saved_as_jpeg.png")
    assert cv2.imwrite(str(files[-1]), cv2.imdecode(data, cv2.IMREAD_GRAYSCALE))
    return files


def python_lines(paths: list[Path], *options: str, model: Path = MODEL) -> list[str]:
    """What ``python inferenceModel.py --image PATHS --model Models/dhsd_words --no-ink-check`` prints."""
    import contextlib
    import io

    from mltu_ext.cli.recognize import main

    out = io.StringIO()
    args = ["--image", *map(str, paths), "--model", str(model), "--no-ink-check", "--cpu", *options]
    with contextlib.redirect_stdout(out):
        assert main(args) == 0
    return out.getvalue().splitlines()


def node_lines(paths: list[Path], *options: str, model: Path = MODEL) -> list[str]:
    done = node("examples/node/recognize.js", *options, str(model), *map(str, paths))
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_node_reads_the_same_texts(images):
    expected, got = python_lines(images), node_lines(images)
    assert len(got) == len(expected) == len(images)
    differ = [f"{e!r} (Python) != {g!r} (Node)" for e, g in zip(expected, got, strict=True) if e != g]
    assert not differ, f"{len(differ)} of {len(images)} images read differently:\n" + "\n".join(differ)


def test_one_image_prints_its_text_alone(images):
    assert node_lines(images[:1]) == python_lines(images[:1])
    assert "\t" not in node_lines(images[:1])[0]


def _confidences(lines: list[str]) -> tuple[list[str], list[float]]:
    pairs = [line.rsplit("\t", 1) for line in lines]
    return [text for text, _ in pairs], [float(conf) for _, conf in pairs]


def test_confidences_agree(images):
    # PNG images reach the model with the same pixels, so the same probabilities come back;
    # JPEG decoders round slightly differently, and in a file with int8 weights one image's
    # pixels change the others' outputs a little (activations are quantised per batch)
    for chosen, tolerance in (([p for p in images if p.suffix == ".png"], 1.01e-4), (images, 0.1)):
        e_texts, expected = _confidences(python_lines(chosen, "--confidence"))
        g_texts, got = _confidences(node_lines(chosen, "--confidence"))
        assert g_texts == e_texts
        worst = max(abs(g - e) for g, e in zip(got, expected, strict=True))
        assert worst <= tolerance, f"confidences differ by up to {worst:.4f} on {len(chosen)} images"


def test_a_calibrated_model_tempers_its_confidences_alike(tmp_path, images):
    from mltu_ext.export.metadata import update_metadata

    for name in ("model.onnx", "model.json"):
        shutil.copy(MODEL / name, tmp_path / name)
    update_metadata(tmp_path / "model.onnx", confidence_temperature=2.0)  # the file and its sidecar
    pngs = [p for p in images if p.suffix == ".png"]
    e_texts, expected = _confidences(python_lines(pngs, "--confidence", model=tmp_path))
    g_texts, got = _confidences(node_lines(pngs, "--confidence", model=tmp_path))
    assert g_texts == e_texts
    assert max(abs(g - e) for g, e in zip(got, expected, strict=True)) <= 1.01e-4
    _, plain = _confidences(python_lines(pngs, "--confidence"))
    assert all(t < p for t, p, text in zip(expected, plain, e_texts, strict=True) if text)


def node_prepared(paths: list[Path], height: int = HEIGHT) -> list[np.ndarray]:
    """The gray pixels the Node reader hands its model for each of ``paths`` (prepared.js)."""
    done = node("examples/node/prepared.js", str(height), *map(str, paths))
    assert done.returncode == 0, done.stderr
    prepared = []
    for line in done.stdout.splitlines():
        got = json.loads(line)
        pixels = np.frombuffer(base64.b64decode(got["pixels"]), np.uint8)
        prepared.append(pixels.reshape(got["height"], got["width"]))
    assert len(prepared) == len(paths)
    return prepared


def test_prepared_pixels(images):
    """PNG images reach the model with exactly the package's pixels; JPEG within a level or two."""
    worst_jpeg = 0
    for pixels, path in zip(node_prepared(images), images, strict=True):
        expected = resize_to_height(read_gray(str(path)), HEIGHT)
        assert pixels.shape == expected.shape, path
        diff = int(np.abs(pixels.astype(int) - expected).max())
        if path.suffix == ".png":
            assert diff == 0, f"{path}: pixels differ by up to {diff}"
        else:
            worst_jpeg = max(worst_jpeg, diff)
    assert worst_jpeg <= 3


def test_bitonal_images_are_softened_alike(bitonal):
    """Both readers soften two-level images after resizing: the same pixels, the same texts."""
    for pixels, path in zip(node_prepared(bitonal), bitonal, strict=True):
        gray = read_gray(str(path))
        assert is_two_level(gray) or is_near_two_level(gray), path
        assert not np.array_equal(pixels, resize_to_height(gray, HEIGHT, soften=False)), path
        np.testing.assert_array_equal(pixels, resize_to_height(gray, HEIGHT), err_msg=str(path))
    assert node_lines(bitonal) == python_lines(bitonal)


def test_sixteen_bit_pngs_reach_the_model_with_the_package_pixels(tmp_path):
    """16-bit samples are scaled by the bit length of their largest value, not cut to the high byte."""
    word = draw("Hamburg", 48).astype(np.uint16)  # 20 (ink) .. 250 (paper)
    variants = {
        "full.png": word * 257,  # the whole 16-bit range
        "twelve_bit.png": word * 16,  # 12-bit data: the high byte alone would be 1..15, near black
        "low.png": word,  # 16 bits holding 8-bit values
        "colour_twelve_bit.png": np.dstack([word * 16, word * 15, word * 14]),
    }
    paths = []
    for name, image in variants.items():
        assert cv2.imwrite(str(tmp_path / name), image)
        paths.append(tmp_path / name)
    for pixels, path in zip(node_prepared(paths), paths, strict=True):
        expected = resize_to_height(read_gray(str(path)), HEIGHT)
        assert expected.max() > 200, path  # paper stays light in the package
        worst = int(np.abs(pixels.astype(int) - expected).max())
        assert worst == 0, f"{path.name}: pixels differ by up to {worst}"


def test_missing_sidecar_or_newer_format_is_refused(tmp_path, images):
    model = tmp_path / "model.onnx"
    shutil.copy(MODEL / "model.onnx", model)
    done = node("examples/node/recognize.js", str(tmp_path), str(images[0]))
    assert done.returncode == 2 and done.stdout == ""
    assert "model.json: metadata file missing" in done.stderr and "mltu_ext.export.metadata" in done.stderr
    meta = json.loads((MODEL / "model.json").read_text(encoding="utf-8"))
    (tmp_path / "model.json").write_text(json.dumps({**meta, "format_version": 2}), encoding="utf-8")
    done = node("examples/node/recognize.js", str(model), str(images[0]))
    assert done.returncode == 2 and "format version 2 is newer" in done.stderr


def test_a_long_command_line(tmp_path):
    # onnxruntime-node 1.29 and 1.30 crash (segmentation fault) creating a session when the
    # command line is longer than about 29 KB; package.json pins a version without the fault
    folder = tmp_path / ("long_folder_name_" * 12)
    folder.mkdir()
    image = folder / "word.png"
    cv2.imwrite(str(image), draw("Hamburg", 48))
    paths = [image] * 300  # about 75 KB of arguments
    assert sum(len(str(p)) + 1 for p in paths) > 40_000
    lines = node_lines(paths)
    assert lines == [f"{image}\t{python_lines([image])[0]}"] * len(paths)


def test_near_two_level_edge_cases_give_the_package_pixels(tmp_path):
    """Blank, one-pixel, few-ink, light or dark two-level, threshold, colour, alpha and 16-bit
    images: the Node reader snaps and softens them (or not) exactly as resize_to_height does."""
    rng = np.random.default_rng(3)
    bitonal = np.where(draw("Weimar", 60) < 135, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", bitonal, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    near = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    alpha = np.full_like(near, 255)
    alpha[:5] = 128  # the top rows half transparent
    at_threshold = np.full((10, 40), 255, np.uint8)  # 38 black and 2 gray of 40 ink pixels: 5 %
    at_threshold[0, :38], at_threshold[0, 38:] = 0, 128
    over = at_threshold.copy()
    over[1, 0] = 128  # 3 of 41: no longer near two-level
    few = np.full((30, 40), 255, np.uint8)
    few[10, 10], few[11, 10], few[12, 12] = 0, 20, 240
    images = {
        "white": np.full((20, 30), 255, np.uint8),
        "black": np.zeros((20, 30), np.uint8),
        "one_pixel": np.zeros((1, 1), np.uint8),
        "one_wide": np.ascontiguousarray(near[:, 40:41]),
        "one_tall": np.ascontiguousarray(near[30:31, :]),
        "few_ink": few,
        "light_levels": np.where(bitonal == 0, 200, 255).astype(np.uint8),
        "dark_levels": np.where(bitonal == 0, 0, 40).astype(np.uint8),
        "at_threshold": at_threshold,
        "over_threshold": over,
        "inverted": 255 - near,
        "noisy": np.where(rng.random((40, 60)) < 0.2, 0, 255).astype(np.uint8),
        "colour": np.dstack([near, near, np.maximum(near, 30)]),
        "alpha": np.dstack([near, near, near, alpha]),
        "sixteen_bit": near.astype(np.uint16) * 257,
    }
    assert is_near_two_level(at_threshold) and not is_near_two_level(over)
    paths = []
    for name, image in images.items():
        paths.append(tmp_path / f"{name}.png")
        assert cv2.imwrite(str(paths[-1]), image)
    kinds = {is_two_level(g) or is_near_two_level(g) for g in map(read_gray, map(str, paths))}
    assert kinds == {True, False}  # some are softened, some not
    for height in (1, 7, 64):
        for pixels, path in zip(node_prepared(paths, height), paths, strict=True):
            expected = resize_to_height(read_gray(str(path)), height)
            np.testing.assert_array_equal(pixels, expected, err_msg=f"{path.name} at {height} rows")


def test_a_jpeg_is_turned_by_its_exif_orientation(tmp_path):
    """A phone's JPEG stores its pixels turned and says so in EXIF: both readers turn it back."""
    word = draw("Hamburg", 48)
    paths = []
    for orientation in range(1, 9):
        stored = Image.fromarray(word[:, ::-1] if orientation % 2 == 0 else word)
        stored = stored.transpose(Image.Transpose.ROTATE_90) if orientation >= 5 else stored
        exif = stored.getexif()
        exif[0x0112] = orientation
        paths.append(tmp_path / f"o{orientation}.jpg")
        stored.save(paths[-1], exif=exif.tobytes(), quality=95)
    for pixels, path in zip(node_prepared(paths), paths, strict=True):
        expected = resize_to_height(read_gray(str(path)), HEIGHT)
        assert pixels.shape == expected.shape, path.name
        assert int(np.abs(pixels.astype(int) - expected).max()) <= 3, path.name
    assert node_lines(paths) == python_lines(paths)


def test_confidences_with_the_blank_first_are_the_packages():
    """A file whose blank is not the last class: a character after it is class k + 1 in both."""
    from mltu_ext.ctc.confidence import read_confidences

    probs = [[0.1, 0.8, 0.1], [0.9, 0.05, 0.05], [0.1, 0.1, 0.8]]  # blank, a, b
    flat = json.dumps([p for row in probs for p in row])
    script = (
        "import { confidence, greedyText } from './examples/node/shared/reader.js';"
        "const meta = { chars: ['a', 'b'], blank: 0, temperature: 1 };"
        f"const rows = {{ steps: 3, classes: 3, probs: Float32Array.from({flat}) }};"
        "const text = greedyText(rows, meta);"
        "console.log(JSON.stringify([text, confidence(rows, text, meta)]));"
    )
    done = node("--input-type=module", "-e", script)
    assert done.returncode == 0, done.stderr
    text, confidence = json.loads(done.stdout)
    expected = read_confidences(np.array([probs], np.float32), ["ab"], "ab", 0)[0]
    assert text == expected.text == "ab"
    assert confidence == pytest.approx(expected.confidence) == pytest.approx(0.64)


def test_a_segmenter_is_refused_as_the_package_refuses_it(tmp_path, images):
    """The line segmenter's metadata, or a recogniser's beside the segmenter's graph: refused."""
    meta = json.loads((MODEL / "model.json").read_text(encoding="utf-8"))
    shutil.copy(MODEL / "model.onnx", tmp_path / "model.onnx")
    (tmp_path / "model.json").write_text(json.dumps({**meta, "kind": "line_segmenter"}), encoding="utf-8")
    done = node("examples/node/recognize.js", str(tmp_path / "model.onnx"), str(images[0]))
    assert done.returncode == 2 and done.stdout == "" and "line segmenter" in done.stderr
    segmenter = ROOT / "Models" / "line_segmenter" / "segmenter.onnx"
    shutil.copy(segmenter, tmp_path / "maps.onnx")
    (tmp_path / "maps.json").write_text(json.dumps(meta), encoding="utf-8")
    done = node("examples/node/recognize.js", str(tmp_path / "maps.onnx"), str(images[0]))
    assert done.returncode == 2 and done.stdout == "" and "not a line recogniser" in done.stderr
