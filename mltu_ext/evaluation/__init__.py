"""How good a trained recogniser is, where it fails and how training went.

Plain metric functions (``alignment``, ``char_stats``, ``confusions``,
``summary``), pictures (``plots``), the report page (``report_page``), the
driver (``evaluate``) and the command-line helpers (``cli``).
"""

from mltu_ext.evaluation.alignment import align, error_runs, mark_differences
from mltu_ext.evaluation.char_stats import char_class, char_scores, class_accuracy
from mltu_ext.evaluation.confusions import count_confusions
from mltu_ext.evaluation.evaluate import evaluate, show_sample
from mltu_ext.evaluation.summary import summarize

__all__ = [
    "align",
    "char_class",
    "char_scores",
    "class_accuracy",
    "count_confusions",
    "error_runs",
    "evaluate",
    "mark_differences",
    "show_sample",
    "summarize",
]
