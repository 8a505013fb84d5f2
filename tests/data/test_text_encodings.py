"""Label files saved as UTF-16 or UTF-32 with a byte order mark (Excel's "Unicode Text")."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mltu_ext.data import load_dataset


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_labels_file_with_a_utf16_or_utf32_mark_is_read(tmp_path, encoding):
    for name in ("a.png", "b.png"):
        assert cv2.imwrite(str(tmp_path / name), np.full((8, 16), 255, np.uint8))
    text = "image\ttext\r\na.png\tMünchen\r\nb.png\tŁódź\r\n"
    data = text.encode(encoding)
    if not encoding.startswith("utf-32") and encoding != "utf-16":  # the -le/-be codecs write no mark
        data = ("\ufeff" + text).encode(encoding)
    (tmp_path / "labels.tsv").write_bytes(data)
    # was: "byte 0xff at offset 0 is not valid UTF-8" (with --encoding cp1252: labels full of NULs)
    for option in (None, "cp1252"):
        samples = load_dataset(tmp_path, encoding=option).samples
        assert [s.text for s in samples] == ["München", "Łódź"]


def test_label_txt_with_a_utf16_mark_is_read(tmp_path):
    assert cv2.imwrite(str(tmp_path / "a.png"), np.full((8, 16), 255, np.uint8))
    (tmp_path / "a.txt").write_bytes("Grüße\r\n".encode("utf-16"))
    assert [s.text for s in load_dataset(tmp_path).samples] == ["Grüße"]
