"""ALTO XML pages read as one sample per text line, on pages drawn here and on real Copiste files."""

from __future__ import annotations

import re
import shutil
import statistics
from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.cli.data import main as data_main
from mltu_ext.data import detect_format, load_dataset
from mltu_ext.data.readers.alto import read_alto
from mltu_ext.data.samples import sample_pixels
from mltu_ext.data.split import sample_key
from mltu_ext.errors import ConfigError, DatasetError

REPO = Path(__file__).resolve().parents[3]
SCHEMAS = REPO.parent / "shared" / "schemas"
COPISTE = REPO.parent / "shared" / "data" / "copiste"
ALTO_NS = {
    "v2": "http://www.loc.gov/standards/alto/ns-v2#",
    "v3": "http://www.loc.gov/standards/alto/ns-v3#",
    "v4": "http://www.loc.gov/standards/alto/ns-v4#",
    "none": None,
}
COPISTE_WRITER = r"^(.*?)(?:_\d)?$"


def draw_page(path: Path, lines: tuple[str, ...] = ("hello world", "second line")) -> np.ndarray:
    """A 300 x 120 white page with one text line per 50 pixels (baselines at y = 35, 85)."""
    page = np.full((120, 300), 255, np.uint8)
    for i, text in enumerate(lines):
        cv2.putText(page, text, (10, 35 + 50 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), page)
    return page


def box(x0: int, y0: int, x1: int, y1: int, comma: bool = False) -> str:
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    return " ".join(f"{x},{y}" if comma else f"{x} {y}" for x, y in corners)


def alto(
    lines: str, ns: str | None = ALTO_NS["v4"], image: str | None = "scan_001.png", extra: str = ""
) -> str:
    """An ALTO document (schema-valid for v4) around the TextLine elements ``lines``."""
    xmlns = f' xmlns="{ns}"' if ns else ""
    name = f"<sourceImageInformation><fileName>{image}</fileName></sourceImageInformation>" if image else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alto{xmlns}>
  <Description>
    <MeasurementUnit>pixel</MeasurementUnit>
    {name}
  </Description>
  <Layout>
    <Page ID="page1" PHYSICAL_IMG_NR="1" WIDTH="300" HEIGHT="120">
      <PrintSpace ID="ps1" HPOS="0" VPOS="0" WIDTH="300" HEIGHT="120">
        {extra}
        <TextBlock ID="block1">
{lines}
        </TextBlock>
      </PrintSpace>
    </Page>
  </Layout>
