"""Dataset readers and format detection, on tiny datasets written in each exact layout."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.data import detect_format, load_dataset
from mltu_ext.data.images import decode_gray
from mltu_ext.data.readers.emnist import read_emnist
from mltu_ext.data.readers.iam import read_iam_lines, read_iam_words
from mltu_ext.errors import DatasetError


def write_png(path: Path, width: int = 20, height: int = 10, shade: int = 0) -> Path:
    """A small gray PNG whose pixels depend on ``shade`` (so images differ)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((height, width), 255, np.uint8)
    image[2:-2, 2 + shade % (width - 4)] = 0
    assert cv2.imwrite(str(path), image)
    return path


def iam_image(root: Path, kind: str, sample_id: str) -> Path:
    parts = sample_id.split("-")
    return root / kind / parts[0] / "-".join(parts[:2]) / f"{sample_id}.png"


WORDS_TXT = """\
#--- words.txt ---------------------------------------------------------------#
# format: a01-000u-00-00 ok 154 1 408 768 27 51 AT A
#
a01-000u-00-00 ok 154 408 768 27 51 AT A
a01-000u-00-01 err 154 507 766 213 48 NN MOVE
a01-000u-00-02 ok 154 796 764 70 50 TO to
a02-000-00-00 ok 154 796 764 70 50 NN New York
"""


