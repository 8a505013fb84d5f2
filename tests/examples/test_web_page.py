"""The web page (examples/web) reads the same texts as the package, in a real browser.

The repository root is served with http.server (and this test's images under
``/_test/``), headless Chromium opens http://127.0.0.1:PORT/examples/web/ through
selenium, and the page's hooks (``window.htr``, see examples/web/app.js) feed it
rendered words and lines, as image files and as drawings on its pad. What the page
shows must be what ``OnnxRecognizer(model, check_ink=False).predict([image])`` reads
from the same pixels: the file itself, or the crop of the drawing that the page read.

Set MLTU_WEB_SCREENSHOT=docs/web_page.png to refresh the screenshot in the docs.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.inference.recognizer import OnnxRecognizer
from mltu_ext.synth import render_handwritten_line, render_text
from mltu_ext.synth.fonts import find_fonts

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "examples" / "web"
WORDS = ROOT / "Models" / "dhsd_words"
LINES = ROOT / "Models" / "handwritten_lines"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# ONNX Runtime's WebAssembly build and the native one add up floats in other orders; in the
# models' int8 layers the activations' quantisation ranges follow those last bits, and
# confidences move by up to 0.005 (83 words and lines measured on the word model)
CONFIDENCE_TOLERANCE = {WORDS: 0.01, LINES: 0.01}
# Chromium's flags for a machine without network: no background requests that only fail
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,900",
)

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed: pip install -e '.[test]'"
)
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="chromium or chromedriver is not installed: run scripts/install.sh "
        "(apt-get install chromium chromium-driver)",
    ),
    pytest.mark.skipif(
        not (WEB / "vendor" / "ort.wasm.bundle.min.mjs").is_file(),
        reason="examples/web/vendor/ is empty: run scripts/install.sh "
        "(npm install && npm run vendor in examples/web)",
    ),
    pytest.mark.skipif(
        not (WORDS / "model.json").is_file(), reason="Models/dhsd_words/model.json is missing"
    ),
]


class _Handler(http.server.SimpleHTTPRequestHandler):
    """The repository root, and the test's folder under /_test/."""

    def translate_path(self, path: str) -> str:
        parts = [urllib.parse.unquote(p) for p in urllib.parse.urlsplit(path).path.split("/")]
        if len(parts) > 2 and parts[1] == "_test" and not {".", ".."} & set(parts):
            return str(Path(self.server.test_dir).joinpath(*parts[2:]))
        return super().translate_path(path)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test's output stays readable


def _serve(test_dir: Path) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(ROOT))
    )
    server.test_dir = test_dir
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _page_url(server: http.server.ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/examples/web/"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web_images")


@pytest.fixture(scope="module")
def server(folder) -> Iterator[http.server.ThreadingHTTPServer]:
    server = _serve(folder)
    yield server
    server.shutdown()
    server.server_close()


