"""Read the package's input text files as UTF-8 (a BOM is fine) or in an encoding the user names.

A file that starts with a UTF-16 or UTF-32 byte order mark (Excel's "Unicode Text", Notepad's
"Unicode") is read in the encoding the mark names, whatever is asked for: the mark is unambiguous.

Anything that does not decode stops with the file, the line and the byte,
instead of turning into replacement characters that would join a model's
vocabulary (a spreadsheet's cp1252 "München" is not UTF-8).
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path

from mltu_ext.errors import DatasetError, MltuExtError


def read_text(path: str | Path, encoding: str | None = None, error: type[MltuExtError] = DatasetError) -> str:
    """The text of ``path``: strict UTF-8 (BOM stripped) unless ``encoding`` names another.

    ``error`` is the package error raised for a file that cannot be opened or
    decoded; its message names the file, the line and the offending byte.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot open ({exc.strerror or exc})") from exc
    return decode(data, path, encoding, error)


def open_text(
    path: str | Path, encoding: str | None = None, error: type[MltuExtError] = DatasetError
) -> io.StringIO:
    """:func:`read_text` as a file-like object for ``csv.reader`` (newlines kept as in the file)."""
    return io.StringIO(read_text(path, encoding, error), newline="")


def decode(
    data: bytes, path: str | Path, encoding: str | None = None, error: type[MltuExtError] = DatasetError
) -> str:
    """``data`` (the bytes of ``path``) as text; see :func:`read_text`.

    ``encoding`` is for the files that are not UTF-8: a file that decodes as UTF-8 and has
    characters beyond ASCII is read as UTF-8 whatever ``encoding`` says, since text in a
    single-byte code page (cp1252 "München") practically never does, and reading UTF-8 as
    cp1252 garbles every accent ("MÃ¼nchen"); so one folder may mix the two.
    """
    marked = _marked_encoding(data)
    if marked is not None:
        encoding = marked
    name = encoding or "utf-8-sig"
    try:
        codec = codecs.lookup(name)
    except LookupError as exc:
        raise error(f"{path}: unknown text encoding {encoding!r}") from exc
    if encoding and not codec.name.startswith("utf") and not data.isascii():
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass  # not UTF-8: the encoding named is the one to use
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        shown = encoding or "UTF-8"
        if issubclass(error, DatasetError):  # only the dataset readers take --encoding
            hint = "or check --encoding" if encoding else "or name its encoding with --encoding (e.g. cp1252)"
        else:
            hint = f"(for example: iconv -f cp1252 -t utf-8 {Path(path).name} > utf8.txt)"
        raise error(
            f"{path}:{line}: byte 0x{byte:02x} at offset {exc.start} is not valid {shown}; "
            f"save the file as UTF-8 {hint}"
        ) from exc


# longest first: the UTF-32 LE mark begins with the UTF-16 LE one
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _marked_encoding(data: bytes) -> str | None:
    """The UTF-16 or UTF-32 codec whose byte order mark ``data`` starts with (it strips the mark), or None."""
    return next((name for mark, name in _BYTE_ORDER_MARKS if data.startswith(mark)), None)
