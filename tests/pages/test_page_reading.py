"""A rendered page of known text read end to end with the shipped segmenter and line model."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.evaluation.error_rates import cer
from mltu_ext.pages.page_checks import STRETCHED_NOTE

ROOT = Path(__file__).resolve().parents[2]
SEGMENTER = ROOT / "Models" / "line_segmenter"
LINES = ROOT / "Models" / "handwritten_lines"
SCHEMAS = ROOT.parent / "shared" / "schemas"
TEXTS = [
    "Le chat dort sur la table",
    "une maison blanche au bord",
    "de la mer et des arbres",
    "nous partons demain matin",
]
TOPS = [300 + 110 * k for k in range(len(TEXTS))]
# 0.0 measured with the first installed handwriting font; a slip or a wrong order reads far worse
MAX_PAGE_CER = 0.15


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    from mltu_ext.synth.fonts import find_fonts
    from mltu_ext.synth.line_render import render_handwritten_line

    fonts = find_fonts()
    rng = np.random.default_rng(3)
    page = np.full((1980, 1530), 250, np.uint8)
    for text, top in zip(TEXTS, TOPS, strict=True):
        line = render_handwritten_line(
            text, rng, font=fonts[0] if fonts else "hershey", height=72, paper="plain"
        )
        width = min(line.shape[1], 1300)
        window = page[top : top + 72, 150 : 150 + width]
        np.minimum(window, line[:, :width], out=window)
    path = tmp_path_factory.mktemp("page") / "page.png"
    cv2.imwrite(str(path), page)
    return path


def _reader():
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.page_reader import PageReader
    from mltu_ext.segment.segmenter import OnnxSegmenter

    return PageReader(OnnxRecognizer(LINES), OnnxSegmenter(SEGMENTER))


def test_a_rendered_page_reads_line_by_line_in_order(page_file):
    page = _reader().read(cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE), page_file.name)
    assert len(page.lines) == len(TEXTS)
    assert cer([page.text], ["\n".join(TEXTS)]) <= MAX_PAGE_CER
    for line, top in zip(page.lines, TOPS, strict=True):
        x0, y0, x1, y1 = line.box
        assert top - 15 <= y0 and y1 <= top + 72 + 15 and 130 <= x0 < x1 <= 1460
        assert line.baseline and all(y0 <= y <= y1 for _, y in line.baseline)
        xs = [c.x for c in line.chars]
        assert xs == sorted(xs) and x0 - 1 <= xs[0] and xs[-1] <= x1 + 1
        for word in line.words:
            assert x0 - 1 <= word.box[0] < word.box[2] <= x1 + 1 and 0 < word.confidence <= 1


def test_reading_a_page_needs_no_tensorflow(page_file):
    # segmenting and reading in a fresh process: neither TensorFlow nor Keras may be imported
    code = (
        "import sys, cv2; from mltu_ext.inference.recognizer import OnnxRecognizer; "
        "from mltu_ext.pages.page_reader import PageReader; "
        "from mltu_ext.segment.segmenter import OnnxSegmenter; "
        f"reader = PageReader(OnnxRecognizer({str(LINES)!r}), OnnxSegmenter({str(SEGMENTER)!r})); "
        f"page = reader.read(cv2.imread({str(page_file)!r}, cv2.IMREAD_GRAYSCALE), 'page'); "
        "print(len(page.lines), 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(len(TEXTS)), "False", "False"]


def test_the_command_writes_a_valid_alto_file_that_reads_back(page_file, tmp_path, capsys):
    from mltu_ext.cli import recognize
    from mltu_ext.data import load_dataset

    target = tmp_path / "page.alto.xml"
    image = tmp_path / page_file.name
    image.write_bytes(page_file.read_bytes())
    assert recognize.main(["--image", str(image), "--model", str(LINES), "--output", str(target)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(TEXTS)
    assert [s.text for s in load_dataset(target).samples] == printed
    etree = pytest.importorskip("lxml.etree")
    if (SCHEMAS / "alto-4-4.xsd").is_file():
        schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "alto-4-4.xsd")))
        assert schema.validate(etree.parse(str(target))), schema.error_log


def test_several_pages_go_to_a_folder_in_the_format_asked(page_file, tmp_path, capsys):
    from mltu_ext.cli import recognize

    for name in ("one.png", "two.png"):
        (tmp_path / name).write_bytes(page_file.read_bytes())
    out = tmp_path / "results"
    argv = ["--image", str(tmp_path / "one.png"), str(tmp_path / "two.png"), "--model", str(LINES)]
    assert recognize.main([*argv, "--output", str(out), "--output-format", "page", "--confidence"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["one.page.xml", "two.page.xml"]
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 2 * len(TEXTS) and rows[0].startswith(f"{tmp_path / 'one.png'}\t1\t")
    assert 'imageFilename="../one.png"' in (out / "one.page.xml").read_text(encoding="utf-8")
    # for a platform's import, which matches a file to its image by the name alone
    assert (
        recognize.main([*argv, "--output", str(out), "--output-format", "alto", "--image-name", "name"]) == 0
    )
    assert "<fileName>one.png</fileName>" in (out / "one.alto.xml").read_text(encoding="utf-8")


def test_pages_of_one_name_in_two_folders_read_back_each_with_its_own_image(page_file, tmp_path, capsys):
    from mltu_ext.cli import recognize
    from mltu_ext.data import load_dataset

    pages = []
    for folder, flip in (("a", False), ("b", True)):
        (tmp_path / "scans" / folder).mkdir(parents=True)
        image = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)
        pages.append(tmp_path / "scans" / folder / "page.png")
        cv2.imwrite(str(pages[-1]), image[::-1, ::-1] if flip else image)  # b: the same page turned over
    out = tmp_path / "results"
    argv = ["--image", *map(str, pages), "--page", "--model", str(LINES), "--output", str(out)]
    assert recognize.main([*argv, "--output-format", "alto"]) == 0
    capsys.readouterr()

    written = sorted(out.iterdir())
    assert [p.name for p in written] == ["a_page.png.alto.xml", "b_page.png.alto.xml"]
    for xml, image in zip(written, pages, strict=True):
        samples = load_dataset(xml).samples
        assert samples and {Path(s.path).resolve() for s in samples} == {image.resolve()}


def test_output_without_a_page_is_refused(tmp_path, capsys):
    from mltu_ext.cli import recognize

    word = tmp_path / "word.png"
    cv2.imwrite(str(word), np.full((60, 200), 255, np.uint8))
    assert (
        recognize.main(["--image", str(word), "--model", str(LINES), "--output", str(tmp_path / "x.json")])
        == 2
    )
    assert "--page" in capsys.readouterr().err


def test_a_recogniser_is_not_taken_for_a_segmenter():
    from mltu_ext.errors import ModelLoadError
    from mltu_ext.segment.segmenter import OnnxSegmenter

    with pytest.raises(ModelLoadError, match=r"model\.onnx"):
        OnnxSegmenter(LINES / "model.onnx")
    for given in (LINES / "model.onnx", LINES):  # the file or its folder, as --segmenter takes both
        with pytest.raises(ModelLoadError, match=r"text recogniser, not a line segmenter.*line_segmenter"):
            OnnxSegmenter(given)


def test_a_segmenter_is_not_taken_for_a_recogniser(tmp_path, capsys):
    from mltu_ext.cli import recognize
    from mltu_ext.errors import ModelLoadError
    from mltu_ext.export.metadata import TEXT_MODELS
    from mltu_ext.inference import OnnxRecognizer

    for name in re.findall(r"Models/\w+", TEXT_MODELS):  # the models the message names read text
        assert OnnxRecognizer(ROOT / name, providers=["CPUExecutionProvider"]).vocabulary
    with pytest.raises(ModelLoadError, match=r"line segmenter.*not a recogniser.*handwritten_lines"):
        OnnxRecognizer(SEGMENTER, providers=["CPUExecutionProvider"])
    word = tmp_path / "word.png"
    cv2.imwrite(str(word), np.full((60, 200), 255, np.uint8))
    assert recognize.main(["--image", str(word), "--model", str(SEGMENTER), "--cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "not a recogniser" in err and "Models/dhsd_words" in err


def test_pages_are_told_from_words_and_lines_by_shape():
    from mltu_ext.pages.page_reader import looks_like_page

    assert looks_like_page(np.zeros((1980, 1530)))  # a page
    assert looks_like_page(np.zeros((600, 1400)))  # half a page
    assert not looks_like_page(np.zeros((90, 1500)))  # a line
    assert not looks_like_page(np.zeros((500, 1500)))  # a wide strip of a few lines: three times wider


def test_a_strip_with_no_lines_found_says_why(tmp_path, capsys):
    from mltu_ext.cli import recognize

    strip = tmp_path / "strip.png"
    cv2.imwrite(str(strip), np.full((300, 3000), 250, np.uint8))
    assert recognize.main(["--image", str(strip), "--page", "--model", str(LINES)]) == 0
    err = capsys.readouterr().err
    assert "read as a page, 0 lines" in err and "10.0 times as long as it is wide" in err


def test_the_readmes_python_page_reading(page_file, tmp_path):
    from mltu_ext.data.images import read_gray
    from mltu_ext.evaluation.error_rates import cer
    from mltu_ext.inference import OnnxRecognizer
    from mltu_ext.pages.page_reader import PageReader
    from mltu_ext.pages.writers import write_page
    from mltu_ext.segment.segmenter import OnnxSegmenter

    reader = PageReader(OnnxRecognizer(LINES), OnnxSegmenter(SEGMENTER))
    page = reader.read(read_gray(str(page_file)), page_file.name)
    assert len(page.lines) == len(TEXTS)
    assert cer([line.text for line in page.lines], TEXTS) < 0.2
    written = write_page(page, tmp_path / "page.alto.xml")
    assert "<fileName>" + page_file.name in written.read_text(encoding="utf-8")


def test_a_faint_page_reads_its_lines(page_file):
    # pencil, or a light scan: the strokes only 15 % as dark, under the ink check's contrast
    page = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    faint = (255 - (255 - page) * 0.15).astype(np.uint8)
    read = _reader().read(faint, page_file.name)
    assert len(read.lines) == len(TEXTS)
    assert read.notes[0] == STRETCHED_NOTE  # said, as a blank page's show-through would read
    assert cer([read.text], ["\n".join(TEXTS)]) <= MAX_PAGE_CER


def test_a_page_upside_down_is_read_upright_and_says_so(page_file, tmp_path, capsys):
    from mltu_ext.cli import recognize

    turned = tmp_path / "turned.png"
    cv2.imwrite(str(turned), cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)[::-1, ::-1])
    assert recognize.main(["--image", str(turned), "--model", str(LINES)]) == 0
    out, err = capsys.readouterr()
    assert f"warning: {turned}: " in err and "turned 180 degrees, so it was turned so" in err
    assert cer([out.strip()], ["\n".join(TEXTS)]) <= MAX_PAGE_CER
    # the same page upright reads without a note
    assert recognize.main(["--image", str(page_file), "--model", str(LINES)]) == 0
    assert "warning:" not in capsys.readouterr().err


def test_a_page_upside_down_has_its_positions_where_the_upright_reading_has_them_turned(page_file):
    upright = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)
    height, width = upright.shape
    reader = _reader()
    read, turned = reader.read(upright, "p"), reader.read(upright[::-1, ::-1].copy(), "p")
    assert turned.text == read.text and len(turned.lines) == len(TEXTS)
    for line, again in zip(read.lines, turned.lines, strict=True):
        # the same pixels read the same way: a pixel turned over is (width - 1 - x, height - 1 - y),
        # and a box, which ends past its last pixel, runs from width - x1 to width - x0
        assert np.allclose(again.polygon, [(width - 1 - x, height - 1 - y) for x, y in line.polygon])
        for word, placed in zip(line.words, again.words, strict=True):
            x0, y0, x1, y1 = word.box
            assert placed.box == pytest.approx((width - x1, height - y1, width - x0, height - y0))


@pytest.mark.parametrize("turns", [1, 3])
def test_a_page_turned_a_quarter_is_read_upright_its_positions_on_the_page_as_given(page_file, turns):
    from mltu_ext.pages.orientation import turn_quarters

    sideways = turn_quarters(cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE), turns)
    read = _reader().read(sideways, page_file.name)
    assert len(read.lines) == len(TEXTS)
    assert cer([read.text], ["\n".join(TEXTS)]) <= MAX_PAGE_CER
    # the turn back it was read under, and no more the warning of short pieces ("a quarter turn" too)
    way = {1: "a quarter turn counter-clockwise", 3: "a quarter turn clockwise"}[turns]
    assert len(read.notes) == 1 and f"the page turned {way}, so" in read.notes[0]
    height, width = sideways.shape
    assert (read.width, read.height) == (width, height)
    for line in read.lines:  # on the sideways page, a line runs down (or up) the page
        x0, y0, x1, y1 = line.box
        assert y1 - y0 > 4 * (x1 - x0) and 0 <= x0 and x1 <= width - 1 and 0 <= y0 and y1 <= height - 1
        ys = [c.y for c in line.chars]  # its characters follow one another down (or up) the page
        assert ys == sorted(ys, reverse=turns == 3)


COPISTE_IMAGES = ROOT.parent / "shared" / "data" / "copiste" / "images"


@pytest.mark.skipif(not COPISTE_IMAGES.is_dir(), reason=f"{COPISTE_IMAGES} not present")
@pytest.mark.parametrize("turns", [1, 3])
def test_a_short_real_page_given_sideways_is_read_upright(turns):
    from mltu_ext.pages.orientation import turn_quarters

    # three lines: turned a quarter, too few for their shape to say that the page is sideways
    page = cv2.imread(str(COPISTE_IMAGES / "wikitexte_0235_2.jpg"), cv2.IMREAD_GRAYSCALE)
    upright = _reader().read(page, "page.jpg")
    assert len(upright.lines) == 3 and not upright.notes
    sideways = _reader().read(turn_quarters(page, turns), "page.jpg")
    assert sideways.text == upright.text
    assert len(sideways.notes) == 1 and "quarter turn" in sideways.notes[0]


def test_a_page_is_left_as_it_came_without_the_orientation_check(page_file):
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.page_reader import PageReader
    from mltu_ext.segment.segmenter import OnnxSegmenter

    segmenter = OnnxSegmenter(SEGMENTER)
    segmented, segment = [], segmenter.segment
    segmenter.segment = lambda page: segmented.append(page.shape) or segment(page)
    reader = PageReader(OnnxRecognizer(LINES), segmenter, orient=False)
    read = reader.read(cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)[::-1, ::-1], page_file.name)
    assert any("turn it upright" in note for note in read.notes)  # warned, not turned
    assert cer([read.text], ["\n".join(TEXTS)]) > 0.5
    assert len(segmented) == 1  # nor read again turned over, a reading it would not keep


# what README's reading-only install names: inferenceModel.py reads pages and words with these
READING_PACKAGES = ("onnxruntime", "opencv-python-headless", "numpy", "pillow", "tqdm")


def _with_requirements(names) -> set[str]:
    """``names`` and every distribution they require, transitively (extras left out), normalised."""
    import importlib.metadata as metadata
    import re

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    found, todo = set(), [norm(name) for name in names]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            required = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [norm(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in required if "extra ==" not in r]
    return found


def test_reading_pages_needs_only_the_reading_packages(page_file, tmp_path):
    code = (
        "import importlib.metadata as md, re, runpy, sys\n"
        f"sys.argv = ['inferenceModel.py', '--image', {str(page_file)!r}, '--lm', '--output', "
        f"{str(tmp_path / 'page.json')!r}]\n"
        "try:\n"
        f"    runpy.run_path({str(ROOT / 'inferenceModel.py')!r}, run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    print('exit', stop.code)\n"
        "tops = {m.split('.')[0] for m in list(sys.modules)} - set(sys.stdlib_module_names)\n"
        "where = md.packages_distributions()\n"
        "for top in sorted(tops - {'mltu_ext', '__main__'}):\n"
        "    if not top.startswith('_') and top not in ('sitecustomize', 'usercustomize'):\n"
        "        print('module', top, *(re.sub(r'[-_.]+', '-', d).lower() for d in where.get(top, ['?'])))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    lines = out.stdout.splitlines()
    assert "exit 0" in lines, out.stderr[-2000:]
    allowed = _with_requirements(READING_PACKAGES)
    modules = [line.split()[1:] for line in lines if line.startswith("module ")]
    assert {"onnxruntime", "cv2", "numpy"} <= {m[0] for m in modules}  # the list is what was imported
    outside = [m for m in modules if not set(m[1:]) & allowed]
    assert outside == [], f"imported from packages outside {READING_PACKAGES}: {outside}"


def test_min_confidence_prints_unsure_lines_of_a_page_as_empty(page_file, tmp_path, capsys):
    from mltu_ext.cli import recognize

    target = tmp_path / "page.json"
    args = ["--image", str(page_file), "--model", str(LINES), "--output", str(target)]
    assert recognize.main([*args, "--min-confidence", "1"]) == 0  # every line is less sure than 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [""] * len(TEXTS)
    assert f"{len(TEXTS)} line(s) less sure than 1.0 printed as empty" in err
    # the written page keeps every line, with its confidence
    written = json.loads(target.read_text(encoding="utf-8"))["lines"]
    assert len(written) == len(TEXTS) and all(line["text"] for line in written)
    assert recognize.main([*args, "--min-confidence", "0"]) == 0
    assert all(capsys.readouterr().out.splitlines())


def test_a_sloping_page_is_read_level_and_its_positions_stay_on_the_page(page_file):
    from mltu_ext.pages.deskew import median_slope

    page = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)
    height, width = page.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), -6.0, 1.0)  # lines fall to the right by 6
    sloping = cv2.warpAffine(page, turn, (width, height), borderValue=250)
    read = _reader().read(sloping, page_file.name)
    assert len(read.lines) == len(TEXTS)
    assert cer([read.text], ["\n".join(TEXTS)]) <= MAX_PAGE_CER
    # the positions are those on the page as given: its lines still slope by 6 degrees there
    assert (read.width, read.height) == (width, height)
    assert median_slope(read.lines) == pytest.approx(6.0, abs=1.5)
    points = np.array([p for line in read.lines for p in line.polygon])
    assert points.min() >= 0 and (points.max(axis=0) <= (width - 1, height - 1)).all()
    assert not any("slope" in note for note in read.notes)


def test_a_steeply_sloping_page_is_turned_until_it_lies_level(page_file):
    # its lines break into pieces less steep than they are, so one turn by their slope falls short
    from mltu_ext.pages.deskew import median_slope

    page = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)
    height, width = page.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), -15.0, 1.0)
    read = _reader().read(cv2.warpAffine(page, turn, (width, height), borderValue=250), page_file.name)
    assert len(read.lines) == len(TEXTS)
    assert cer([read.text], ["\n".join(TEXTS)]) <= MAX_PAGE_CER
    assert median_slope(read.lines) == pytest.approx(15.0, abs=1.5)
    assert not any("slope" in note for note in read.notes)


def test_a_negative_page_is_read_inverted_and_says_so(page_file):
    from mltu_ext.pages.page_checks import NEGATIVE_NOTE

    negative = 255 - cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)  # light writing on black, as microfilm
    read = _reader().read(negative, page_file.name)
    assert len(read.lines) == len(TEXTS)
    assert cer([read.text], ["\n".join(TEXTS)]) <= MAX_PAGE_CER
    assert read.notes == (NEGATIVE_NOTE,)


def test_a_black_and_white_page_is_softened_once_and_read(page_file):
    """A page thresholded to black and white: softened as a whole before it is segmented and read."""
    from mltu_ext.data.images import soften_edges

    gray = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)
    bitonal = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    seen = []
    reader = _reader()
    segment = reader.segmenter.segment
    reader.segmenter.segment = lambda page: seen.append(page) or segment(page)
    read = reader.read(bitonal, page_file.name)
    assert len(read.lines) == len(TEXTS)
    assert cer([read.text], ["\n".join(TEXTS)]) <= MAX_PAGE_CER
    np.testing.assert_array_equal(seen[0], soften_edges(bitonal))


def test_without_softening_a_dithered_page_reads_worse(page_file):
    from PIL import Image

    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.page_reader import PageReader
    from mltu_ext.segment.segmenter import OnnxSegmenter

    gray = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)
    gray[gray >= 245] = 255  # white paper, so that only the strokes are dithered
    dithered = np.asarray(Image.fromarray(gray).convert("1"), np.uint8) * 255  # Floyd-Steinberg
    plain = PageReader(OnnxRecognizer(LINES, soften_two_level=False), OnnxSegmenter(SEGMENTER))
    softened = cer([_reader().read(dithered, page_file.name).text], ["\n".join(TEXTS)])
    assert cer([plain.read(dithered, page_file.name).text], ["\n".join(TEXTS)]) > softened + 0.05


def test_a_line_of_a_black_and_white_page_is_trained_on_as_it_is_read(page_file, tmp_path):
    """A line sample cut from a two-level page (PAGE XML, ALTO) reaches the model in training with
    the pixels the page reader gives it for the same outline: both cut it from the softened page."""
    from mltu_ext.data.images import prepare
    from mltu_ext.data.samples import Sample, sample_pixels
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.layout import LineOnPage
    from mltu_ext.pages.page_reader import PageReader

    gray = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE)
    bitonal = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    path = tmp_path / "bitonal.png"
    cv2.imwrite(str(path), bitonal)
    outline = ((140, TOPS[0] - 8), (1460, TOPS[0] - 8), (1460, TOPS[0] + 80), (140, TOPS[0] + 80))
    line = LineOnPage("l1", outline, baseline=((140, TOPS[0] + 54), (1460, TOPS[0] + 54)))

    class OneLine:  # a segmenter that finds this one line on any page
        def segment(self, page):
            return [line]

    recognizer = OnnxRecognizer(LINES)
    batches = []
    prepare_batch = recognizer.prepare_batch
    recognizer.prepare_batch = lambda images: batches.append(prepare_batch(images)) or batches[-1]
    PageReader(recognizer, OneLine(), deskew=False, orient=False).read(bitonal, path.name)
    read = batches[0][0, :, :, 0]  # the first batch holds the line as read_lines cut it
    sample = Sample(TEXTS[0], path=str(path), source="bitonal.xml#l1", region=outline)
    trained = prepare(sample_pixels(sample), recognizer.height, read.shape[1])
    np.testing.assert_array_equal(read, trained.astype(np.float32))


def test_a_folder_of_pages_is_decoded_one_page_at_a_time(tmp_path, monkeypatch, capsys):
    # each page is decoded in its turn, after the one before it was read: a folder of large
    # scans is never held decoded all at once
    from mltu_ext.cli import recognize
    from mltu_ext.data import images
    from mltu_ext.pages.layout import PageText
    from mltu_ext.pages.page_reader import PageReader

    for name in ("a.png", "b.png", "c.png"):
        cv2.imwrite(str(tmp_path / name), np.full((500, 400), 255, np.uint8))
    (tmp_path / "d.png").write_bytes(b"not an image")  # still named, among the others
    cv2.imwrite(str(tmp_path / "word.png"), np.full((60, 200), 255, np.uint8))  # not a page
    events = []
    real_read_gray = images.read_gray

    def read_gray(path, *args, **kwargs):
        events.append(("decode", Path(path).name))
        return real_read_gray(path, *args, **kwargs)

    def read(self, page, image_name):
        events.append(("read", Path(image_name).name))
        return PageText(image_name, page.shape[1], page.shape[0], ())

    monkeypatch.setattr(images, "read_gray", read_gray)
    monkeypatch.setattr(recognize, "read_gray", read_gray)
    monkeypatch.setattr(PageReader, "read", read)
    assert recognize.main(["--image", str(tmp_path), "--model", str(LINES)]) == 2
    pages = [event for event in events if event[1] != "word.png"]
    assert pages == [
        ("decode", "d.png"),  # its header does not tell its shape: decoded first, to see
        ("decode", "a.png"),
        ("read", "a.png"),
        ("decode", "b.png"),
        ("read", "b.png"),
        ("decode", "c.png"),
        ("read", "c.png"),
    ]
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'd.png'}: cannot decode image" in err
    assert "1 of 5 images could not be read" in err


def test_notes_about_pages_are_not_written_onto_the_progress_bar(tmp_path, monkeypatch, capsys):
    # the bar is drawn on stderr without a newline: a plain print would continue its line
    from mltu_ext.cli import recognize
    from mltu_ext.pages.layout import PageText
    from mltu_ext.pages.page_reader import PageReader

    for name in ("a.png", "b.png"):
        cv2.imwrite(str(tmp_path / name), np.full((500, 400), 255, np.uint8))

    def read(self, page, image_name):
        return PageText(image_name, page.shape[1], page.shape[0], (), notes=("looks odd",))

    monkeypatch.setattr(PageReader, "read", read)
    assert recognize.main(["--image", str(tmp_path), "--model", str(LINES)]) == 0
    err = capsys.readouterr().err
    assert "pages:" in err  # the bar was drawn
    rows = [row for row in err.split("\n") if "looks odd" in row or "read as a page" in row]
    assert len(rows) == 4
    for row in rows:  # what a terminal leaves on the row: the text after its last carriage return
        assert row.rpartition("\r")[2].startswith(("note: ", "warning: ")), row


def test_a_page_of_noise_says_its_lines_read_very_unsurely(page_file):
    rng = np.random.default_rng(0)
    page = cv2.imread(str(page_file), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    noisy = np.clip(page + rng.normal(0, 60, page.shape), 0, 255).astype(np.uint8)
    assert any("read very unsurely" in note for note in _reader().read(noisy, "noisy.png").notes)
    assert not any("unsurely" in note for note in _reader().read(page, "page.png").notes)
