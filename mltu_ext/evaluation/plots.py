"""The evaluation pictures, drawn with matplotlib's Agg canvas into PNG files.

matplotlib is imported inside each function and figures are bound to an Agg
canvas directly (no pyplot), so importing this module costs nothing and no
global backend state is touched.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.errors import OutputWriteError
from mltu_ext.evaluation.alignment import mark_differences
from mltu_ext.io.atomic import replacing
from mltu_ext.io.os_errors import os_reason

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mltu_ext.evaluation.summary import SampleResult

DPI = 90
_MAX_TEXT = 48
_LOSS = ("loss", "val_loss")
_RATES = ("val_CER", "val_WER", "CER", "WER")


def pick_for_grid(results: Sequence[SampleResult], count: int = 16) -> list[SampleResult]:
    """Deterministic choice for the sample grid: errors first, then some correct ones.

    Up to three quarters of the cells show the worst errors (highest CER,
    then dataset order); the rest show correct samples spread evenly over the
    dataset. Either side fills the other's cells when it runs short.
    """
    wrong = sorted((r for r in results if r.edits), key=lambda r: (-r.cer, r.index))
    right = [r for r in results if not r.edits]
    n_wrong = min(len(wrong), max(count - len(right), math.ceil(count * 3 / 4)))
    n_right = min(len(right), count - n_wrong)
    # evenly spaced correct samples, so the grid is not all from the first file
    spread = [right[int(i * len(right) / n_right)] for i in range(n_right)] if n_right else []
    return wrong[:n_wrong] + spread


def plot_samples(items: Sequence[tuple[np.ndarray, str, str]], path: str, columns: int | None = None) -> None:
    """Grid of (image, truth, prediction); wrong ones get a red title with differences marked.

    The prediction line writes each error as ``[truth→prediction]``.
    """
    figure = _new_figure((8, 2))
    if not items:
        _note(figure, "no samples")
        _save(figure, path)
        return
    aspect = float(np.median([image.shape[1] / max(image.shape[0], 1) for image, _, _ in items]))
    if columns is None:
        columns = 2 if aspect > 6 else 4  # text lines need wide cells
    columns = min(columns, len(items))
    rows = math.ceil(len(items) / columns)
    cell_width = 8.0 / columns if columns > 2 else 5.0
    # image height at the median aspect plus two lines of text, in inches
    cell_height = min(max(cell_width / aspect + 0.6, 1.0), 2.5)
    figure.set_size_inches(max(cell_width * columns, 3.0), max(cell_height * rows, 3.0))
    for k, (image, truth, prediction) in enumerate(items):
        axes = figure.add_subplot(rows, columns, k + 1)
        axes.imshow(image, cmap="gray", vmin=0, vmax=255, aspect="equal")
        axes.set_xticks([])
        axes.set_yticks([])
        correct = truth == prediction
        shown = prediction if correct else mark_differences(truth, prediction)
        axes.set_xlabel(
            f"T: {_short(truth)}\nP: {_short(shown)}",
            fontsize=7,
            color="darkgreen" if correct else "red",
        )
    figure.tight_layout()
    _save(figure, path)


def plot_confusion(
    row_labels: Sequence[str], col_labels: Sequence[str], matrix: np.ndarray, path: str
) -> None:
    """Heatmap of confusion counts; errors (off the diagonal) are written into their cells.

    The colour scale is a power law (gamma 0.4) so that rare errors stay
    visible beside the frequent matches; empty cells are left white.
    """
    from matplotlib.colors import PowerNorm

    n_rows, n_cols = matrix.shape
    figure = _new_figure((max(4.0, 0.28 * n_cols + 2.0), max(4.0, 0.28 * n_rows + 1.6)))
    axes = figure.add_subplot(1, 1, 1)
    if matrix.max() == 0:
        _note(figure, "no characters to compare")
        _save(figure, path)
        return
    masked = np.ma.masked_equal(matrix, 0)
    image = axes.imshow(masked, cmap="viridis", norm=PowerNorm(0.4, vmin=0, vmax=max(1, int(matrix.max()))))
    axes.set_xticks(range(n_cols), [_safe(label) for label in col_labels], fontsize=7, rotation=90)
    axes.set_yticks(range(n_rows), [_safe(label) for label in row_labels], fontsize=7)
    axes.set_xlabel("prediction")
    axes.set_ylabel("truth")
    axes.set_title("character confusions (count)", fontsize=9)
    for i, j in zip(*np.nonzero(matrix), strict=True):
        if row_labels[i] != col_labels[j]:  # the diagonal is matches; label only errors
            axes.text(
                j, i, str(matrix[i, j]), ha="center", va="center", fontsize=6, color="red", fontweight="bold"
            )
    figure.colorbar(image, ax=axes, fraction=0.04)
    figure.tight_layout()
    _save(figure, path)


def plot_training_curves(columns: dict[str, list[float]], path: str) -> bool:
    """Loss, CER/WER and learning rate (log scale) per epoch; False when nothing to draw."""
    panels = [
        names
        for names in (_LOSS, _RATES, ("learning_rate",))
        if any(_has_values(columns.get(name)) for name in names)
    ]
    if not panels:
        return False
    figure = _new_figure((3.6 * len(panels), 3.2))
    epochs = columns["epoch"]
    for k, names in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), k + 1)
        for name in names:
            values = columns.get(name)
            if not _has_values(values):
                continue
            style = "-" if name.startswith("val_") or name == "learning_rate" else "--"
            axes.plot(epochs, values, style, marker=".", label=name)
        if names == ("learning_rate",):
            if any(v > 0 for v in columns["learning_rate"] if math.isfinite(v)):
                axes.set_yscale("log")
            axes.set_title("learning rate", fontsize=9)
        else:
            axes.set_title("loss" if names == _LOSS else "error rates", fontsize=9)
            axes.legend(fontsize=7)
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
    figure.tight_layout()
    _save(figure, path)
    return True


def plot_dataset(
    texts: Sequence[str], sizes: Sequence[tuple[int, int]], path: str, top_chars: int = 40
) -> None:
    """Label lengths, image widths and heights ((H, W) pairs) and character frequency."""
    figure = _new_figure((9, 6))
    panels = [
        ("label length (chars)", [len(t) for t in texts]),
        ("image width (px)", [w for _, w in sizes]),
        ("image height (px)", [h for h, _ in sizes]),
    ]
    for k, (title, values) in enumerate(panels):
        axes = figure.add_subplot(2, 2, k + 1)
        if values:
            axes.hist(values, bins=min(30, max(1, len(set(values)))), color="steelblue")
        axes.set_title(title, fontsize=9)
        axes.set_ylabel("samples", fontsize=8)
    axes = figure.add_subplot(2, 2, 4)
    frequency = Counter("".join(texts))
    common = sorted(frequency.items(), key=lambda item: (-item[1], item[0]))[:top_chars]
    if common:
        labels = [_safe(c.replace(" ", "␣")) for c, _ in common]
        axes.bar(range(len(common)), [n for _, n in common], color="darkorange")
        axes.set_xticks(range(len(common)), labels, fontsize=6)
    axes.set_title(f"character frequency ({len(common)} most frequent of {len(frequency)})", fontsize=9)
    figure.tight_layout()
    _save(figure, path)


def plot_single(image: np.ndarray, truth: str, prediction: str, path: str) -> None:
    """One image with its truth and prediction, for ``show_sample``."""
    aspect = image.shape[1] / max(image.shape[0], 1)
    figure = _new_figure((min(max(3.0, 1.2 * aspect), 12.0), 2.8))
    plot_into = figure.add_subplot(1, 1, 1)
    plot_into.imshow(image, cmap="gray", vmin=0, vmax=255)
    plot_into.set_xticks([])
    plot_into.set_yticks([])
    correct = truth == prediction
    shown = prediction if correct else mark_differences(truth, prediction)
    plot_into.set_xlabel(
        f"truth: {_short(truth, 80)}\nprediction: {_short(shown, 80)}",
        fontsize=9,
        color="darkgreen" if correct else "red",
    )
    figure.tight_layout()
    _save(figure, path)


def plot_reliability(
    curves: dict[str, tuple[Sequence[float], Sequence[bool]]], path: str, title: str = ""
) -> None:
    """A reliability diagram: for each named set of (word confidences, right or wrong), the share of
    words right against their mean confidence in ten bins (on the diagonal when calibrated), and
    below it how the words spread over the bins."""
    from mltu_ext.ctc.calibration import expected_calibration_error, reliability_bins

    figure = _new_figure((6.0, 6.5))
    grid = figure.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.08)
    top = figure.add_subplot(grid[0])
    bottom = figure.add_subplot(grid[1], sharex=top)
    top.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="calibrated")
    for k, (name, (confidences, right)) in enumerate(curves.items()):
        found = reliability_bins(confidences, right)
        width = (found[0].high - found[0].low) / len(curves) if found else 0.0  # the bins side by side
        ece = expected_calibration_error(confidences, right)
        top.plot(
            [b.confidence for b in found],
            [b.accuracy for b in found],
            marker="o",
            label=f"{_safe(name)} (ECE {ece:.3f}, {len(right)} words)",
        )
        total = max(len(right), 1)
        bottom.bar([b.low + (k + 0.5) * width for b in found], [b.count / total for b in found], width=width)
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("share of the words that are right")
    top.legend(loc="upper left", fontsize=8)
    top.tick_params(labelbottom=False)
    if title:
        top.set_title(_short(title, 80))
    bottom.set_xlabel("word confidence")
    bottom.set_ylabel("share of words")
    _save(figure, path)


def _new_figure(size: tuple[float, float]) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: str) -> None:
    with warnings.catch_warnings():
        # A character missing from the font shows as a box in the picture; the
        # numbers are unaffected, so this must not stop an evaluation.
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from", category=UserWarning)
        try:
            with replacing(path, suffix=".tmp.png") as tmp:
                figure.savefig(tmp, dpi=DPI, format="png")
        except OSError as error:
            raise OutputWriteError(f"{path}: cannot write the picture ({os_reason(path, error)})") from error


def _note(figure: Figure, text: str) -> None:
    figure.text(0.5, 0.5, text, ha="center", va="center")


def _has_values(values: list[float] | None) -> bool:
    return bool(values) and any(math.isfinite(v) for v in values)


def _short(text: str, limit: int = _MAX_TEXT) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return _safe(text)


def _safe(text: str) -> str:
    # a "$" would switch matplotlib to math mode; "\$" prints a plain dollar
    return text.replace("$", r"\$")