def _browser(profile: Path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")  # a new, empty profile
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(120)
    return driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = _browser(tmp_path_factory.mktemp("chromium_profile"))
    yield driver
    driver.quit()


def call(driver, hook: str, *args):
    """``await window.htr[hook](...args)`` in the page; an error in the page fails the test."""
    script = """
        const [hook, args, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
        window.htr.ready.then(() => window.htr[hook](...args))
            .then((value) => done({ value }), (error) => done({ error: String(error?.message || error) }));
    """
    answer = driver.execute_async_script(script, hook, list(args))
    assert "error" not in answer, f"window.htr.{hook}{tuple(args)} failed in the page: {answer['error']}"
    return answer["value"]


@pytest.fixture(scope="module")
def page(browser, server):
    browser.get(_page_url(server))
    call(browser, "last")  # waits until the page has loaded its first model
    return browser


@pytest.fixture(scope="module")
def lines() -> OnnxRecognizer:
    """The shipped line model as the package reads it (skips when it is not there)."""
    if not (LINES / "model.onnx").is_file():
        pytest.skip(
            "Models/handwritten_lines has no model.onnx yet: the line model is not trained or exported"
        )
    return OnnxRecognizer(LINES, check_ink=False)


@pytest.fixture(scope="module")
def words_model() -> OnnxRecognizer:
    return OnnxRecognizer(WORDS, check_ink=False)


def save(folder: Path, name: str, image: np.ndarray) -> str:
    assert cv2.imwrite(str(folder / name), image)
    return f"/_test/{name}"


def pixels_of(result: dict) -> np.ndarray:
    """The gray image the page read (a file, or the crop of a drawing)."""
    read = result["read"]
    data = np.frombuffer(base64.b64decode(read["pixels"]), np.uint8)
    return data.reshape(read["height"], read["width"])


def assert_reads_like_python(result: dict, image: np.ndarray, model: OnnxRecognizer) -> None:
    assert result["state"] == "read", result
    expected = model.read([image])[0]
    assert model.predict([image]) == [expected.text]
    assert result["text"] == expected.text, f"page read {result['text']!r}, Python {expected.text!r}"
    tolerance = CONFIDENCE_TOLERANCE.get(Path(model.path).resolve().parent, 0.01)
    assert result["confidence"] == pytest.approx(expected.confidence, abs=tolerance)


def rendered_word(text: str, seed: int, font: str | None = None) -> np.ndarray:
    return render_text(text, np.random.default_rng(seed), font=font)


def as_ink(image: np.ndarray) -> np.ndarray:
    """A rendered image's writing alone, in the page's pen colour (gray 44) on pure white,
    as a person would have written it on the pad."""
    paper, darkest = float(np.median(image)), float(image.min())
    ink = (paper - image.astype(np.float32)) / max(paper - darkest, 1.0)
    ink = np.clip((ink - 0.15) / 0.85, 0.0, 1.0)  # the paper's grain is not writing
    return np.rint(255.0 - ink * (255.0 - 44.0)).astype(np.uint8)


def rendered_line(text: str, seed: int) -> np.ndarray:
    return render_handwritten_line(text, np.random.default_rng(seed), paper="plain")


# ONNX Runtime Web and the native runtime differ in the last bits of a float: where two classes
# of a frame lie closer than this, the greedy readings of the two may differ by that noise alone
TIE = 1e-3


def decidable(render, model: OnnxRecognizer, seed: int) -> np.ndarray:
    """``render(seed)``, or the first of the next seeds whose image ``model`` reads with no near-tie
    in any frame: which image reads so depends on the handwriting fonts the machine has."""
    for tried in range(seed, seed + 20):
        image = render(tried)
        top = np.sort(model.probabilities([image])[0], axis=-1)[:, -2:]  # T,2
        if (top[:, 1] - top[:, 0]).min() >= TIE:
            return image
    raise AssertionError(f"no seed from {seed} gives an image read without a near-tie")


def test_the_page_lists_its_models(page):
    models = {m["dir"]: m for m in call(page, "models")}
    assert models["Models/dhsd_words"]["available"]
    line_model = models["Models/handwritten_lines"]
    assert line_model["available"] == (LINES / "model.json").is_file()
    option = page.find_element("css selector", "option[value='Models/handwritten_lines']")
    if not line_model["available"]:  # listed, disabled, and the page says why
        assert "(missing)" in option.text and option.get_attribute("disabled")
        assert "not found" in line_model["reason"]
        assert "Models/handwritten_lines" in page.find_element("id", "status").text


@pytest.mark.parametrize(
    ("name", "image", "seed"),
    [
        ("word", lambda seed: rendered_word("Hamburg", seed), 1),
        ("another word", lambda seed: rendered_word("Lindenau", seed), 2),
        ("words", lambda seed: rendered_line("Groß Köris", seed), 3),
        ("line", lambda seed: rendered_line("Unter den Linden", seed), 4),
    ],
)
def test_an_image_file_reads_as_in_python(page, folder, words_model, name, image, seed):
    pixels = decidable(image, words_model, seed)
    url = save(folder, f"{name.replace(' ', '_')}.png", pixels)
    result = call(page, "recognizeImageUrl", url)
    assert result["source"] == "file" and result["model"] == "Models/dhsd_words"
    np.testing.assert_array_equal(pixels_of(result), pixels)  # the browser decoded the file exactly
    assert_reads_like_python(result, pixels, words_model)


def test_a_real_word_reads_as_in_python(page, folder, words_model):
    dhsd = ROOT.parent / "shared" / "data" / "dhsd" / "images"
    files = sorted(dhsd.rglob("*.png"))[::97][:3] if dhsd.is_dir() else []
    if not files:
        pytest.skip("../shared/data/dhsd is not here")
    for k, path in enumerate(files):
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        result = call(page, "recognizeImageUrl", save(folder, f"dhsd{k}.png", gray))
        assert_reads_like_python(result, gray, words_model)


def test_the_line_model_reads_a_line_as_in_python(page, folder, lines):
    try:
        call(page, "selectModel", "Models/handwritten_lines")
        pixels = rendered_line("Unter den Linden 12", 5)
        result = call(page, "recognizeImageUrl", save(folder, "line_for_lines.png", pixels))
        assert result["model"] == "Models/handwritten_lines"
        assert_reads_like_python(result, pixels, lines)
    finally:
        call(page, "selectModel", "Models/dhsd_words")


def _check_crop(crop: np.ndarray, ink_share: float = 0.5) -> None:
    """The crop looks like the training data: white at both ends, the ink at most
    ``ink_share`` of the height (recognizer.js: CROP_WORDS, CROP_LINES)."""
    ink = crop < 200
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert rows.size and cols.size
    assert cols[0] > 0.03 * crop.shape[0] and crop.shape[1] - 1 - cols[-1] > 0.03 * crop.shape[0]
    assert (rows[-1] - rows[0] + 1) <= ink_share * crop.shape[0] + 1


def test_a_drawing_is_cropped_and_read_as_in_python(page, folder, words_model):
    call(page, "selectModel", "Models/dhsd_words")
    page.find_element("id", "clear").click()
    url = save(folder, "drawn.png", as_ink(rendered_word("Bahnhof", 6)))
    result = call(page, "drawImageUrl", url, {"x": 120, "y": 50, "height": 150})
    assert result["source"] == "drawing"
    crop = pixels_of(result)
    _check_crop(crop)
    assert_reads_like_python(result, crop, words_model)
    shown = page.find_element("id", "text").text
    assert shown == result["text"]
    assert f"{result['confidence']:.4f}" in page.find_element("id", "confidence").text


def test_a_drawn_line_is_read_by_the_line_model_as_in_python(page, folder, lines):
    try:
        call(page, "selectModel", "Models/handwritten_lines")
        page.find_element("id", "clear").click()
        url = save(folder, "drawn_line.png", as_ink(rendered_line("la maison est grande", 8)))
        result = call(page, "drawImageUrl", url, {"x": 20, "y": 60, "height": 110})
        assert result["model"] == "Models/handwritten_lines" and result["input"]["height"] == lines.height
        crop = pixels_of(result)
        _check_crop(crop, ink_share=0.85)
        assert_reads_like_python(result, crop, lines)
    finally:
        call(page, "selectModel", "Models/dhsd_words")


def test_pointer_strokes_are_read_when_writing_stops(page, words_model):
    from selenium.webdriver.common.action_chains import ActionChains

    page.find_element("id", "clear").click()
    call(page, "idle")  # the Clear's own reading must not answer for the strokes
    pad = page.find_element("id", "pad")
    scale = pad.size["width"] / 960  # the pad's pixels are scaled to the page's width
    page.execute_script("window.__next = window.htr.nextResult();")
    # two strokes, like an "l" and an "o" (offsets from the pad's centre, in CSS pixels)
    actions = ActionChains(page, duration=20)
    actions.move_to_element_with_offset(pad, int(-150 * scale), int(-70 * scale)).click_and_hold()
    actions.move_by_offset(int(-10 * scale), int(120 * scale)).release()
    loop = [(30, 0), (15, 25), (0, 30), (-15, 25), (-30, 0), (-15, -25), (0, -30), (15, -25)]
    actions.move_to_element_with_offset(pad, int(-60 * scale), int(20 * scale)).click_and_hold()
    for dx, dy in loop:
        actions.move_by_offset(int(dx * scale), int(dy * scale))
    actions.release().perform()
    result = page.execute_async_script("window.__next.then(arguments[arguments.length - 1]);")
    assert result["source"] == "drawing" and result["state"] == "read"
    crop = pixels_of(result)
    _check_crop(crop)
    assert_reads_like_python(result, crop, words_model)
    page.find_element("id", "clear").click()
    assert call(page, "idle")["state"] == "empty"


def test_screenshot_of_a_recognised_drawing(page, folder, tmp_path):
    page.find_element("id", "clear").click()
    # a font that looks handwritten when it is installed (scripts/install.sh), else any
    hands = [f for f in find_fonts() if Path(f).stem in ("SteveHand", "dkg", "Delphine")]
    word = as_ink(rendered_word("Lindenau", 11, font=hands[0] if hands else None))
    result = call(page, "drawImageUrl", save(folder, "shot.png", word), {"x": 150, "y": 30, "height": 170})
    assert result["state"] == "read" and result["text"]
    target = os.environ.get("MLTU_WEB_SCREENSHOT")
    path = Path(target) if target else tmp_path / "web_page.png"
    assert page.find_element("tag name", "body").screenshot(str(path))  # the page, not the empty window
    shot = cv2.imread(str(path))
    assert shot is not None and shot.shape[0] > 300


def test_the_page_refuses_what_the_contract_refuses(browser, server, folder):
    """A newer format_version is listed as missing; metadata that contradicts the graph stops loading."""
    meta = json.loads((WORDS / "model.json").read_text(encoding="utf-8"))
    changes = {"newer": {"format_version": 2}, "height": {"input_height": 32}}
    changes["segmenter"] = {"kind": "line_segmenter"}
    for name, change in changes.items():
        (folder / name).mkdir()
        shutil.copy(WORDS / "model.onnx", folder / name / "model.onnx")
        (folder / name / "model.json").write_text(json.dumps({**meta, **change}), encoding="utf-8")
    try:
        browser.get(_page_url(server) + "?model=_test/newer")
        models = {m["dir"]: m for m in call(browser, "models")}
        assert not models["_test/newer"]["available"]
        assert "format version 2 is newer" in models["_test/newer"]["reason"]
        assert models["Models/dhsd_words"]["available"]  # the page went on with this one
        browser.get(_page_url(server) + "?model=_test/segmenter")
        models = {m["dir"]: m for m in call(browser, "models")}
        assert not models["_test/segmenter"]["available"]
        assert "line segmenter" in models["_test/segmenter"]["reason"]

        browser.get(_page_url(server) + "?model=_test/height")
        status = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.htr.ready.then(() => done('loaded'), (error) => done(error.message));"
        )
        assert "input_height 32 but the graph takes 64" in status
        assert browser.find_element("id", "status").text == status
    finally:
        browser.get(_page_url(server))  # the page as the other tests left it
        call(browser, "last")


