"""IAM Handwriting Database: words.txt, lines.txt and sentences.txt with their images.

Data lines of the three label files (``#`` lines are comments)::

    words.txt      a01-000u-00-00 ok 154 408 768 27 51 AT A
    lines.txt      a01-000u-00 ok 154 19 408 746 1661 89 A|MOVE|to|stop
    sentences.txt  a01-000u-s00-00 0 ok 154 19 408 746 1661 89 A|MOVE|to|stop

Images live at ``<kind>/a01/a01-000u/<id>.png``. IAM records the writer per
form in ``forms.txt``; without it the form id stands in for the writer, which
keeps all text of one form on one side of a split.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.common import check_label, data_lines, require_images, require_samples
from mltu_ext.data.readers.common import split_name as split_from_name
from mltu_ext.data.samples import Sample
from mltu_ext.errors import DatasetError

# Usual IAM task lists (e.g. largeWriterIndependentTextLineRecognitionTask).
SPLIT_FILE_NAMES = ("trainset.txt", "validationset1.txt", "validationset2.txt", "testset.txt")


@dataclass(frozen=True)
class _Layout:
    """Where the fields of one label file kind are."""

    fields: int  # fewest fields a data line has
    status: int  # column of ok/err
    text: int  # first column of the transcription (it runs to the end of the line)


LAYOUTS = {
    "words": _Layout(fields=9, status=1, text=8),
    "lines": _Layout(fields=9, status=1, text=8),
    "sentences": _Layout(fields=10, status=2, text=9),
}


def form_id(sample_id: str) -> str:
    """The form an IAM id belongs to.

    >>> form_id("a01-000u-00-01"), form_id("a01-000u-s00-00")
    ('a01-000u', 'a01-000u')
    """
    return "-".join(sample_id.split("-")[:2])


def image_path(image_dir: Path, sample_id: str) -> Path:
    """``image_dir/a01/a01-000u/a01-000u-00-00.png`` for id ``a01-000u-00-00``."""
    return image_dir / sample_id.split("-")[0] / form_id(sample_id) / f"{sample_id}.png"


def find_image_dir(label_file: Path, kind: str) -> Path:
    """The ``words``/``lines``/``sentences`` folder: beside the label file or one level up.

    The official download puts the label files in ``ascii/`` next to the image folders.
    """
    for candidate in (label_file.parent / kind, label_file.parent.parent / kind):
        if candidate.is_dir():
            return candidate
    return label_file.parent / kind


def find_forms_file(root: Path) -> Path | None:
    """``forms.txt`` in ``root``, ``root/ascii`` or the parent of an ``ascii`` folder."""
    candidates = [root / "forms.txt", root / "ascii" / "forms.txt"]
    if root.name == "ascii":
        candidates.append(root.parent / "forms.txt")
    return next((c for c in candidates if c.is_file()), None)


def read_forms(path: Path, encoding: str | None = None) -> dict[str, str]:
    """Form id -> writer id from ``forms.txt`` (``a01-000u 000 2 prt 7 5 52 36``)."""
    writers = {}
    for number, line in data_lines(path, encoding):
        fields = line.split()
        if len(fields) < 2:
            raise DatasetError(f"{path}:{number}: malformed line, expected form id and writer id")
        writers[fields[0]] = fields[1]
    return writers


def find_split_files(root: Path) -> list[Path]:
    """IAM task lists in ``root`` or a task folder below it (``ascii/`` counts as ``root/..``)."""
    tops = [root, root.parent] if root.name == "ascii" else [root]
    folders = [*tops, *(p for top in tops for p in sorted(top.iterdir()) if p.is_dir())]
    for folder in folders:
        found = [folder / name for name in SPLIT_FILE_NAMES if (folder / name).is_file()]
        if found:
            return found
    return []


def read_split_files(paths: Iterable[Path | str], encoding: str | None = None) -> dict[str, str]:
    """Id (line, sentence or form) -> split name, from lists of one id per line.

    The split comes from the file name: trainset -> train, validationset1 -> val.
    """
    assignment: dict[str, str] = {}
    for path in map(Path, paths):
        split = split_from_name(path.stem)
        if split is None:
            raise DatasetError(
                f"{path}: cannot tell the split from the file name "
                "(expected train, val(idation) or test in it)"
            )
        for number, line in data_lines(path, encoding):
            key = line.split()[0]
            if assignment.get(key, split) != split:
                raise DatasetError(f"{path}:{number}: id {key} is already in the {assignment[key]} list")
            assignment[key] = split
    return assignment


def lookup_split(sample_id: str, assignment: dict[str, str]) -> str | None:
    """The split of the id itself, else of its line id, else of its form id."""
    parts = sample_id.split("-")
    for end in range(len(parts), 1, -1):
        split = assignment.get("-".join(parts[:end]))
        if split is not None:
            return split
    return None


def read_iam(
    label_file: Path | str,
    kind: str,
    keep_err: bool = False,
    split_files: Iterable[Path | str] | None = None,
    log: ReadLog | None = None,
    encoding: str | None = None,
) -> list[Sample]:
    """Samples of ``words.txt``, ``lines.txt`` or ``sentences.txt`` (``kind``).

    ``err`` rows are left out unless ``keep_err``; they are counted in ``log``.
    ``split_files`` (default: IAM task lists found beside the labels) set
    ``Sample.split``. Raises DatasetError for malformed lines and missing images.
    """
    label_file = Path(label_file)
    layout = LAYOUTS[kind]
    log = log if log is not None else ReadLog()
    image_dir = find_image_dir(label_file, kind)

    forms_file = find_forms_file(label_file.parent)
    writers = read_forms(forms_file, encoding) if forms_file else {}
    if forms_file:
        log.note(f"writers from {forms_file}")
    else:
        log.note("no forms.txt found: the form id stands in for the writer")

    if split_files is None:
        split_files = find_split_files(label_file.parent)
    split_files = list(split_files)
    assignment = read_split_files(split_files, encoding) if split_files else {}
    if split_files:
        log.note("splits from " + ", ".join(str(p) for p in split_files))

    samples = []
    unknown_forms = 0
    for number, line in data_lines(label_file, encoding):
        where = f"{label_file}:{number}"
        fields = line.split()
        if len(fields) < layout.fields:
            raise DatasetError(
                f"{where}: malformed line, expected at least {layout.fields} fields, found {len(fields)}"
            )
        status = fields[layout.status]
        if status not in ("ok", "err", "er"):
            raise DatasetError(
                f"{where}: malformed line, expected ok or err in column {layout.status + 1}, found {status!r}"
            )
        if status != "ok" and not keep_err:
            log.skip("err rows (segmentation flagged bad; keep_err=True keeps them)")
            continue
        sample_id = fields[0]
        # A transcription with a space in it arrives as several fields.
        text = " ".join(fields[layout.text :])
        if kind != "words":
            text = text.replace("|", " ")
        form = form_id(sample_id)
        writer = writers.get(form)
        if writer is None:
            unknown_forms += bool(writers)
            writer = form
        samples.append(
            Sample(
                text=check_label(text, where),
                path=str(image_path(image_dir, sample_id)),
                writer=writer,
                source=where,
                split=lookup_split(sample_id, assignment) if assignment else None,
            )
        )
    if unknown_forms:
        log.note(
            f"{unknown_forms} samples come from forms missing in forms.txt: "
            "their form id stands in for the writer"
        )
    if assignment:
        unlisted = sum(s.split is None for s in samples)
        if unlisted:
            log.note(f"{unlisted} samples are in none of the split lists (split is None)")
    require_samples(samples, label_file, log)
    require_images(samples, label_file)
    return samples


def _reader_of(kind: str, doc: str):
    """A reader of one IAM label file kind, with read_iam's options (load_dataset reads its signature)."""

    def read(
        label_file: Path | str,
        keep_err: bool = False,
        split_files: Iterable[Path | str] | None = None,
        log: ReadLog | None = None,
        encoding: str | None = None,
    ) -> list[Sample]:
        return read_iam(label_file, kind, keep_err, split_files, log, encoding)

    read.__name__ = read.__qualname__ = f"read_iam_{kind}"
    read.__doc__ = doc
    return read


read_iam_words = _reader_of("words", "IAM ``words.txt``; see :func:`read_iam`.")
read_iam_lines = _reader_of(
    "lines", "IAM ``lines.txt``; ``|`` between words becomes a space. See :func:`read_iam`."
)
read_iam_sentences = _reader_of(
    "sentences", "IAM ``sentences.txt``; ``|`` between words becomes a space. See :func:`read_iam`."
)
