"""PAGE XML pages (Transkribus, OCR-D exports) read as one sample per text line."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.data import detect_format, load_dataset
from mltu_ext.data.readers.page_xml import read_page_xml
from mltu_ext.data.samples import sample_pixels
from mltu_ext.errors import DatasetError
from tests.data.readers.test_alto import SCHEMAS, draw_page

PAGE_NS = {
    "2013": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15",
    "2019": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15",
}

# Three lines: the line's own TextEquiv (its Words and Glyphs have theirs too),
# Words with an empty line TextEquiv (their text is the line's), and an empty one.
REGION = """
    <TextRegion id="r1" custom="readingOrder {index:0;} structure {type:paragraph;}">
      <Coords points="0,0 299,0 299,119 0,119"/>
      <TextLine id="l1" custom="readingOrder {index:0;}">
        <Coords points="5,10 290,10 290,45 5,45"/>
        <Baseline points="5,35 290,35"/>
        <Word id="w1">
          <Coords points="5,10 80,10 80,45 5,45"/>
          <Glyph id="g1">
            <Coords points="5,10 20,10 20,45 5,45"/>
            <TextEquiv><Unicode>h</Unicode></TextEquiv>
          </Glyph>
          <TextEquiv><Unicode>hello</Unicode></TextEquiv>
        </Word>
        <TextEquiv><Unicode>hello  world &amp; co</Unicode></TextEquiv>
        <TextStyle fontSize="12"/>
      </TextLine>
      <TextLine id="l2">
        <Coords points="5,60 290,60 290,95 5,95"/>
        <Word id="w2">
          <Coords points="5,60 90,60 90,95 5,95"/><TextEquiv><Unicode>second</Unicode></TextEquiv>
        </Word>
        <Word id="w3">
          <Coords points="100,60 160,60 160,95 100,95"/><TextEquiv><Unicode>line</Unicode></TextEquiv>
        </Word>
        <TextEquiv><Unicode></Unicode></TextEquiv>
      </TextLine>
      <TextLine id="l3">
        <Coords points="5,100 290,100 290,115 5,115"/>
        <TextEquiv><Unicode> </Unicode></TextEquiv>
      </TextLine>
      <TextEquiv><Unicode>hello world &amp; co
second line</Unicode></TextEquiv>
    </TextRegion>"""


def page_xml(body: str = REGION, version: str = "2019", image: str = "scan_001.png", size=(300, 120)) -> str:
    """A PAGE document (schema-valid for both versions with the default body)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="{PAGE_NS[version]}">
  <Metadata>
    <Creator>tests</Creator>
    <Created>2024-05-01T10:00:00</Created>
    <LastChange>2024-05-01T10:00:00</LastChange>
  </Metadata>
  <Page imageFilename="{image}" imageWidth="{size[0]}" imageHeight="{size[1]}">
    <ReadingOrder>
      <OrderedGroup id="ro1" caption="Regions reading order">
        <RegionRefIndexed index="0" regionRef="r1"/>
      </OrderedGroup>
    </ReadingOrder>{body}
  </Page>
