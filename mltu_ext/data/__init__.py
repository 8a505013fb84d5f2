"""Dataset readers, checks and writer-aware splits.

>>> from mltu_ext.data import load_dataset, split_samples  # doctest: +SKIP
>>> dataset = load_dataset("Datasets/iam")                 # doctest: +SKIP
>>> parts = split_samples(dataset.samples, val_fraction=0.1)  # doctest: +SKIP

The names below are imported on first use (PEP 562): ``inferenceModel.py``
needs only ``mltu_ext.data.images``, and importing that submodule runs this
file; loading every reader and the checks here cost the command about a
tenth of a second at each start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mltu_ext.data.check import CheckReport, check_samples
    from mltu_ext.data.detect import FORMATS, detect_format, load_dataset
    from mltu_ext.data.read_log import ReadLog
    from mltu_ext.data.readers.common import LoadedDataset
    from mltu_ext.data.split import SplitResult, split_by_writer_ids, split_samples
    from mltu_ext.errors import DatasetError

# each public name and the module it comes from
_SOURCES = {
    "FORMATS": "mltu_ext.data.detect",
    "CheckReport": "mltu_ext.data.check",
    "DatasetError": "mltu_ext.errors",
    "LoadedDataset": "mltu_ext.data.readers.common",
    "ReadLog": "mltu_ext.data.read_log",
    "SplitResult": "mltu_ext.data.split",
    "check_samples": "mltu_ext.data.check",
    "detect_format": "mltu_ext.data.detect",
    "load_dataset": "mltu_ext.data.detect",
    "split_by_writer_ids": "mltu_ext.data.split",
    "split_samples": "mltu_ext.data.split",
}

__all__ = [
    "FORMATS",
    "CheckReport",
    "DatasetError",
    "LoadedDataset",
    "ReadLog",
    "SplitResult",
    "check_samples",
    "detect_format",
    "load_dataset",
    "split_by_writer_ids",
    "split_samples",
]


def __getattr__(name: str) -> object:
    """Import a public name's module when the name is first asked for."""
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_SOURCES[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """The module's names, the ones not yet imported included."""
    return sorted(set(globals()) | set(_SOURCES))
