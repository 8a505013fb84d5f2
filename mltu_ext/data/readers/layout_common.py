"""What the ALTO and PAGE XML readers share: files, images, writers, points, the read loop.

Both formats describe a page image and its text lines, each with an outline
(polygon) and a transcription. The format modules only say where those are
in their XML (:class:`PageInfo`, :class:`LineInfo`); this module finds the
files and the image, scales the coordinates to the image's pixels and turns
each line into a :class:`Sample` whose ``region`` is the outline.
"""

from __future__ import annotations

import dataclasses
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import numpy as np

from mltu_ext.data.images import IMAGE_SUFFIXES, upright_size
from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.common import SHOW_NAMES, Listings, composed, require_samples
from mltu_ext.data.samples import Region, Sample
from mltu_ext.data.vocabulary import is_empty_label, label_problem
from mltu_ext.errors import ConfigError, DatasetError
from mltu_ext.io.folders import walk_files

# Folders that hold the XML files beside (or inside) the image folder:
# eScriptorium exports alto/, Transkribus page/, others xml/.
LAYOUT_FOLDERS = ("alto", "page", "xml")
# The root element's local name of each format.
ALTO_ROOT = "alto"
PAGE_ROOT = "PcGts"
# What the root sniffer reads at a time.
SNIFF_CHUNK = 64 * 1024

Points = tuple[tuple[float, float], ...]


def local_name(tag: str) -> str:
    """``tag`` without its ``{namespace}``: any ALTO or PAGE version matches by name.

    >>> local_name("{http://www.loc.gov/standards/alto/ns-v4#}TextLine"), local_name("TextLine")
    ('TextLine', 'TextLine')
    """
    return tag.rpartition("}")[2]


def children(element: ET.Element, name: str) -> list[ET.Element]:
    """The direct children of ``element`` whose local name is ``name``."""
    return [child for child in element if local_name(child.tag) == name]


def descendants(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every element below ``element`` (itself included) whose local name is ``name``, in file order."""
    return (e for e in element.iter() if isinstance(e.tag, str) and local_name(e.tag) == name)


def attribute(element: ET.Element, name: str) -> str | None:
    """The attribute ``name`` of ``element`` whatever its namespace prefix, else None."""
    if name in element.attrib:
        return element.attrib[name]
    return next((v for k, v in element.attrib.items() if local_name(k) == name), None)


def clean_text(text: str) -> str:
    """Whitespace stripped and collapsed to single spaces: a line's label."""
    return " ".join(text.split())


# no page comes near this many pixels (or ALTO mm10 / inch1200 units) a side
MAX_COORDINATE = 1_000_000


def parse_points(text: str) -> Points:
    """``"x,y x,y ..."`` (PAGE, ALTO v2) or ``"x y x y ..."`` (ALTO v4) as (x, y) pairs.

    Raises ValueError for a value that is not a finite number or lies beyond any page, an odd
    count, fewer than 3 points, or points on one line (no area to cut out).

    >>> parse_points("1,2 3,4 5,1") == parse_points("1 2 3 4 5 1") == ((1, 2), (3, 4), (5, 1))
    True
    """
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        bad = next(t for t in tokens if not _is_number(t))
        raise ValueError(f"point value {bad!r} is not a number") from None
    # checked as one array: per value in Python these checks took half of reading Copiste's
    # 284 ALTO files (5,400 outlines of about 80 points)
    magnitudes = np.abs(np.array(values, np.float64))
    if not np.isfinite(magnitudes).all():
        raise ValueError("point values must be finite numbers")
    if len(values) % 2:
        raise ValueError(f"odd number of point values ({len(values)}): x without y")
    if len(values) < 6:
        raise ValueError(f"{len(values) // 2} point(s); a line outline needs at least 3")
    if magnitudes.max() > MAX_COORDINATE:
        raise ValueError(f"a point value beyond any page ({MAX_COORDINATE:,.0f} pixels)")
    points = tuple(zip(values[::2], values[1::2], strict=True))
    if polygon_area(points) == 0:
        raise ValueError("the outline has no area (its points lie on one line)")
    return points


def polygon_area(points: Points) -> float:
    """The area enclosed by ``points`` (shoelace formula; 0 when they lie on one line).

    >>> polygon_area(((0, 0), (4, 0), (4, 2), (0, 2))), polygon_area(((0, 0), (1, 1), (2, 2)))
    (8.0, 0.0)
    """
    following = points[1:] + points[:1]
    twice = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, following, strict=True))
    return abs(twice) / 2


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def parse_baseline(text: str | None) -> tuple[tuple[float, float], ...] | None:
    """A baseline's points (two or more), or None when ``text`` is empty or not a point list.

    A baseline only helps (positions, segmentation), so a bad one is dropped rather than refused.

    >>> parse_baseline("1,2 3,4"), parse_baseline("1 2 3 4"), parse_baseline("1 x"), parse_baseline(None)
    (((1.0, 2.0), (3.0, 4.0)), ((1.0, 2.0), (3.0, 4.0)), None, None)
    """
    if not text or not text.strip():
        return None
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    if len(tokens) < 4 or len(tokens) % 2 or not all(_is_number(t) for t in tokens):
        return None
    values = [float(t) for t in tokens]
    if any(v != v or v in (float("inf"), float("-inf")) for v in values):
        return None
    return tuple(zip(values[::2], values[1::2], strict=True))


