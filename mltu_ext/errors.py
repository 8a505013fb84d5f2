"""The package's input errors, gathered for command-line tools.

Commands print these as one line (``error: <file>: <problem>``) instead of a
traceback; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


def user_errors(training: bool = False) -> tuple[type[BaseException], ...]:
    """Exception types that describe bad input; ``training`` adds those of training."""
    from mltu_ext.config import ConfigError
    from mltu_ext.data.errors import DatasetError
    from mltu_ext.image_ops import ImageReadError
    from mltu_ext.inference import ModelLoadError
    from mltu_ext.vocabulary import LabelError

    errors: tuple[type[BaseException], ...] = (
        ConfigError,
        DatasetError,
        ImageReadError,
        ModelLoadError,
        LabelError,
        FileNotFoundError,
    )
    if training:
        from mltu_ext.export import ExportMismatchError
        from mltu_ext.training import TrainingError

        errors += (ExportMismatchError, TrainingError)
    return errors
