"""The JSON, ALTO v4 and PAGE 2019 writers: schema-valid files that the package's own readers read back."""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.errors import ConfigError
from mltu_ext.pages.layout import CharOnPage, LineOnPage, PageText, WordOnPage
from mltu_ext.pages.writers import format_of, write_page
from mltu_ext.pages.writers.alto_out import page_alto
from mltu_ext.pages.writers.page_out import page_xml

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "schemas"


def _page() -> PageText:
    first = LineOnPage(
        "eSc_line_1",
        ((10, 20), (300, 20), (300, 60), (10, 60)),
        baseline=((12, 52), (298, 54)),
        block_id="region_a",
        text="Bonjour à tous",
        confidence=0.61,
        words=(
            WordOnPage("Bonjour", 0.9, (12.0, 20.0, 120.5, 61.0)),
            WordOnPage("à", 0.8, (130.0, 20.0, 150.0, 61.0)),
            WordOnPage("tous", 0.61, (160.0, 20.0, 230.0, 61.0)),
        ),
        chars=tuple(CharOnPage(c, 0.95, 12.0 + 16 * i, 52.5) for i, c in enumerate("Bonjour à tous")),
    )
    second = LineOnPage(
        "2nd line",  # not an XML id: the writers make one
        ((10, 70), (280, 72), (282, 110), (11, 108)),
        baseline=None,
        block_id="region_a",
        text="« fin »",
        confidence=0.4,
        words=(
            WordOnPage("«", 0.9, (10, 70, 20, 110)),
            WordOnPage("fin", 0.5, (30, 70, 80, 110)),
            WordOnPage("»", 0.9, (90, 70, 100, 110)),
        ),
    )
    empty = LineOnPage("blank", ((400, 20), (500, 20), (500, 50), (400, 50)), block_id=None, text="")
    return PageText("page 1.png", 640, 480, (first, second, empty))


def _schema(name: str):
    etree = pytest.importorskip("lxml.etree")
    path = SCHEMAS / name
    if not path.is_file():
        pytest.skip(f"{path} not here")
    return etree, etree.XMLSchema(etree.parse(str(path)))


def _folder_with_image(tmp_path: Path, page: PageText) -> Path:
    cv2.imwrite(str(tmp_path / page.image), np.full((page.height, page.width), 255, np.uint8))
    return tmp_path


def _page_2019(page: PageText) -> str:
    return page_xml(page, datetime.datetime(2026, 1, 2, 3, 4, 5))


@pytest.mark.parametrize(
    ("render", "schema"), [(page_alto, "alto-4-4.xsd"), (_page_2019, "pagecontent-2019-07-15.xsd")]
)
def test_written_xml_is_schema_valid(render, schema):
    etree, checker = _schema(schema)
    document = etree.fromstring(render(_page()).encode("utf-8"))
    assert checker.validate(document), checker.error_log


@pytest.mark.parametrize(("suffix", "fmt"), [(".alto.xml", "alto"), (".page.xml", "page")])
def test_xml_reads_back_as_the_same_lines_and_texts(tmp_path, suffix, fmt):
    from mltu_ext.data import load_dataset

    page = _page()
    folder = _folder_with_image(tmp_path, page)
    write_page(page, folder / f"page 1{suffix}")
    dataset = load_dataset(folder / f"page 1{suffix}")
    samples = dataset.samples
    written = [line for line in page.lines if line.text]  # a line read as nothing is skipped, and counted
    assert [s.text for s in samples] == [line.text for line in written]
    for sample, line in zip(samples, written, strict=True):
        assert np.allclose(np.asarray(sample.region, float), np.asarray(line.polygon, float), atol=0.5)
    assert Path(samples[0].path).name == "page 1.png"


def test_alto_keeps_confidences_ids_and_the_baseline():
    import xml.etree.ElementTree as ET

    root = ET.fromstring(page_alto(_page()))
    ns = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
    lines = root.findall(".//a:TextLine", ns)
    assert [line.get("ID") for line in lines] == ["eSc_line_1", "line_2", "blank"]
    assert (
        lines[0].get("BASELINE") == "12 52 298 54" and lines[1].get("BASELINE") is None
    )  # as eScriptorium writes
    assert lines[0].find("a:Shape/a:Polygon", ns).get("POINTS") == "10 20 300 20 300 60 10 60"
    strings = lines[0].findall("a:String", ns)
    assert [s.get("CONTENT") for s in strings] == ["Bonjour", "à", "tous"]
    assert strings[0].get("WC") == "0.9000" and strings[0].get("CC") == "0 0 0 0 0 0 0"
    assert strings[0].get("HPOS") == "12" and strings[0].get("WIDTH") == "108.5"
    assert len(lines[0].findall("a:SP", ns)) == 2
    assert [s.get("CONTENT") for s in lines[2].findall("a:String", ns)] == [""]
    blocks = root.findall(".//a:TextBlock", ns)
    assert [b.get("ID") for b in blocks] == ["region_a", "block_3"]