def enclosing(root: ET.Element, name: str) -> dict[ET.Element, str | None]:
    """For every element below ``root``: the id of its nearest ancestor named ``name`` (or None)."""
    found: dict[ET.Element, str | None] = {}

    def walk(element: ET.Element, current: str | None) -> None:
        for child in element:
            if not isinstance(child.tag, str):
                continue
            here = current
            if local_name(child.tag) == name:
                here = attribute(child, "ID") or attribute(child, "id") or current
            found[child] = here
            walk(child, here)

    walk(root, None)
    return found


def rectangle(x: float, y: float, width: float, height: float) -> Points:
    """The corners of a box whose crop is ``width`` x ``height`` pixels (last pixel inclusive)."""
    right, bottom = x + max(width, 1) - 1, y + max(height, 1) - 1
    return ((x, y), (right, y), (right, bottom), (x, bottom))


# ---------------------------------------------------------------- files


def sniff_root(path: Path) -> str | None:
    """The local name of the root element of the XML file ``path``, reading only up to it.

    The file is fed to an incremental parser chunk by chunk until the root's start tag, however
    long the comments or other prolog before it (a tool's licence or history); nothing after that
    tag is read, so a large file costs no more than its prolog. None when the file cannot be
    read, has no root element, or is not well-formed XML up to it.
    """
    parser = ET.XMLPullParser(events=("start",))
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(SNIFF_CHUNK):
                parser.feed(chunk)
                for _event, element in parser.read_events():
                    return local_name(element.tag)
    except (OSError, ET.ParseError):
        return None
    return None


def xml_files(path: Path) -> list[Path]:
    """PATH itself if it is a file, else every ``*.xml`` below the folder PATH in a stable order."""
    if path.is_file():
        return [path]
    found = []
    for folder, files in walk_files(path):
        found.extend(Path(folder, name) for name in files if name.lower().endswith(".xml"))
    return found


def candidate_files(folder: Path, limit: int = 2) -> Iterator[Path]:
    """Up to ``limit`` XML files directly in ``folder`` and in each of its layout folders (for detection)."""
    for place in (folder, *(folder / name for name in LAYOUT_FOLDERS)):
        if place.is_dir():
            found = (p for p in place.iterdir() if p.suffix.lower() == ".xml" and p.is_file())
            yield from sorted(found)[:limit]


# ---------------------------------------------------------------- images