</alto>
"""


def line(
    line_id: str, strings: str, points: str | None, rect: str = 'HPOS="5" VPOS="10" WIDTH="286" HEIGHT="36"'
) -> str:
    shape = f'<Shape><Polygon POINTS="{points}"/></Shape>' if points is not None else ""
    return f'          <TextLine ID="{line_id}" {rect}>{shape}{strings}</TextLine>'


LINES_V4 = "\n".join(
    (
        line("l_a", '<String CONTENT="hello"/><SP/><String CONTENT="world"/>', box(5, 10, 290, 45)),
        line("l_empty", '<String CONTENT="  "/>', box(5, 46, 290, 59)),
        line(
            "l_b",
            '<String CONTENT="l&apos;&#xE9;t&#233;"/><SP/><String CONTENT="&amp;  co"/>',
            box(5, 60, 290, 95),
        ),
    )
)


def copiste_layout(root: Path, xml_text: str, stem: str = "page_1", image: str = "scan_001.png") -> Path:
    """``root/images/<image>`` and ``root/alto/<stem>.xml``, as eScriptorium exports them."""
    draw_page(root / "images" / image)
    (root / "alto").mkdir(parents=True, exist_ok=True)
    xml = root / "alto" / f"{stem}.xml"
    xml.write_text(xml_text, encoding="utf-8")
    return xml


def test_alto_v4_lines_texts_and_crops_through_load_dataset(tmp_path):
    page = draw_page(tmp_path / "images" / "scan_001.png")
    copiste_layout(tmp_path, alto(LINES_V4))
    assert detect_format(tmp_path) == "alto"
    dataset = load_dataset(tmp_path)
    assert dataset.format == "alto"
    assert [s.text for s in dataset.samples] == ["hello world", "l'été & co"]
    assert dataset.skipped == {"empty line text": 1}
    assert "1 empty line text" in dataset.summary()
    first, second = dataset.samples
    assert {s.writer for s in dataset.samples} == {"page_1"}
    assert first.name == "alto/page_1.xml#l_a" and second.name == "alto/page_1.xml#l_b"
    assert Path(first.path) == tmp_path / "images" / "scan_001.png"  # via sourceImageInformation
    crop = sample_pixels(first)
    assert crop.shape == (36, 286)
    np.testing.assert_array_equal(crop, page[10:46, 5:291])
    assert crop.min() < 50  # the ink of "hello world" is in it
    assert sample_key(first) != sample_key(second)


def test_a_phone_photo_turned_by_its_exif_orientation_is_cut_upright(tmp_path):
    from PIL import Image

    page = draw_page(tmp_path / "upright.png")
    (tmp_path / "images").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored a quarter turn anticlockwise; a viewer turns it clockwise
    stored = Image.fromarray(np.rot90(page, 1))  # 120 x 300 as stored, 300 x 120 as shown
    stored.save(tmp_path / "images" / "scan_001.jpg", quality=95, exif=exif)
    xml = tmp_path / "alto" / "page_1.xml"
    xml.parent.mkdir()
    xml.write_text(alto(LINES_V4, image="scan_001.jpg"), encoding="utf-8")  # upright coordinates
    first = load_dataset(tmp_path).samples[0]
    crop = sample_pixels(first)
    assert crop.shape == (36, 286)  # not rescaled as if the page were 120 x 300
    assert np.abs(crop.astype(int) - page[10:46, 5:291]).mean() < 6  # JPEG: close, not equal
    # a layout made on the stored, sideways pixels would be stretched to fit: refused instead
    sideways = alto(LINES_V4, image="scan_001.jpg").replace(
        'WIDTH="300" HEIGHT="120"', 'WIDTH="120" HEIGHT="300"'
    )
    xml.write_text(sideways, encoding="utf-8")
    with pytest.raises(
        DatasetError, match=r"page_1\.xml: the page is declared 120x300 .* upright as 300x120"
    ):
        load_dataset(tmp_path)


@pytest.mark.parametrize("version", ["v3", "v4", "none"])
def test_any_alto_namespace_reads_the_same(tmp_path, version):
    xml = copiste_layout(tmp_path, alto(LINES_V4, ns=ALTO_NS[version]))
    samples = read_alto(xml)
    assert [s.text for s in samples] == ["hello world", "l'été & co"]
    assert [sample_pixels(s).shape for s in samples] == [(36, 286), (36, 286)]


def test_alto_v2_comma_points_and_box_without_polygon(tmp_path):
    draw_page(tmp_path / "page_1.png")  # beside the XML, found by the XML's stem
    lines = "\n".join(
        (
            line(
                "a",
                '<String CONTENT="hello"/><SP/><String CONTENT="world"/>',
                box(5, 10, 290, 45, comma=True),
            ),
            line(
                "b",
                '<String CONTENT="second"/><String CONTENT="line"/>',
                None,
                'HPOS="5" VPOS="60" WIDTH="200" HEIGHT="30"',
            ),
        )
    )
    (tmp_path / "page_1.xml").write_text(alto(lines, ns=ALTO_NS["v2"], image=None), encoding="utf-8")
    dataset = load_dataset(tmp_path)
    assert dataset.format == "alto"
    assert [s.text for s in dataset.samples] == ["hello world", "second line"]
    assert [sample_pixels(s).shape for s in dataset.samples] == [(36, 286), (30, 200)]


def test_nesting_unknown_elements_and_hyphen(tmp_path):
    lines = """
          <ComposedBlock ID="cb1" xmlns:x="urn:x" x:custom="yes">
            <TextBlock ID="inner" LANG="fr">
              <TextLine ID="n1" HPOS="5" VPOS="10" WIDTH="286" HEIGHT="36" unknown="1">
                <Shape><Polygon POINTS="5 10 290 10 290 45 5 45"/></Shape>
                <String CONTENT="tele"><Glyph CONTENT="t"/></String><HYP CONTENT="-"/>
                <Mystery>ignored</Mystery>
              </TextLine>
            </TextBlock>
          </ComposedBlock>"""
    xml = copiste_layout(tmp_path, alto("", extra=lines))
    samples = read_alto(xml)
    assert [s.text for s in samples] == ["tele-"]


def test_mm10_coordinates_are_scaled_to_the_image(tmp_path):
    # the same page described in tenths of a millimetre: every value doubled
    text = alto(
        line(
            "a",
            '<String CONTENT="hello"/>',
            box(10, 20, 580, 90),
            'HPOS="10" VPOS="20" WIDTH="572" HEIGHT="72"',
        )
    )
    text = text.replace("<MeasurementUnit>pixel", "<MeasurementUnit>mm10").replace(
        'WIDTH="300" HEIGHT="120"', 'WIDTH="600" HEIGHT="240"'
    )
    copiste_layout(tmp_path, text)
    dataset = load_dataset(tmp_path)
    (sample,) = dataset.samples
    assert sample.region == ((5, 10), (290, 10), (290, 45), (5, 45))
    assert sample_pixels(sample).shape == (36, 286)
    assert any("scaled" in note for note in dataset.notes)


def test_missing_image_names_the_file_and_the_image(tmp_path):
    (tmp_path / "alto").mkdir()
    xml = tmp_path / "alto" / "page_1.xml"
    xml.write_text(alto(LINES_V4, image="nothere.jpg"), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"page_1\.xml: image 'nothere\.jpg' not found"):
        load_dataset(tmp_path)


def test_an_image_named_like_the_file_stands_in_with_a_note(tmp_path):
    copiste_layout(tmp_path, alto(LINES_V4, image="other.jpg"), stem="scan_001")
    dataset = load_dataset(tmp_path)
    assert {Path(s.path).name for s in dataset.samples} == {"scan_001.png"}
    assert any("names the image 'other.jpg', which is not there; scan_001.png" in n for n in dataset.notes)


def test_a_file_of_two_pages_is_refused(tmp_path):
    one = alto(LINES_V4)
    page = one[one.index("<Page ") : one.index("</Page>") + len("</Page>")]
    xml = copiste_layout(tmp_path, one.replace("</Page>", "</Page>" + page.replace('ID="page1"', 'ID="p2"')))
    with pytest.raises(DatasetError, match=rf"{re.escape(str(xml))}: 2 Page elements"):
        read_alto(xml)


def test_line_without_coordinates_names_file_line_and_id(tmp_path):
    lines = LINES_V4 + "\n" + line("l_bare", '<String CONTENT="x"/>', None, rect="")
    text = alto(lines)
    xml = copiste_layout(tmp_path, text)
    number = next(i for i, row in enumerate(text.splitlines(), 1) if 'ID="l_bare"' in row)
    with pytest.raises(DatasetError) as caught:
        read_alto(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{xml}:{number}: TextLine 'l_bare' (text line #4)")
    assert "no coordinates" in message


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        ("1 2 x 4 5 6", "'x' is not a number"),
        ("1 2 3 4", "at least 3"),
        ("1 2 3", "odd"),
        ("5 10 50 10 90 10", "no area"),  # three points on one line: nothing to cut out
        ("1e308 10 50 10 90 40", "beyond any page"),
        ("nan 10 50 10 90 40", "finite"),
    ],
)
def test_bad_points_stop_with_the_line(tmp_path, points, problem):
    xml = copiste_layout(tmp_path, alto(line("bad", '<String CONTENT="x"/>', points)))
    with pytest.raises(DatasetError, match=rf"{re.escape(str(xml))}:\d+: TextLine 'bad'.*{problem}"):
        read_alto(xml)


@pytest.mark.parametrize(
    "rect", ['HPOS="nan" VPOS="10" WIDTH="286" HEIGHT="36"', 'HPOS="5" VPOS="10" WIDTH="0" HEIGHT="0"']
)
def test_a_box_that_is_not_finite_or_has_no_area_stops_with_the_line(tmp_path, rect):
    xml = copiste_layout(tmp_path, alto(line("boxed", '<String CONTENT="x"/>', None, rect)))
    with pytest.raises(DatasetError, match=r"TextLine 'boxed'.*not finite, or a box with no area"):
        read_alto(xml)


@pytest.mark.parametrize("size", ["nan", "inf", "-300"])
def test_a_page_size_that_is_no_usable_number_stops_with_the_file(tmp_path, size):
    text = alto(LINES_V4).replace('WIDTH="300" HEIGHT="120">', f'WIDTH="{size}" HEIGHT="120">', 1)
    xml = copiste_layout(tmp_path, text)
    with pytest.raises(DatasetError, match=rf"{re.escape(str(xml))}.*WIDTH='{size}' is not a usable size"):
        read_alto(xml)


def test_a_line_with_boxes_on_its_words_only_is_cut_around_them(tmp_path):
    strings = (
        '<String CONTENT="left" HPOS="20" VPOS="30" WIDTH="60" HEIGHT="25"/><SP/>'
        '<String CONTENT="right" HPOS="100" VPOS="28" WIDTH="80" HEIGHT="30"/>'
    )
    xml = copiste_layout(tmp_path, alto(line("words_only", strings, None, rect="")))
    (sample,) = read_alto(xml)
    assert sample.text == "left right"
    assert sample_pixels(sample).shape == (30, 160)  # rows 28-57, columns 20-179


def test_malformed_files_stop_with_the_file(tmp_path):
    xml = copiste_layout(tmp_path, alto(LINES_V4).replace("</TextBlock>", ""))
    with pytest.raises(DatasetError, match=rf"{re.escape(str(xml))}:\d+: malformed XML"):
        load_dataset(tmp_path, fmt="alto")
    other = tmp_path / "other.xml"
    other.write_text("<mets/>")
    with pytest.raises(DatasetError, match="root element is 'mets', expected 'alto'"):
        read_alto(other)


def test_a_folder_without_xml_read_as_alto_says_so(tmp_path):
    (tmp_path / "labels.csv").write_text("file_name,text\na.png,word\n")
    with pytest.raises(DatasetError, match=r"no \.xml files to read as alto layout files"):
        load_dataset(tmp_path, fmt="alto")


def test_writer_pattern_joins_page_suffixes(tmp_path):
    for stem in ("x_1", "x_2", "y"):
        copiste_layout(tmp_path, alto(LINES_V4, image=f"{stem}.png"), stem=stem, image=f"{stem}.png")
    dataset = load_dataset(tmp_path, writer_pattern=COPISTE_WRITER)
    assert [s.writer for s in dataset.samples] == ["x", "x", "x", "x", "y", "y"]
    assert {s.writer for s in load_dataset(tmp_path).samples} == {"x_1", "x_2", "y"}
    with pytest.raises(DatasetError, match=r"x_1\.xml: the writer pattern '\^z' does not match 'x_1'"):
        load_dataset(tmp_path, writer_pattern="^z")
    with pytest.raises(ConfigError, match="not a regular expression"):
        read_alto(tmp_path, writer_pattern="(")


def test_detection_of_single_files_and_flat_folders(tmp_path):
    flat = tmp_path / "flat"
    draw_page(flat / "scan_001.png")
    (flat / "page.xml").write_text(alto(LINES_V4), encoding="utf-8")
    assert detect_format(flat) == "alto"
    assert detect_format(flat / "page.xml") == "alto"
    assert len(load_dataset(flat / "page.xml").samples) == 2


@pytest.mark.parametrize("comments", [1, 2000])
def test_detection_finds_the_root_after_a_long_prolog(tmp_path, comments):
    # one long comment, or many short ones, before the root: a tool's licence or history
    from tests.data.readers.test_page_xml import page_xml

    size = 200_000 // comments
    prolog = "".join(f"<!-- {'history ' * (size // 8)}-->\n" for _ in range(comments))
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    draw_page(tmp_path / "alto" / "scan_001.png")
    draw_page(tmp_path / "page" / "scan_001.png")
    (tmp_path / "alto" / "page.xml").write_text(alto(LINES_V4).replace(declaration, declaration + prolog))
    (tmp_path / "page" / "page.xml").write_text(page_xml().replace(declaration, declaration + prolog))
    assert all((tmp_path / kind / "page.xml").stat().st_size > 200_000 for kind in ("alto", "page"))
    assert detect_format(tmp_path / "alto") == "alto"
    assert detect_format(tmp_path / "alto" / "page.xml") == "alto"
    assert detect_format(tmp_path / "page" / "page.xml") == "page_xml"
    assert len(load_dataset(tmp_path / "page").samples) == 2


def test_check_command_with_writer_pattern(tmp_path, capsys):
    for stem in ("x_1", "x_2"):
        copiste_layout(tmp_path, alto(LINES_V4, image=f"{stem}.png"), stem=stem, image=f"{stem}.png")
    assert (
        data_main(["check", "--dataset", str(tmp_path), "--writer-pattern", COPISTE_WRITER, "--workers", "2"])
        == 0
    )
    out = capsys.readouterr().out
    assert "4 samples (alto)" in out and "2 empty line text" in out
    assert "Samples: 4 from 1 writers" in out
    assert "Image height: min 36" in out
    # the lines of one page share its file: that is not a duplicated image
    assert "appear more than once" not in out


def test_written_alto_v4_is_schema_valid(tmp_path):
    etree = pytest.importorskip("lxml.etree")
    schema_file = SCHEMAS / "alto-4-4.xsd"
    if not schema_file.is_file():
        pytest.skip(f"{schema_file} not here")
    schema = etree.XMLSchema(etree.parse(str(schema_file)))
    for text in (alto(LINES_V4), alto(LINES_V4, image=None)):
        document = etree.fromstring(text.encode())
        assert schema.validate(document), schema.error_log


@pytest.mark.skipif(not (COPISTE / "alto").is_dir(), reason="the Copiste pages are not here")
def test_two_real_copiste_pages(tmp_path):
    stems = ("imp_wikitexte_0051_1", "imp_wikitexte_0051_2")
    for folder, suffix in (("alto", ".xml"), ("images", ".jpg")):
        (tmp_path / folder).mkdir()
        for stem in stems:
            shutil.copy(COPISTE / folder / f"{stem}{suffix}", tmp_path / folder)
    dataset = load_dataset(tmp_path, writer_pattern=COPISTE_WRITER)
    assert dataset.format == "alto"
    counted = [
        len(re.findall(r'<String CONTENT="[^"]*\S', (tmp_path / "alto" / f"{s}.xml").read_text()))
        for s in stems
    ]
    assert counted == [25, 3]  # one String with text per line in these files
    assert len(dataset.samples) == sum(counted)
    assert {s.writer for s in dataset.samples} == {"imp_wikitexte_0051"}
    heights = [sample_pixels(s).shape[0] for s in dataset.samples]
    assert 35 <= min(heights) and max(heights) <= 150
    assert 50 <= statistics.median(heights) <= 130


COMPOSED, DECOMPOSED = "caf\u00e9", "cafe\u0301"  # "café" as most systems write it, and as macOS does


@pytest.mark.parametrize(("named", "on_disk"), [(DECOMPOSED, COMPOSED), (COMPOSED, DECOMPOSED)])
def test_an_image_named_in_the_other_unicode_form_is_found(tmp_path, named, on_disk):
    copiste_layout(tmp_path, alto(LINES_V4, image=f"{named}.png"), image=f"{on_disk}.png")
    # was: "page_1.xml: image 'café.png' not found", the name looking the same
    dataset = load_dataset(tmp_path)
    assert {Path(s.path) for s in dataset.samples} == {tmp_path / "images" / f"{on_disk}.png"}
    assert not any("which is not there" in note for note in dataset.notes)


def test_an_exact_image_name_comes_before_its_other_unicode_form(tmp_path):
    for named, other in ((COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)):
        root = tmp_path / named
        draw_page(root / "images" / f"{other}.png")
        copiste_layout(root, alto(LINES_V4, image=f"{named}.png"), image=f"{named}.png")
        assert {Path(s.path).name for s in load_dataset(root).samples} == {f"{named}.png"}


def test_a_folder_of_the_image_path_in_the_other_unicode_form_is_found(tmp_path):
    draw_page(tmp_path / f"{COMPOSED}_scans" / "scan_001.png")
    (tmp_path / "alto").mkdir()
    (tmp_path / "alto" / "page_1.xml").write_text(
        alto(LINES_V4, image=f"../{DECOMPOSED}_scans/scan_001.png"), encoding="utf-8"
    )
    samples = load_dataset(tmp_path / "alto", "alto").samples
    assert {Path(s.path).resolve() for s in samples} == {tmp_path / f"{COMPOSED}_scans" / "scan_001.png"}


def test_a_file_naming_no_image_with_none_beside_it_says_so(tmp_path):
    (tmp_path / "alto").mkdir()
    xml = tmp_path / "alto" / "page_1.xml"
    xml.write_text(alto(LINES_V4, image=None), encoding="utf-8")
    # was: "page_1.xml: no image named in the file not found; ..."
    message = rf"{re.escape(str(xml))}: the file names no image, and no image with its stem \(page_1, "
    with pytest.raises(DatasetError, match=message + r".*\) was found beside it; looked in "):
        load_dataset(tmp_path)
