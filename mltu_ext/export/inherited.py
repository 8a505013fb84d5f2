"""What a fine-tuned model takes over from the model it started from: its reading aids.

``train.py --init-from Models/handwritten_lines`` makes a new model folder. The network is
retrained, but the source's language model (``language_model.json.gz``, counts of texts like
those it reads) and its confidence temperature (fitted on validation writers) still describe
the task far better than nothing: without them ``--lm`` stops with an error and every
confidence is uncalibrated. Both are copied, and the new model says where they came from, so
that they can be refitted on the user's own lines (``python -m mltu_ext.cli.calibrate``,
``python -m mltu_ext.cli.language_model``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mltu_ext.ctc.lm_file import language_model_path
from mltu_ext.errors import ModelLoadError, OutputWriteError
from mltu_ext.export.metadata import file_metadata, update_metadata
from mltu_ext.inference.model_files import find_model_file
from mltu_ext.io.os_errors import os_reason


def inherit_reading_aids(source: str | Path, onnx_path: str | Path) -> list[str]:
    """Copy ``source``'s language model and confidence temperature to the model at ``onnx_path``.

    ``source`` is the ``--init-from`` folder (or a file in it). Returns one note per thing taken
    over (none when the source has neither).
    """
    source = Path(source)
    folder = source if source.is_dir() else source.parent
    onnx_path = Path(onnx_path)
    notes = []
    try:  # the metadata inside the source's ONNX file, as its readers take it
        temperature = file_metadata(find_model_file(folder)).get("confidence_temperature")
    except ModelLoadError:
        temperature = None  # a folder without a readable ONNX file has no temperature to give
    if temperature is not None:  # checked a positive number by file_metadata
        update_metadata(onnx_path, confidence_temperature=float(temperature))
        notes.append(
            f"confidence temperature {temperature:g} taken over from {folder}; fit it on your own "
            f"lines with python -m mltu_ext.cli.calibrate {onnx_path.parent} --dataset ... --write"
        )
    lm = language_model_path(folder)
    if lm.is_file():
        target = language_model_path(onnx_path.parent)
        try:
            shutil.copyfile(lm, target)
        except OSError as error:
            raise OutputWriteError(f"{target}: cannot write ({os_reason(target, error)})") from error
        notes.append(
            f"language model taken over from {lm} (--lm reads with it); make one of your own texts with "
            f"python -m mltu_ext.cli.language_model {onnx_path.parent} --dataset ..."
        )
    return notes