class ImageFinder:
    """Finds the page image of an XML file; lists each folder once per dataset."""

    def __init__(self) -> None:
        self._listings: dict[Path, tuple[set[str], dict[str, str]]] = {}
        self._other_forms = Listings()
        # (xml, the image it names, the image used instead): a reference that matched nothing
        self.stand_ins: list[tuple[Path, str, Path]] = []

    def _names(self, folder: Path) -> tuple[set[str], dict[str, str]]:
        """The names of the files in ``folder`` (none when it is not one), and each one's
        lower-cased composed (NFC) form -> the name."""
        if folder not in self._listings:
            try:
                names = sorted(e.name for e in os.scandir(folder) if e.is_file())
            except OSError:
                names = []
            folded: dict[str, str] = {}
            for name in names:
                folded.setdefault(composed(name).lower(), name)
            self._listings[folder] = set(names), folded
        return self._listings[folder]

    def _lookup(self, folder: Path, name: str) -> Path | None:
        """``folder / name`` when it is a file; else the file whose name differs only in case or in
        the Unicode normalisation of its accents (``café.png`` decomposed, as macOS writes it)."""
        exact, folded = self._names(folder)
        real = name if name in exact else folded.get(composed(name).lower())
        return folder / real if real is not None else None

    @staticmethod
    def places(xml: Path) -> list[Path]:
        """Where an image may be: the XML's folder, its parent, and ``images/`` in either."""
        here, up = xml.parent, xml.parent.parent
        return list(dict.fromkeys((here, up, here / "images", up / "images")))

    def find(self, xml: Path, reference: str | None) -> Path:
        """The image ``reference`` names (or one named like the XML); DatasetError when none is found."""
        places = self.places(xml)
        if reference:
            reference = reference.strip().removeprefix("file://")
            given = Path(reference)
            if given.is_absolute() and given.is_file():
                return given
            for folder in places:
                if not given.is_absolute() and (folder / given).is_file():
                    return folder / given
            for folder in places:  # a folder of the path written in the other Unicode normalisation
                other = None if given.is_absolute() else self._other_forms.other_form(str(folder / given))
                if other is not None:
                    return Path(other)
            # exports often keep the path of the machine they were made on: the name is what counts
            name = re.split(r"[\\/]", reference)[-1]
            for folder in places:
                found = self._lookup(folder, name)
                if found is not None:
                    return found
        # page.xml, or page.alto.xml / page.page.xml as this package writes them
        stems = dict.fromkeys((xml.stem, xml.stem.rsplit(".", 1)[0]))
        for folder in places:
            for stem in stems:
                for suffix in IMAGE_SUFFIXES:
                    found = self._lookup(folder, stem + suffix)
                    if found is not None:
                        if reference:
                            self.stand_ins.append((xml, reference, found))
                        return found
        shown = ", ".join(str(p) for p in places)
        suffixes = ", ".join(IMAGE_SUFFIXES)
        if not reference:
            raise DatasetError(
                f"{xml}: the file names no image, and no image with its stem ({' or '.join(stems)}, "
                f"ending in any of {suffixes}) was found beside it; looked in {shown}"
            )
        raise DatasetError(
            f"{xml}: image {reference!r} not found; looked in {shown}, also for {xml.stem} with any of "
            f"{suffixes}"
        )


# ---------------------------------------------------------------- writers


def compile_writer_pattern(pattern: str | re.Pattern | None) -> re.Pattern | None:
    """``pattern`` compiled; ConfigError for one that is not a regular expression."""
    if pattern is None or isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ConfigError(f"writer pattern {pattern!r} is not a regular expression: {error}") from None


def writer_id(xml: Path, pattern: re.Pattern | None) -> str:
    """The writer of a page: the file's stem, or the part of it that ``pattern`` picks.

    The pattern is searched in the stem (the name without ``.xml``); its first
    group is the writer when it has groups, else the whole match.

    >>> writer_id(Path("a/x_2.xml"), re.compile(r"^(.*?)(?:_\\d+)?$"))
    'x'
    """
    if pattern is None:
        return xml.stem
    match = pattern.search(xml.stem)
    if match is None:
        raise DatasetError(f"{xml}: the writer pattern {pattern.pattern!r} does not match {xml.stem!r}")
    writer = match.group(1) if pattern.groups and match.group(1) is not None else match.group(0)
    if not writer:
        raise DatasetError(f"{xml}: the writer pattern {pattern.pattern!r} gives an empty writer id")
    return writer


# ---------------------------------------------------------------- the read loop


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


