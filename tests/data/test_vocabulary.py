"""Vocabulary order, encoding errors and the CTC length rule."""

import subprocess
import sys

import pytest

from mltu_ext.data.vocabulary import Vocabulary, ctc_steps_needed
from mltu_ext.errors import LabelError


def test_vocabulary_is_sorted_and_same_in_every_process():
    texts = ["zebra", "Äpfel", "ß 12"]
    here = Vocabulary.from_texts(texts).chars
    assert here == "".join(sorted(set("".join(texts))))
    # set iteration order of str changes with PYTHONHASHSEED; sorting must hide that
    code = f"from mltu_ext.data.vocabulary import Vocabulary; print(Vocabulary.from_texts({texts!r}).chars)"
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=".",
        )
        assert out.stdout.rstrip("\n") == here


def test_encode_names_the_file_and_problem():
    vocab = Vocabulary("abc")
    assert vocab.encode("cab") == [2, 0, 1]
    with pytest.raises(LabelError, match=r"img/1\.png: .*'xz'"):
        vocab.encode("axz", where="img/1.png")
    with pytest.raises(LabelError, match=r"img/2\.png: empty label"):
        vocab.encode("", where="img/2.png")


def test_a_label_with_a_newline_or_nul_is_refused():
    from mltu_ext.data.vocabulary import label_problem

    assert "U+000A" in label_problem("two\nlines")
    assert "U+0000" in label_problem("nul\x00")
    assert label_problem("tab and ü, ß: fine") is None


def test_a_label_of_invisible_characters_only_is_empty():
    from mltu_ext.data.vocabulary import label_problem

    assert label_problem("\u200b") == "empty label: only invisible characters (U+200B)"
    assert label_problem(" \u2060\u200c ").startswith("empty label")
    assert label_problem("Groß\u200bKöris") is None  # an invisible character inside a word: kept


def test_merge_keeps_old_indices():
    grown = Vocabulary("abc").merged_with(["cabd", "ä"])
    assert grown.chars == "abcdä"
    assert grown.blank_index == 5


@pytest.mark.parametrize(("text", "steps"), [("a", 1), ("ab", 2), ("aa", 3), ("hello", 6), ("aaa", 5)])
def test_ctc_steps_needed(text, steps):
    assert ctc_steps_needed(text) == steps
