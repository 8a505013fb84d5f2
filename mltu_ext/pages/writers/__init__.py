"""A read page as JSON, ALTO v4 or PAGE XML 2019: :func:`write_page` picks the format by name."""

from __future__ import annotations

import re
from pathlib import Path

from mltu_ext.errors import ConfigError, OutputWriteError
from mltu_ext.pages.layout import PageText

FORMATS = ("json", "alto", "page")
# what --output's file ending says, when no format is named
SUFFIX_FORMATS = {".json": "json", ".alto.xml": "alto", ".page.xml": "page"}
# what XML 1.0 cannot hold, not even as a character reference: control characters other than
# tab, newline and carriage return, and the non-characters U+FFFE and U+FFFF
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def format_of(path: str | Path, given: str | None = None) -> str:
    """The output format for ``path``: ``given``, else its ending (.json, .alto.xml, .page.xml).

    >>> format_of("a/out.alto.xml"), format_of("x.json"), format_of("x.xml", "page")
    ('alto', 'json', 'page')
    """
    if given is not None:
        if given not in FORMATS:
            raise ConfigError(f"output format {given!r}: choose one of {', '.join(FORMATS)}")
        return given
    name = Path(path).name.lower()
    for suffix, fmt in SUFFIX_FORMATS.items():
        if name.endswith(suffix):
            return fmt
    raise ConfigError(
        f"{path}: say the format by its ending ({', '.join(SUFFIX_FORMATS)}) or with --output-format"
    )


def render_page(page: PageText, fmt: str) -> str:
    """``page`` as the text of a ``fmt`` file."""
    if fmt == "json":
        from mltu_ext.pages.writers.json_out import page_json

        return page_json(page)
    if fmt == "alto":
        from mltu_ext.pages.writers.alto_out import page_alto

        return page_alto(page)
    if fmt == "page":
        from mltu_ext.pages.writers.page_out import page_xml

        return page_xml(page)
    raise ConfigError(f"output format {fmt!r}: choose one of {', '.join(FORMATS)}")


def check_xml_text(page: PageText, path: Path) -> None:
    """Raise OutputWriteError, naming ``path`` and what is wrong, when ``page`` holds a character
    that an XML file cannot: its XML would not parse, in any reader."""
    found = NOT_XML.search(page.image)
    if found:
        raise OutputWriteError(
            f"{path}: cannot write: XML cannot hold the control character U+{ord(found.group()):04X} "
            f"in the image's name {page.image!r}; rename that file (or write .json)"
        )
    for line in page.lines:
        found = NOT_XML.search(line.text)
        if found:
            raise OutputWriteError(
                f"{path}: cannot write: XML cannot hold the control character "
                f"U+{ord(found.group()):04X} read on line {line.line_id!r} ({line.text!r}); write .json"
            )


def write_page(page: PageText, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``page`` to ``path`` (atomically) in ``fmt`` or the format its ending names."""
    from mltu_ext.io.atomic import write_text

    path = Path(path)
    fmt = format_of(path, fmt)
    if fmt != "json":
        check_xml_text(page, path)
    write_text(path, render_page(page, fmt))
    return path
