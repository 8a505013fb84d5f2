"""What ``inferenceModel.py`` imports to read a word: no TensorFlow, no dataset readers, no evaluation.

Each module left out is start-up time the user waits for on every image: the
readers and the evaluation cost about 0.2 s of a 0.5 s word on two cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
NOT_NEEDED = (
    "tensorflow",
    "keras",
    "jax",
    "mltu_ext.data.detect",
    "mltu_ext.data.check",
    "mltu_ext.data.split",
    "mltu_ext.evaluation.evaluate",
)


def test_reading_a_word_imports_only_what_it_uses(tmp_path):
    word = np.full((64, 220), 255, np.uint8)
    cv2.putText(word, "Halle", (8, 46), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.4, 0, 3)
    image = tmp_path / "word.png"
    cv2.imwrite(str(image), word)
    code = (
        "import runpy, sys; "
        f"sys.argv = ['inferenceModel.py', '--image', {str(image)!r}, '--model', "
        f"{str(ROOT / 'Models' / 'dhsd_words')!r}]; "
        "exit_code = None\n"
        "try:\n"
        f"    runpy.run_path({str(ROOT / 'inferenceModel.py')!r}, run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    exit_code = stop.code\n"
        f"print(exit_code, *sorted(m for m in {NOT_NEEDED!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.splitlines()[-1] == "0", out.stdout  # read, and none of NOT_NEEDED imported


def test_the_data_package_names_its_parts_on_first_use():
    code = (
        "import sys, mltu_ext.data as data; "
        "before = 'mltu_ext.data.detect' in sys.modules; "
        "from mltu_ext.data import FORMATS, load_dataset, split_samples; "
        "print(before, 'mltu_ext.data.detect' in sys.modules, load_dataset.__module__, "
        "'check_samples' in dir(data), hasattr(data, 'no_such_name'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "True", "mltu_ext.data.detect", "True", "False"]


def test_the_format_names_are_those_of_the_readers():
    from mltu_ext.data.detect import FORMATS
    from mltu_ext.data.format_names import FORMAT_NAMES

    assert list(FORMAT_NAMES) == list(FORMATS)