def element_line(data: bytes, name: str, index: int) -> int | None:
    """The line in the XML text where the ``index``-th (from 1) element named ``name`` starts.

    ElementTree keeps no line numbers; this second pass runs only for an error message.
    """
    parser = expat.ParserCreate(namespace_separator="}")
    seen = 0
    found: list[int] = []

    def start(tag: str, _attributes: dict) -> None:
        nonlocal seen
        if not found and local_name(tag) == name:
            seen += 1
            if seen == index:
                found.append(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        pass  # the line, when found, came before the error
    return found[0] if found else None


# how far the shape (width / height) of a page declared in pixels may differ from its image's:
# an image scaled as a whole keeps it; more is another page's image, whose lines would be cut stretched
MAX_ASPECT_CHANGE = 0.02


def _scale(points: Points, sx: float, sy: float) -> Region:
    return tuple((round(x * sx), round(y * sy)) for x, y in points)


def _scale_factors(
    xml: Path, info: PageInfo, size: tuple[int, int] | None, image: Path | None = None
) -> tuple[float, float]:
    """Factors from the file's coordinates to the image's pixels.

    Coordinates in another unit (ALTO mm10, inch1200) or for a page size that
    is not the image's (an image scaled as a whole after the export) are scaled
    by image size / declared page size. A page declared in pixels whose shape
    differs from the image's by more than ``MAX_ASPECT_CHANGE`` is refused:
    stretching it would cut every line in the wrong place, and the image is most
    likely another page's.
    """
    pixel = info.unit.lower() in ("pixel", "pixels", "px", "")
    if size is None:
        if not pixel:
            raise DatasetError(f"{xml}: coordinates in {info.unit!r} and the image's size cannot be read")
        return 1.0, 1.0
    if not info.width or not info.height:
        if not pixel:
            raise DatasetError(
                f"{xml}: coordinates in {info.unit!r} need the Page WIDTH and HEIGHT to scale them"
            )
        return 1.0, 1.0
    if pixel and (info.width, info.height) == size:
        return 1.0, 1.0
    if pixel and (info.width, info.height) == (size[1], size[0]):
        # the stored size of a photo its EXIF orientation turns: scaling would stretch every line
        raise DatasetError(
            f"{xml}: the page is declared {info.width:g}x{info.height:g} pixels, and its image is read "
            f"upright as {size[0]}x{size[1]}: turned a quarter against the layout (by its EXIF "
            "orientation, or since the export); export the layout from the image as it is read"
        )
    sx, sy = size[0] / info.width, size[1] / info.height
    # a page scaled as a whole keeps its shape, up to a pixel of rounding on either side
    rounding = max(1 / size[0], 1 / size[1])
    if pixel and max(sx, sy) / min(sx, sy) - 1 > MAX_ASPECT_CHANGE + rounding:
        named = f"its image {image}" if image is not None else "its image"
        raise DatasetError(
            f"{xml}: the page is declared {info.width:g}x{info.height:g} pixels and {named} is "
            f"{size[0]}x{size[1]}, a different shape (width/height {info.width / info.height:.3g} "
            f"against {size[0] / size[1]:.3g}); it is most likely not this file's image"
        )
    return sx, sy


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
        sx, sy = _scale_factors(xml, info, size, image)
        scaled += (sx, sy) != (1.0, 1.0)
        relative = xml.relative_to(root_folder).as_posix()
        used: set[str] = set()
        for line in kept:
            if line.points is None:
                raise DatasetError(f"{_where(xml, data, line.index, line.line_id)}: no coordinates")
            problem = label_problem(line.text)
            if problem:  # a control character (&#x7f;, &#x9b;) that training would refuse
                raise DatasetError(f"{_where(xml, data, line.index, line.line_id)}: {problem}")
            region = _scale(line.points, sx, sy)
            if size is not None and _outside(region, size):
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


def _outside(region: Region, size: tuple[int, int]) -> bool:
    """True when the outline's bounding box has no pixel inside the image."""
    xs = [x for x, _ in region]
    ys = [y for _, y in region]
    return max(xs) < 0 or max(ys) < 0 or min(xs) >= size[0] or min(ys) >= size[1]


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
    sx, sy = _scale_factors(xml, info, size, image)
    scaled = []
    for line in lines:
        points = line.points
        if points is None:  # an empty line without an outline: nothing to place or read
            continue
        baseline = _scale(line.baseline, sx, sy) if line.baseline else None
        scaled.append(dataclasses.replace(line, points=_scale(points, sx, sy), baseline=baseline))
    return PageLines(xml, image, size, tuple(scaled))