# waits until sw.js controls the page and has stored the files named (relative to the page)
WAIT_FOR_OFFLINE_COPY = """
const [names, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
    for (let i = 0; i < 300; i++) {
        const found = await Promise.all(names.map((n) => caches.match(new URL(n, location.href).href)));
        if (navigator.serviceWorker.controller && found.every(Boolean)) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
})().then(done);
"""


def test_a_loaded_page_reloads_and_reads_without_the_server(tmp_path, folder, words_model):
    """sw.js keeps the page's files: with the server gone, a reload still reads a drawing."""
    server = _serve(folder)
    driver = _browser(tmp_path / "profile")
    try:
        driver.get(_page_url(server))
        call(driver, "last")  # loaded
        files = ["../../Models/dhsd_words/model.onnx", "vendor/ort-wasm-simd-threaded.wasm", "app.js"]
        assert driver.execute_async_script(WAIT_FOR_OFFLINE_COPY, files), (
            "sw.js did not keep the page's files"
        )
        url = save(folder, "offline.png", as_ink(rendered_word("Neustadt", 7)))
        assert call(driver, "recognizeImageUrl", url)["state"] == "read"  # now the image is kept too
        assert driver.execute_async_script(WAIT_FOR_OFFLINE_COPY, [url])
        server.shutdown()
        server.server_close()
        driver.refresh()
        result = call(driver, "drawImageUrl", url, {"x": 100, "y": 40, "height": 150})
        assert_reads_like_python(result, pixels_of(result), words_model)
    finally:
        driver.quit()
        server.shutdown()  # returns at once when the test already stopped it
        server.server_close()


def test_a_file_is_turned_by_its_exif_orientation_as_in_python(page, folder, words_model):
    """A phone's JPEG stores its pixels turned and says so in EXIF: the page reads it upright too."""
    from PIL import Image

    from mltu_ext.data.images import read_gray

    word = decidable(lambda seed: rendered_word("Hamburg", seed), words_model, 5)
    for orientation in (3, 6, 8):
        stored = Image.fromarray(word).rotate({3: 180, 6: 90, 8: -90}[orientation], expand=True)
        exif = stored.getexif()
        exif[0x0112] = orientation
        stored.save(folder / f"turned{orientation}.jpg", exif=exif.tobytes(), quality=98)
        result = call(page, "recognizeImageUrl", f"/_test/turned{orientation}.jpg")
        upright = read_gray(str(folder / f"turned{orientation}.jpg"))
        assert upright.shape == word.shape
        got = pixels_of(result)
        assert got.shape == upright.shape, f"orientation {orientation}"
        assert int(np.abs(got.astype(int) - upright).max()) <= 3, f"orientation {orientation}"
        assert_reads_like_python(result, upright, words_model)