def make_iam_words(root: Path, text: str = WORDS_TXT) -> Path:
    (root / "words.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "words.txt").write_text(text)
    for i, line in enumerate(text.splitlines()):
        if line and not line.startswith("#"):
            write_png(iam_image(root, "words", line.split()[0]), shade=i)
    return root / "words.txt"


def test_iam_words_skips_comments_and_err_rows(tmp_path):
    label_file = make_iam_words(tmp_path)
    dataset = load_dataset(tmp_path)
    assert dataset.format == "iam_words"
    assert [s.text for s in dataset.samples] == ["A", "to", "New York"]
    assert sum(dataset.skipped.values()) == 1
    first = dataset.samples[0]
    assert first.source == f"{label_file}:4"
    assert Path(first.path) == tmp_path / "words/a01/a01-000u/a01-000u-00-00.png"
    # without forms.txt the form id groups the writer
    assert [s.writer for s in dataset.samples] == ["a01-000u", "a01-000u", "a02-000"]

    kept = read_iam_words(label_file, keep_err=True)
    assert [s.text for s in kept] == ["A", "MOVE", "to", "New York"]


def test_iam_words_writer_from_forms_txt(tmp_path):
    make_iam_words(tmp_path)
    (tmp_path / "ascii").mkdir()
    (tmp_path / "ascii" / "forms.txt").write_text(
        "# forms\na01-000u 000 2 prt 7 5 52 36\na02-000 017 2 prt 7 5 52 36\n"
    )
    samples = load_dataset(tmp_path / "words.txt").samples
    assert [s.writer for s in samples] == ["000", "000", "017"]


def test_iam_labels_in_ascii_folder(tmp_path):
    label_file = make_iam_words(tmp_path)
    (tmp_path / "ascii").mkdir()
    label_file.rename(tmp_path / "ascii" / "words.txt")
    dataset = load_dataset(tmp_path)
    assert dataset.format == "iam_words"
    assert len(dataset.samples) == 3
    assert all(Path(s.path).is_file() for s in dataset.samples)


LINES_TXT = """\
# lines
a01-000u-00 ok 154 19 408 746 1661 89 A|MOVE|to|stop|Mr.|Gaitskell
a01-000u-01 ok 156 19 395 932 1850 105 nominating|any|more
a01-003-00 ok 156 19 395 932 1850 105 Labour|M|Ps
b01-000-00 err 156 19 395 932 1850 105 bad|line
"""


def make_iam_lines(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "lines.txt").write_text(LINES_TXT)
    for i, line in enumerate(LINES_TXT.splitlines()[1:]):
        write_png(iam_image(root, "lines", line.split()[0]), width=40, shade=i)
    return root / "lines.txt"


def test_iam_lines_pipes_become_spaces(tmp_path):
    make_iam_lines(tmp_path)
    dataset = load_dataset(tmp_path)
    assert dataset.format == "iam_lines"
    assert [s.text for s in dataset.samples] == [
        "A MOVE to stop Mr. Gaitskell",
        "nominating any more",
        "Labour M Ps",
    ]
    assert all(s.split is None for s in dataset.samples)


def test_iam_split_files_by_line_and_form_id(tmp_path):
    label_file = make_iam_lines(tmp_path)
    task = tmp_path / "task"
    task.mkdir()
    (task / "trainset.txt").write_text("a01-000u-00\n")
    (task / "validationset1.txt").write_text("a01-000u-01\n")
    (task / "testset.txt").write_text("a01-003\n")  # a form id covers its lines
    samples = read_iam_lines(label_file, split_files=sorted(task.iterdir()))
    assert [s.split for s in samples] == ["train", "val", "test"]
    # the same lists are found on their own in a task folder beside the labels
    assert [s.split for s in load_dataset(tmp_path).samples] == ["train", "val", "test"]


def test_iam_sentences_layout(tmp_path):
    text = "# sentences\na01-000u-s00-00 0 ok 154 19 408 746 1661 89 A|MOVE|to\n"
    (tmp_path / "sentences.txt").write_text(text)
    write_png(iam_image(tmp_path, "sentences", "a01-000u-s00-00"))
    dataset = load_dataset(tmp_path)
    assert dataset.format == "iam_sentences"
    assert [s.text for s in dataset.samples] == ["A MOVE to"]


def test_decomposed_accents_are_composed_and_noted(tmp_path):
    import unicodedata

    from mltu_ext.data.split import split_by_writer_ids

    rows = ["file_name,text,writer"]
    for i, (text, writer) in enumerate((("Königs Wusterhausen", "Zoë"), ("Löbau", "Zoë"), ("Ahr", "Ann"))):
        write_png(tmp_path / f"{i}.png", shade=i)
        rows.append(f"{i}.png,{unicodedata.normalize('NFD', text)},{unicodedata.normalize('NFD', writer)}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    dataset = load_dataset(tmp_path / "labels.csv")
    assert [s.text for s in dataset.samples] == ["Königs Wusterhausen", "Löbau", "Ahr"]  # one "ö" each
    assert all(len(s.text) == len(unicodedata.normalize("NFC", s.text)) for s in dataset.samples)
    assert any("2 label(s) or writer id(s)" in note and "NFC" in note for note in dataset.notes)
    split = split_by_writer_ids(dataset.samples, [unicodedata.normalize("NFD", "Zoë")])  # typed either way
    assert len(split.val) == 2

    rows[1] = rows[1].replace(" ", "\u00a0")  # a no-break space, as a word processor writes one
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    dataset = load_dataset(tmp_path / "labels.csv")
    assert dataset.samples[0].text == "Königs Wusterhausen"
    assert any("special spaces" in note for note in dataset.notes)


def test_parquet_without_pyarrow_is_a_dataset_error(tmp_path, monkeypatch):
    import sys

    from mltu_ext.data.read_log import ReadLog
    from mltu_ext.data.readers.iam_parquet import read_parquet_file

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "train-00000-of-00001.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(DatasetError, match=r"train-00000-of-00001\.parquet: reading parquet needs pyarrow"):
        read_parquet_file(path, ReadLog())


def test_parquet_image_bytes_and_split_from_file_name(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    data = tmp_path / "data"
    data.mkdir()
    expected = {}
    for split_word, texts in (("train", ["one", "two"]), ("validation", ["three"]), ("test", ["four"])):
        rows = []
        for i, text in enumerate(texts):
            png = write_png(tmp_path / f"{text}.png", width=10 + 5 * i)
            rows.append({"image": {"bytes": png.read_bytes(), "path": png.name}, "text": text})
            expected[text] = png.read_bytes()
            png.unlink()
        pd.DataFrame(rows).to_parquet(data / f"{split_word}-00000-of-00001.parquet")
    dataset = load_dataset(tmp_path)
    assert dataset.format == "iam_parquet"
    by_text = {s.text: s for s in dataset.samples}
    assert {t: s.split for t, s in by_text.items()} == {
        "one": "train",
        "two": "train",
        "three": "val",
        "four": "test",
    }
    assert all(s.data == expected[s.text] and s.path is None for s in dataset.samples)
    assert decode_gray(by_text["two"].data).shape == (10, 15)
    assert by_text["two"].source.endswith("train-00000-of-00001.parquet:2")


def make_kaggle(root: Path, doubled: bool = True) -> None:
    rows = {
        "train": "FILENAME,IDENTITY\nTRAIN_00001.jpg,BALTHAZAR\nTRAIN_00002.jpg,UNREADABLE\n"
        "TRAIN_00003.jpg,\nTRAIN_00004.jpg,SIMON\n",
        "validation": "FILENAME,IDENTITY\nVALIDATION_0001.jpg,LUCIE\nVALIDATION_0002.jpg,UNREADABLE\n",
        "test": "FILENAME,IDENTITY\nTEST_0001.jpg,EMILE\n",
    }
    for split, text in rows.items():
        (root / f"written_name_{split}_v2.csv").write_text(text)
        folder = root / f"{split}_v2" / split if doubled else root / f"{split}_v2"
        for line in text.splitlines()[1:]:
            name = line.split(",")[0]
            write_png(folder / name)


@pytest.mark.parametrize("doubled", [True, False])
def test_kaggle_counts_unreadable_and_empty(tmp_path, doubled):
    make_kaggle(tmp_path, doubled)
    dataset = load_dataset(tmp_path)
    assert dataset.format == "kaggle"
    assert sorted((s.text, s.split) for s in dataset.samples) == [
        ("BALTHAZAR", "train"),
        ("EMILE", "test"),
        ("LUCIE", "val"),
        ("SIMON", "train"),
    ]
    assert dataset.skipped == {"UNREADABLE label": 2, "empty label": 1}
    assert all(Path(s.path).is_file() for s in dataset.samples)
    one_file = load_dataset(tmp_path / "written_name_test_v2.csv")
    assert [s.text for s in one_file.samples] == ["EMILE"]


def emnist_row(label: int, upright: np.ndarray) -> str:
    """One CSV row the way EMNIST stores it: transposed, white ink on black."""
    stored = (255 - upright).T.reshape(-1)
    return ",".join(map(str, [label, *stored.tolist()]))


def asymmetric_glyph() -> np.ndarray:
    """Dark ink on white: a bar along the top row and down the left column (an 'Γ')."""
    glyph = np.full((28, 28), 255, np.uint8)
    glyph[2, 2:20] = 0
    glyph[2:25, 2] = 0
    return glyph


def test_emnist_orientation_and_inversion(tmp_path):
    glyph = asymmetric_glyph()
    (tmp_path / "emnist-balanced-mapping.txt").write_text("0 48\n1 49\n10 65\n")
    (tmp_path / "emnist-balanced-train.csv").write_text(
        emnist_row(10, glyph) + "\n" + emnist_row(1, 255 - glyph) + "\n"
    )
    (tmp_path / "emnist-balanced-test.csv").write_text(emnist_row(0, glyph) + "\n")
    dataset = load_dataset(tmp_path)
    assert dataset.format == "emnist"
    assert [(s.text, s.split) for s in dataset.samples] == [("A", "train"), ("1", "train"), ("0", "test")]
    image = dataset.samples[0].image
    assert image.dtype == np.uint8 and image.shape == (28, 28)
    np.testing.assert_array_equal(image, glyph)
    # the top row holds ink, the bottom row none: orientation and inversion both matter
    assert image[2, 10] == 0 and image[10, 2] == 0 and image[20, 20] == 255
    assert read_emnist(tmp_path / "emnist-balanced-test.csv")[0].text == "0"


def test_emnist_unknown_label_names_line(tmp_path):
    (tmp_path / "emnist-digits-mapping.txt").write_text("0 48\n")
    (tmp_path / "emnist-digits-train.csv").write_text(
        emnist_row(0, asymmetric_glyph()) + "\n" + emnist_row(7, asymmetric_glyph()) + "\n"
    )
    with pytest.raises(DatasetError, match=r"emnist-digits-train\.csv:2: label 7"):
        load_dataset(tmp_path)


@pytest.mark.parametrize(
    ("name", "sep", "columns"),
    [
        ("labels.csv", ",", ("file_name", "text", "writer_id", "split")),
        ("gt.tsv", "\t", ("Image", "Transcription", "Writer", "Split")),
        ("labels.csv", ";", ("path", "label", "author", "subset")),
    ],
)
def test_generic_table_relative_paths(tmp_path, name, sep, columns):
    write_png(tmp_path / "img" / "a.png")
    write_png(tmp_path / "img" / "b.png", shade=3)
    rows = [
        sep.join(columns),
        sep.join(["img/a.png", "Straße 1", "7", "train"]),
        sep.join(["img/b.png", "b, c", "8", "validation"]),
    ]
    if sep == ",":
        rows[2] = 'img/b.png,"b, c",8,validation'
    (tmp_path / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    dataset = load_dataset(tmp_path)
    assert dataset.format == "generic_csv"
    assert [(s.text, s.writer, s.split) for s in dataset.samples] == [
        ("Straße 1", "7", "train"),
        ("b, c", "8", "val"),
    ]
    assert Path(dataset.samples[1].path) == tmp_path / "img" / "b.png"
    assert dataset.samples[1].source == f"{tmp_path / name}:3"


def test_generic_csv_without_writer(tmp_path):
    write_png(tmp_path / "x.png")
    (tmp_path / "data.csv").write_text("filename,identity\nx.png,hello\n")
    dataset = load_dataset(tmp_path / "data.csv")
    assert [(s.text, s.writer) for s in dataset.samples] == [("hello", None)]


def test_image_txt_folder(tmp_path):
    write_png(tmp_path / "a" / "one.png")
    (tmp_path / "a" / "one.txt").write_text("first line\n")
    write_png(tmp_path / "b" / "two.png", shade=2)
    (tmp_path / "b" / "two.txt").write_text("zwei")
    write_png(tmp_path / "b" / "orphan.png")
    dataset = load_dataset(tmp_path)
    assert dataset.format == "image_txt_folder"
    assert [s.text for s in dataset.samples] == ["first line", "zwei"]
    assert dataset.skipped == {"images without a .txt label": 1}
    assert dataset.samples[0].source == f"{tmp_path / 'a' / 'one.txt'}:1"


def test_detect_format_on_label_files(tmp_path):
    for name, fmt in [
        ("words.txt", "iam_words"),
        ("lines.txt", "iam_lines"),
        ("sentences.txt", "iam_sentences"),
        ("train-0.parquet", "iam_parquet"),
        ("written_name_train_v2.csv", "kaggle"),
        ("emnist-letters-mapping.txt", "emnist"),
        ("emnist-letters-test.csv", "emnist"),
        ("my_labels.csv", "generic_csv"),
        ("gt.tsv", "generic_csv"),
    ]:
        (tmp_path / name).write_text("")
        assert detect_format(tmp_path / name) == fmt, name


# ---- broken inputs: one-line errors naming the file (and line) ----


def assert_one_line(error: pytest.ExceptionInfo, *parts: str) -> None:
    message = str(error.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, (part, message)


def test_missing_images_counted_and_named(tmp_path):
    label_file = make_iam_words(tmp_path)
    missing = [iam_image(tmp_path, "words", i) for i in ("a01-000u-00-00", "a02-000-00-00")]
    for path in missing:
        path.unlink()
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path)
    assert_one_line(
        error, str(label_file), "2 of 3 image files are missing", "a01-000u-00-00.png", f"{label_file}:4"
    )


def test_malformed_line_names_file_and_line(tmp_path):
    make_iam_words(tmp_path, WORDS_TXT + "a03-000-00-00 ok 154 408\n")
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path)
    assert_one_line(error, f"{tmp_path / 'words.txt'}:8", "malformed line", "found 4")


def test_generic_csv_row_split_by_an_unquoted_comma_is_refused(tmp_path):
    write_png(tmp_path / "a.png")
    table = tmp_path / "labels.csv"
    table.write_text("file_name,text,writer_id\na.png,Groß,Köris,1\n", encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        load_dataset(table)
    assert_one_line(error, f"{table}:2", "expected 3 fields, found 4", "double quotes")
    # quoted, the same text reads whole; empty fields after the last column lose nothing
    table.write_text('file_name,text,writer_id\na.png,"Groß, Köris",1,,\n', encoding="utf-8")
    (sample,) = load_dataset(table).samples
    assert (sample.text, sample.writer) == ("Groß, Köris", "1")


def test_a_text_that_starts_with_a_quote_but_is_not_quoted_whole_is_refused(tmp_path):
    write_png(tmp_path / "a.png")
    table = tmp_path / "labels.tsv"
    table.write_text('file_name\ttext\na.png\tok\na.png\t"Quoted" word\n', encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        load_dataset(table)
    assert_one_line(error, f"{table}:3", "malformed quoting", "doubled")
    table.write_text(
        'file_name\ttext\na.png\tok\na.png\t"a lone quote\na.png\tnext\na.png\tlast\n', encoding="utf-8"
    )
    with pytest.raises(DatasetError) as error:  # not the rest of the file as one label
        load_dataset(table)
    assert_one_line(error, f"{table}:3: malformed quoting")  # where the quote opens, not the file's end
    table.write_text('file_name\ttext\na.png\t"""Quoted"" word"\n', encoding="utf-8")  # as CSV quotes it
    assert [s.text for s in load_dataset(table).samples] == ['"Quoted" word']


def test_generic_csv_short_row_and_empty_label(tmp_path):
    write_png(tmp_path / "a.png")
    table = tmp_path / "labels.csv"
    table.write_text("file_name,text,writer_id\na.png,ok,1\na.png\n")
    with pytest.raises(DatasetError) as error:
        load_dataset(table)
    assert_one_line(error, f"{table}:3", "malformed line")
    table.write_text("file_name,text,writer_id\na.png,ok,1\na.png,  ,1\n")
    with pytest.raises(DatasetError) as error:
        load_dataset(table)
    assert_one_line(error, f"{table}:3", "empty label")


def test_empty_dataset(tmp_path):
    (tmp_path / "words.txt").write_text("# only comments\n")
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path)
    assert_one_line(error, str(tmp_path / "words.txt"), "empty dataset")
    (tmp_path / "labels.csv").write_text("file_name,text\n")
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path / "labels.csv")
    assert_one_line(error, "labels.csv", "empty dataset")


def test_kaggle_only_unreadable_is_empty_with_reasons(tmp_path):
    (tmp_path / "written_name_train_v2.csv").write_text("FILENAME,IDENTITY\nA.jpg,UNREADABLE\n")
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path)
    assert_one_line(error, "empty dataset", "1 UNREADABLE label")


def test_unknown_format(tmp_path):
    (tmp_path / "notes.md").write_text("nothing to see")
    with pytest.raises(DatasetError) as error:
        detect_format(tmp_path)
    assert_one_line(error, str(tmp_path), "unknown dataset format", "words.txt", "parquet")
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path, fmt="rimes")
    assert_one_line(error, "unknown format 'rimes'")
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path / "absent")
    assert_one_line(error, "absent", "no such file")


def test_folder_with_several_tables_asks_which(tmp_path):
    (tmp_path / "a.csv").write_text("file_name,text\n")
    (tmp_path / "b.csv").write_text("file_name,text\n")
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path)
    assert_one_line(error, str(tmp_path), "several labels files", "a.csv, b.csv")
