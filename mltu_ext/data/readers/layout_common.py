"""The read loop of the ALTO and PAGE XML readers: each file's text lines as samples.

Both formats describe a page image and its text lines, each with an outline
(polygon) and a transcription. The format modules only say where those are
in their XML (:class:`PageInfo`, :class:`LineInfo`); this module finds the
files and the image (:mod:`~mltu_ext.data.readers.layout_files`), scales the
coordinates to the image's pixels (:mod:`~mltu_ext.data.readers.layout_geometry`)
and turns each line into a :class:`Sample` whose ``region`` is the outline.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mltu_ext.data.images import upright_size
from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.common import SHOW_NAMES, require_samples
from mltu_ext.data.readers.layout_files import ImageFinder, compile_writer_pattern, writer_id, xml_files
from mltu_ext.data.readers.layout_geometry import Points, outside_image, scale_factors, scale_points
from mltu_ext.data.readers.layout_xml import element_line, local_name
from mltu_ext.data.samples import Sample
from mltu_ext.data.vocabulary import is_empty_label, label_problem
from mltu_ext.errors import DatasetError


class LineProblem(ValueError):
    """A text line that cannot be used; the read loop adds the file and line number."""

    def __init__(self, index: int, line_id: str | None, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.line_id = line_id


@dataclass(frozen=True)
class PageInfo:
    """What a file says about its page: the image it names and the size its coordinates refer to."""

    image: str | None
    width: float | None = None
    height: float | None = None
    unit: str = "pixel"


@dataclass(frozen=True)
class LineInfo:
    """One text line: its position among the file's TextLines (from 1), ID, text and outline.

    ``points`` is None only for a line without text, which is skipped; a line
    with text but no outline is the format parser's LineProblem.
    """

    index: int
    line_id: str | None
    text: str
    points: Points | None
    baseline: tuple[tuple[float, float], ...] | None = None  # two or more points, when given
    block_id: str | None = None  # the enclosing TextBlock (ALTO) or TextRegion (PAGE)


# A format's parser: the root element -> the page and its lines; raises LineProblem or ValueError.
PageParser = Callable[[ET.Element], tuple[PageInfo, list[LineInfo]]]


def read_layout(
    path: Path | str,
    log: ReadLog | None,
    writer_pattern: str | re.Pattern | None,
    root_name: str,
    parse_page: PageParser,
) -> list[Sample]:
    """Samples of every text line in the XML files at PATH whose root is ``root_name``.

    Other XML files in a folder (a Transkribus ``mets.xml``) are skipped and
    counted; PATH itself being such a file is an error.
    """
    path = Path(path)
    log = log if log is not None else ReadLog()
    pattern = compile_writer_pattern(writer_pattern)
    root_folder = path if path.is_dir() else path.parent
    finder = ImageFinder()
    samples: list[Sample] = []
    others: list[str] = []
    scaled = 0
    files = list(xml_files(path))
    if not files:
        raise DatasetError(f"{path}: no .xml files to read as {root_name} layout files")
    for xml in files:
        data, root = _parse(xml)
        if local_name(root.tag) != root_name:
            if xml == path:
                raise DatasetError(f"{xml}: root element is {local_name(root.tag)!r}, expected {root_name!r}")
            others.append(xml.name)
            continue
        info, lines = _parse_lines(xml, data, root, parse_page)
        writer = writer_id(xml, pattern)
        # a zero-width space alone is no text either: nothing to learn
        kept = [line for line in lines if not is_empty_label(line.text)]
        log.skip("empty line text", len(lines) - len(kept))
        if not kept:
            continue
        image = finder.find(xml, info.image)
        size = upright_size(image)
        sx, sy = scale_factors(xml, info, size, image)
        scaled += (sx, sy) != (1.0, 1.0)
        relative = xml.relative_to(root_folder).as_posix()
        used: set[str] = set()
        for line in kept:
            if line.points is None:
                raise DatasetError(f"{_where(xml, data, line.index, line.line_id)}: no coordinates")
            problem = label_problem(line.text)
            if problem:  # a control character (&#x7f;, &#x9b;) that training would refuse
                raise DatasetError(f"{_where(xml, data, line.index, line.line_id)}: {problem}")
            region = scale_points(line.points, sx, sy)
            if size is not None and outside_image(region, size):
                where = _where(xml, data, line.index, line.line_id)
                raise DatasetError(f"{where}: outline lies outside the {size[0]}x{size[1]} image {image}")
            key = line.line_id if line.line_id and line.line_id not in used else f"line{line.index}"
            used.add(key)
            samples.append(
                Sample(
                    text=line.text, path=str(image), writer=writer, source=f"{relative}#{key}", region=region
                )
            )
    if others:
        log.skip(f"XML files that are not {root_name}", len(others))
        more = ", ..." if len(others) > SHOW_NAMES else ""
        log.note(f"XML files that are not {root_name}, left out: {', '.join(others[:SHOW_NAMES])}{more}")
    if scaled:
        log.note(f"coordinates of {scaled} file(s) scaled to their image's size")
    if finder.stand_ins:
        xml, named, used = finder.stand_ins[0]
        more = f" (and {len(finder.stand_ins) - 1} more files)" if len(finder.stand_ins) > 1 else ""
        log.note(
            f"{xml.name} names the image {named!r}, which is not there; {used.name}, named like the "
            f"file, was read instead{more}"
        )
    require_samples(samples, path, log)
    return samples


def _parse(xml: Path) -> tuple[bytes, ET.Element]:
    """The file's bytes (for line numbers in errors) and its root element."""
    try:
        data = xml.read_bytes()
    except OSError as error:
        raise DatasetError(f"{xml}: cannot read ({error.strerror or error})") from None
    try:
        return data, ET.fromstring(data)
    except ET.ParseError as error:
        raise DatasetError(f"{xml}:{error.position[0]}: malformed XML ({error})") from None