</PcGts>
"""


def transkribus_export(root: Path, text: str, stem: str = "scan_001") -> Path:
    """``root/<stem>.png``, ``root/page/<stem>.xml`` and a ``root/mets.xml``, as Transkribus exports them."""
    draw_page(root / f"{stem}.png")
    (root / "page").mkdir(parents=True, exist_ok=True)
    (root / "mets.xml").write_text('<mets xmlns="http://www.loc.gov/METS/"/>')
    xml = root / "page" / f"{stem}.xml"
    xml.write_text(text, encoding="utf-8")
    return xml


@pytest.mark.parametrize("version", ["2013", "2019"])
def test_transkribus_export_lines_texts_and_crops(tmp_path, version):
    transkribus_export(tmp_path, page_xml(version=version))
    assert detect_format(tmp_path) == "page_xml"
    dataset = load_dataset(tmp_path)
    assert dataset.format == "page_xml"
    assert [s.text for s in dataset.samples] == ["hello world & co", "second line"]
    assert dataset.skipped == {"empty line text": 1, "XML files that are not PcGts": 1}
    assert any("mets.xml" in note for note in dataset.notes)
    assert [s.name for s in dataset.samples] == ["page/scan_001.xml#l1", "page/scan_001.xml#l2"]
    assert {s.writer for s in dataset.samples} == {"scan_001"}
    assert Path(dataset.samples[0].path) == tmp_path / "scan_001.png"
    assert [sample_pixels(s).shape for s in dataset.samples] == [(36, 286), (36, 286)]


def test_table_cells_custom_elements_and_alternatives(tmp_path):
    body = """
    <TranskribusMetadata docId="1" pageId="2" status="GT"/>
    <TableRegion id="t1" custom="structure {type:table;}">
      <Coords points="0,0 299,0 299,119 0,119"/>
      <TableCell row="0" col="0" id="c1" unknown="x">
        <Coords points="0,0 299,0 299,59 0,59"/>
        <CornerPts>0 1 2 3</CornerPts>
        <TextLine id="cell_line">
          <Coords points="5,10 290,10 290,45 5,45"/>
          <TextEquiv index="2"><Unicode>second choice</Unicode></TextEquiv>
          <TextEquiv index="1"><Unicode>first choice</Unicode></TextEquiv>
        </TextLine>
      </TableCell>
    </TableRegion>
    <TextRegion id="r2"><TextRegion id="r3">
      <TextLine id="old_style">
        <Coords><Point x="5" y="60"/><Point x="290" y="60"/><Point x="290" y="95"/></Coords>
        <TextEquiv><Unicode>nested</Unicode></TextEquiv></TextLine>
    </TextRegion></TextRegion>"""
    xml = transkribus_export(tmp_path, page_xml(body))
    samples = read_page_xml(xml)
    assert [s.text for s in samples] == ["first choice", "nested"]
    assert sample_pixels(samples[1]).shape == (36, 286)


def test_a_scaled_image_scales_the_coordinates(tmp_path):
    page = draw_page(tmp_path / "full.png")
    small = cv2.resize(page, (150, 60), interpolation=cv2.INTER_AREA)
    assert cv2.imwrite(str(tmp_path / "scan_001.png"), small)
    (tmp_path / "scan_001.xml").write_text(page_xml(), encoding="utf-8")  # says 300 x 120
    samples = load_dataset(tmp_path).samples
    assert samples[0].region == ((2, 5), (145, 5), (145, 22), (2, 22))
    assert sample_pixels(samples[0]).shape == (18, 144)


def test_a_scaled_image_keeps_its_note(tmp_path):
    page = draw_page(tmp_path / "full.png")
    # a third of 300 x 120, rounded: the shape kept but for the rounding
    assert cv2.imwrite(str(tmp_path / "scan_001.png"), cv2.resize(page, (100, 41)))
    (tmp_path / "scan_001.xml").write_text(page_xml(), encoding="utf-8")
    dataset = load_dataset(tmp_path)
    assert len(dataset.samples) == 2
    assert "coordinates of 1 file(s) scaled to their image's size" in dataset.notes


@pytest.mark.parametrize("image_size", [(150, 120), (300, 60), (309, 120)])
def test_an_image_of_another_shape_than_the_page_is_refused(tmp_path, image_size):
    # was: every line stretched to the other image with only a note that coordinates were scaled
    page = draw_page(tmp_path / "full.png")
    assert cv2.imwrite(str(tmp_path / "scan_001.png"), cv2.resize(page, image_size))
    xml = tmp_path / "scan_001.xml"
    xml.write_text(page_xml(), encoding="utf-8")
    message = (
        rf"{re.escape(str(xml))}: the page is declared 300x120 pixels and its image .*scan_001\.png is "
        rf"{image_size[0]}x{image_size[1]}, .*most likely not this file's image"
    )
    with pytest.raises(DatasetError, match=message):
        load_dataset(tmp_path)
    from mltu_ext.pages.layout_file import read_layout_file  # the page tools' way in

    with pytest.raises(DatasetError, match=message):
        read_layout_file(xml)


def test_a_line_with_only_a_baseline_stops_with_file_line_and_id(tmp_path):
    body = REGION.replace('<Coords points="5,60 290,60 290,95 5,95"/>', '<Baseline points="5,90 290,90"/>')
    text = page_xml(body)
    xml = transkribus_export(tmp_path, text)
    number = next(i for i, row in enumerate(text.splitlines(), 1) if 'id="l2"' in row)
    with pytest.raises(DatasetError) as caught:
        load_dataset(tmp_path)
    assert str(caught.value).startswith(f"{xml}:{number}: TextLine 'l2' (text line #2): no coordinates")
    assert "Baseline" in str(caught.value)


def test_bad_files_stop_with_their_name(tmp_path):
    xml = transkribus_export(tmp_path, page_xml().replace("</TextLine>", "", 1))
    with pytest.raises(DatasetError, match=rf"{re.escape(str(xml))}:\d+: malformed XML"):
        load_dataset(tmp_path, fmt="page_xml")
    xml.write_text(page_xml(image="lost.tif"), encoding="utf-8")
    (tmp_path / "scan_001.png").unlink()
    with pytest.raises(DatasetError, match=rf"{re.escape(str(xml))}: image 'lost\.tif' not found"):
        load_dataset(tmp_path)
    xml.write_text(page_xml(REGION.replace("5,10 290,10", "5,10 2a0,10")), encoding="utf-8")
    draw_page(tmp_path / "lost.tif")
    with pytest.raises(
        DatasetError,
        match=r"TextLine 'l1' \(text line #1\): bad Coords points: point value '2a0' is not a number",
    ):
        load_dataset(tmp_path)


@pytest.mark.parametrize("width", ["nan", "0"])
def test_an_image_size_that_is_no_usable_number_stops_with_the_file(tmp_path, width):
    xml = transkribus_export(tmp_path, page_xml(size=(width, 120)))
    expected = rf"{re.escape(str(xml))}.*imageWidth='{width}' is not a usable size"
    with pytest.raises(DatasetError, match=expected):
        read_page_xml(tmp_path)


def test_writer_pattern_and_a_single_file(tmp_path):
    for stem in ("doc_1", "doc_2"):
        transkribus_export(tmp_path, page_xml(image=f"{stem}.png"), stem=stem)
    samples = load_dataset(tmp_path, writer_pattern=r"^(.*?)(?:_\d)?$").samples
    assert {s.writer for s in samples} == {"doc"} and len(samples) == 4
    single = tmp_path / "page" / "doc_2.xml"
    assert detect_format(single) == "page_xml"
    assert [s.name for s in load_dataset(single).samples] == ["doc_2.xml#l1", "doc_2.xml#l2"]


@pytest.mark.parametrize("version", ["2013", "2019"])
def test_written_page_xml_is_schema_valid(version):
    etree = pytest.importorskip("lxml.etree")
    schema_file = SCHEMAS / f"pagecontent-{'2013' if version == '2013' else '2019'}-07-15.xsd"
    if not schema_file.is_file():
        pytest.skip(f"{schema_file} not here")
    schema = etree.XMLSchema(etree.parse(str(schema_file)))
    document = etree.fromstring(page_xml(version=version).encode())
    assert schema.validate(document), schema.error_log


def test_page_pixels_outside_the_line_become_paper(tmp_path):
    page = np.full((120, 300), 230, np.uint8)
    page[40:60, :] = 0  # a dark bar crossing the line's box below its slanted outline
    assert cv2.imwrite(str(tmp_path / "scan_001.png"), page)
    body = REGION.replace("5,10 290,10 290,45 5,45", "5,10 290,10 290,30 5,60")
    (tmp_path / "scan_001.xml").write_text(page_xml(body), encoding="utf-8")
    crop = sample_pixels(load_dataset(tmp_path).samples[0])
    assert crop.shape == (51, 286)
    assert crop[45, 280] == 230  # the bar outside the outline is paper now
    assert crop[45, 2] == 0  # and inside it, still ink


def test_a_file_with_two_pages_stops_with_the_file(tmp_path):
    # was: the second Page's lines were cut from the first Page's image, its own image never read
    second = '<Page imageFilename="scan_002.png" imageWidth="300" imageHeight="120">' + REGION + "</Page>"
    text = page_xml().replace("</PcGts>", "").rstrip() + "\n  " + second + "\n</PcGts>\n"
    xml = transkribus_export(tmp_path, text)
    with pytest.raises(DatasetError, match=re.escape(f"{xml}: 2 Page elements")):
        load_dataset(tmp_path)


def one_line_region(text: str) -> str:
    return f"""
    <TextRegion id="r1"><Coords points="0,0 299,0 299,119 0,119"/>
      <TextLine id="a"><Coords points="5,10 290,10 290,45 5,45"/>
        <TextEquiv><Unicode>hello</Unicode></TextEquiv></TextLine>
      <TextLine id="b"><Coords points="5,60 290,60 290,95 5,95"/>
        <TextEquiv><Unicode>{text}</Unicode></TextEquiv></TextLine>
    </TextRegion>"""


def test_a_line_of_invisible_characters_is_an_empty_line(tmp_path):
    # was: a sample labelled U+200B, which training then refused naming only the page image
    transkribus_export(tmp_path, page_xml(body=one_line_region("\u200b&#x200d;")))
    dataset = load_dataset(tmp_path)
    assert [s.text for s in dataset.samples] == ["hello"]
    assert dataset.skipped["empty line text"] == 1


def test_a_control_character_in_a_line_stops_with_file_line_and_id(tmp_path):
    xml = transkribus_export(tmp_path, page_xml(body=one_line_region("wo&#x7f;rld")))
    with pytest.raises(DatasetError, match=re.escape(f"{xml}:") + r"\d+: TextLine 'b' .*control character"):
        load_dataset(tmp_path)
