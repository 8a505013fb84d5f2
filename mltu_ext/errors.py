"""The package's one error hierarchy.

Every error that describes bad input or a refused result derives from
``MltuExtError``; its message is one line that names the file (and line or
field) and the problem. Commands catch ``MltuExtError`` alone, print
``error: <message>`` and exit 2; any other exception is a bug and keeps its
traceback.
"""

from __future__ import annotations


class MltuExtError(Exception):
    """Base class of the package's errors; the message is one line for the user."""


class ConfigError(MltuExtError, ValueError):
    """A configuration value or command-line option that cannot work."""


class DatasetError(MltuExtError, ValueError):
    """Bad dataset input; the message names the file (and line)."""


class ImageReadError(MltuExtError, ValueError):
    """An image file that is missing or cannot be decoded."""


class LabelError(MltuExtError, ValueError):
    """A label that the model cannot learn (empty, unknown characters, too long)."""


class ModelLoadError(MltuExtError, ValueError):
    """A model path that is missing or an ONNX file without usable metadata."""


class TrainingError(MltuExtError, RuntimeError):
    """Training cannot start or go on with these inputs (named in the message)."""


class ExportMismatchError(MltuExtError, RuntimeError):
    """The ONNX model does not reproduce the Keras model's output."""


class QuantizeCheckError(MltuExtError, RuntimeError):
    """The int8 model reads too many check images differently from the float one."""


class InputFileError(MltuExtError, ValueError):
    """A path given on the command line that does not exist or holds nothing usable."""


class OutputWriteError(MltuExtError, OSError):
    """A file the package could not write (disk full, no permission, missing folder)."""