def _parse_lines(
    xml: Path, data: bytes, root: ET.Element, parse_page: PageParser
) -> tuple[PageInfo, list[LineInfo]]:
    """``parse_page(root)``, its problems as DatasetError naming the file (and the line)."""
    try:
        return parse_page(root)
    except LineProblem as problem:
        raise DatasetError(f"{_where(xml, data, problem.index, problem.line_id)}: {problem}") from None
    except ValueError as error:
        raise DatasetError(f"{xml}: {error}") from None


def _where(xml: Path, data: bytes, index: int, line_id: str | None) -> str:
    """``file:line: TextLine 'id' (text line #n)`` for an error message."""
    number = element_line(data, "TextLine", index)
    at = f"{xml}:{number}" if number else str(xml)
    shown = f"{line_id!r} " if line_id else ""
    return f"{at}: TextLine {shown}(text line #{index})"


# ---------------------------------------------------------------- one page's lines, for page tools


@dataclass(frozen=True)
class PageLines:
    """One layout file's page: its image, the image's size and every line in image pixels."""

    xml: Path
    image: Path
    size: tuple[int, int] | None  # (width, height) of the image, when its header can be read
    lines: tuple[LineInfo, ...]  # points and baselines scaled to the image; empty lines with an outline kept


def page_lines(xml: str | Path, parse_page: PageParser, root_name: str) -> PageLines:
    """Every text line of one ALTO or PAGE file, with outline, baseline and block, in image pixels.

    Unlike the dataset readers, lines without text are kept when they have an
    outline (a layout still to be recognised has no texts); a line with text
    but without coordinates is still an error.
    """
    xml = Path(xml)
    data, root = _parse(xml)
    if local_name(root.tag) != root_name:
        raise DatasetError(f"{xml}: root element is {local_name(root.tag)!r}, expected {root_name!r}")
    info, lines = _parse_lines(xml, data, root, parse_page)
    image = ImageFinder().find(xml, info.image)
    size = upright_size(image)
    sx, sy = scale_factors(xml, info, size, image)
    scaled = []
    for line in lines:
        points = line.points
        if points is None:  # an empty line without an outline: nothing to place or read
            continue
        baseline = scale_points(line.baseline, sx, sy) if line.baseline else None
        scaled.append(dataclasses.replace(line, points=scale_points(points, sx, sy), baseline=baseline))
    return PageLines(xml, image, size, tuple(scaled))