def test_page_xml_keeps_the_reading_order_and_confidences():
    import xml.etree.ElementTree as ET

    root = ET.fromstring(page_xml(_page()))
    ns = {"p": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}
    refs = root.findall(".//p:ReadingOrder/p:OrderedGroup/p:RegionRefIndexed", ns)
    regions = root.findall(".//p:TextRegion", ns)
    assert [r.get("regionRef") for r in refs] == [r.get("id") for r in regions] == ["region_a", "block_3"]
    line = regions[0].find("p:TextLine", ns)
    assert line.find("p:TextEquiv", ns).get("conf") == "0.6100"
    assert line.find("p:TextEquiv/p:Unicode", ns).text == "Bonjour à tous"
    assert [w.find("p:TextEquiv/p:Unicode", ns).text for w in line.findall("p:Word", ns)] == [
        "Bonjour",
        "à",
        "tous",
    ]
    # whole non-negative pixels, as PAGE wants
    assert line.find("p:Word/p:Coords", ns).get("points") == "12,20 120,20 120,60 12,60"


def test_both_xml_files_give_each_character_a_box_and_confidence():
    import xml.etree.ElementTree as ET

    alto = ET.fromstring(page_alto(_page()))
    a = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
    first = alto.findall(".//a:TextLine", a)[0].findall("a:String", a)
    glyphs = first[0].findall("a:Glyph", a)
    assert "".join(g.get("CONTENT") for g in glyphs) == "Bonjour"
    assert glyphs[0].get("GC") == "0.9500" and glyphs[0].get("ID") == "eSc_line_1_w1_g1"
    # from the word's left edge (12) to halfway to the next character (12 + 8), the word's height
    assert [glyphs[0].get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == ["12", "20", "8", "41"]
    assert glyphs[-1].get("HPOS") == "100" and glyphs[-1].get("WIDTH") == "20.5"  # to the word's right edge
    assert [g.get("CONTENT") for g in first[1].findall("a:Glyph", a)] == ["à"]
    second = alto.findall(".//a:TextLine", a)[1]  # no characters read: words without glyphs
    assert second.findall(".//a:Glyph", a) == []

    page = ET.fromstring(page_xml(_page()))
    p = {"p": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}
    word = page.findall(".//p:TextLine", p)[0].findall("p:Word", p)[2]
    glyphs = word.findall("p:Glyph", p)
    assert [g.find("p:TextEquiv/p:Unicode", p).text for g in glyphs] == list("tous")
    assert [g.find("p:TextEquiv", p).get("conf") for g in glyphs] == ["0.9500"] * 4
    assert glyphs[0].find("p:Coords", p).get("points") == "160,20 179,20 179,60 160,60"
    assert word.find("p:TextEquiv/p:Unicode", p).text == "tous"  # the word's own text stays its child


def test_characters_that_do_not_spell_the_words_get_no_glyphs():
    import dataclasses
    import xml.etree.ElementTree as ET

    page = _page()
    wrong = dataclasses.replace(page.lines[0], chars=page.lines[0].chars[:-1])  # one character short
    root = ET.fromstring(page_alto(dataclasses.replace(page, lines=(wrong, *page.lines[1:]))))
    assert root.findall(".//{http://www.loc.gov/standards/alto/ns-v4#}Glyph") == []


@pytest.mark.parametrize(
    ("render", "schema"), [(page_alto, "alto-4-4.xsd"), (_page_2019, "pagecontent-2019-07-15.xsd")]
)
def test_ids_made_for_words_and_glyphs_never_repeat_a_line_id(render, schema):
    import dataclasses

    etree, checker = _schema(schema)
    page = _page()
    clash = dataclasses.replace(page.lines[1], line_id="eSc_line_1_w1")  # what the first line's word would be
    document = etree.fromstring(render(dataclasses.replace(page, lines=(page.lines[0], clash))).encode())
    assert checker.validate(document), checker.error_log
    ids = [e.get("ID") or e.get("id") for e in document.iter() if e.get("ID") or e.get("id")]
    assert len(ids) == len(set(ids))


def test_json_has_lines_words_and_characters_in_page_pixels(tmp_path):
    path = write_page(_page(), tmp_path / "out.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["text"] == "Bonjour à tous\n« fin »\n" and data["width"] == 640
    first = data["lines"][0]
    assert first["polygon"][1] == [300, 20] and first["baseline"] == [[12, 52], [298, 54]]
    assert first["words"][0] == {"text": "Bonjour", "confidence": 0.9, "box": [12.0, 20.0, 120.5, 61.0]}
    assert first["chars"][1] == {"char": "o", "confidence": 0.95, "x": 28.0, "y": 52.5}
    assert data["lines"][1]["baseline"] is None and data["lines"][2]["text"] == ""
    assert data["notes"] == []
    noted = write_page(dataclasses.replace(_page(), notes=("turn it upright",)), tmp_path / "noted.json")
    assert json.loads(noted.read_text(encoding="utf-8"))["notes"] == ["turn it upright"]


def test_the_format_comes_from_the_ending_or_is_refused():
    assert format_of("x.PAGE.xml") == "page"
    with pytest.raises(ConfigError, match=r"out\.xml"):
        format_of("out.xml")
    with pytest.raises(ConfigError, match="hocr"):
        format_of("out.json", "hocr")


@pytest.mark.parametrize("suffix", [".alto.xml", ".page.xml"])
def test_layout_files_give_back_baselines_blocks_and_empty_lines(tmp_path, suffix):
    from mltu_ext.pages.layout_file import read_layout_file

    page = _page()
    folder = _folder_with_image(tmp_path, page)
    layout = read_layout_file(write_page(page, folder / f"page 1{suffix}"))
    assert layout.image.name == "page 1.png" and layout.size == (640, 480)
    assert [line.text for line in layout.lines] == [line.text for line in page.lines]
    assert [line.block_id for line in layout.lines] == ["region_a", "region_a", "block_3"]
    assert layout.lines[0].baseline == ((12.0, 52.0), (298.0, 54.0))
    assert layout.lines[1].baseline is None
    assert layout.lines[2].polygon == ((400.0, 20.0), (500.0, 20.0), (500.0, 50.0), (400.0, 50.0))


def test_a_file_that_is_no_layout_is_named(tmp_path):
    from mltu_ext.errors import DatasetError
    from mltu_ext.pages.layout_file import read_layout_file

    other = tmp_path / "mets.xml"
    other.write_text("<mets/>", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"mets\.xml.*'mets'"):
        read_layout_file(other)


def test_segmented_lines_without_blocks_form_one_text_block():
    import dataclasses
    import xml.etree.ElementTree as ET

    page = _page()
    loose = tuple(dataclasses.replace(line, block_id=None) for line in page.lines)  # as the segmenter gives
    alto = ET.fromstring(page_alto(dataclasses.replace(page, lines=loose)))
    blocks = alto.findall(".//{http://www.loc.gov/standards/alto/ns-v4#}TextBlock")
    assert (
        len(blocks) == 1 and len(blocks[0].findall("{http://www.loc.gov/standards/alto/ns-v4#}TextLine")) == 3
    )
    regions = ET.fromstring(page_xml(dataclasses.replace(page, lines=loose))).findall(
        ".//{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}TextRegion"
    )
    assert len(regions) == 1


@pytest.mark.parametrize("suffix", [".alto.xml", ".page.xml"])
def test_an_image_name_that_xml_cannot_hold_is_refused_naming_it(tmp_path, suffix):
    from mltu_ext.errors import OutputWriteError

    page = dataclasses.replace(_page(), image="scan\x01 1.png")  # a control character, legal on Linux
    with pytest.raises(OutputWriteError, match=r"out.*: cannot write: .*U\+0001.*scan\\x01 1\.png.*rename"):
        write_page(page, tmp_path / f"out{suffix}")
    assert not (tmp_path / f"out{suffix}").exists()
    json.loads(write_page(page, tmp_path / "out.json").read_text(encoding="utf-8"))  # JSON escapes it
