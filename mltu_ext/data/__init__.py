"""Dataset readers, checks and writer-aware splits.

>>> from mltu_ext.data import load_dataset, split_samples  # doctest: +SKIP
>>> dataset = load_dataset("Datasets/iam")                 # doctest: +SKIP
>>> parts = split_samples(dataset.samples, val_fraction=0.1)  # doctest: +SKIP
"""

from mltu_ext.data.check import CheckReport, check_samples
from mltu_ext.data.detect import FORMATS, detect_format, load_dataset
from mltu_ext.data.read_log import ReadLog
from mltu_ext.data.readers.common import LoadedDataset
from mltu_ext.data.split import SplitResult, split_by_writer_ids, split_samples
from mltu_ext.errors import DatasetError

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
