"""Run a recogniser over a labelled set and write numbers, pictures and a report page.

A recogniser is any object with ``predict(images: list[np.ndarray]) -> list[str]``
taking uint8 grayscale (H, W) images, dark ink on white.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from tqdm import tqdm

from mltu_ext.data.samples import Sample, sample_pixels
from mltu_ext.errors import ConfigError, DatasetError, ImageReadError, OutputWriteError
from mltu_ext.evaluation import plots
from mltu_ext.evaluation.alignment import mark_differences
from mltu_ext.evaluation.char_stats import align_all
from mltu_ext.evaluation.confusions import confusion_matrix
from mltu_ext.evaluation.error_rates import edit_distance
from mltu_ext.evaluation.label_audit import find_suspect_labels
from mltu_ext.evaluation.report_page import write_html, write_markdown
from mltu_ext.evaluation.summary import SampleResult, sample_results, summarize, worst
from mltu_ext.evaluation.training_log import (
    describe_training,
    load_training_summary,
    summarize_training_log,
)
from mltu_ext.io.atomic import write_text

METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.csv"
REPORT_HTML = "report.html"
REPORT_MD = "report.md"


class Recognizer(Protocol):
    """What ``evaluate`` needs from a model."""

    def predict(self, images: list[np.ndarray]) -> list[str]:
        """The text of each image, in the order given."""
        ...


def evaluate(
    recognizer: Recognizer,
    samples: Sequence[Sample],
    out_dir: str,
    batch_size: int = 32,
    training_log: str | None = None,
    dataset_name: str = "",
    top_k: int = 20,
    grid_size: int = 16,
    embed_images: bool = False,
    progress: bool = True,
    notes: Sequence[str] = (),
) -> dict:
    """Predict every sample and write the evaluation into ``out_dir``.

    Writes metrics.json, predictions.csv, samples.png, confusion.png,
    dataset.png, training_curves.png (only when ``training_log`` exists),
    report.html and report.md, and returns the metrics dict. Images that
    cannot be read are skipped, named on stderr and counted in the metrics.
    ``notes`` are extra lines for the top of the report (e.g. what the
    dataset reader skipped).
    """
    if not samples:
        raise DatasetError("no samples to evaluate")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    # read the log first: a broken log should fail before the long prediction run
    log_columns, log_note = load_training_summary(training_log)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise OutputWriteError(
            f"{out_dir}: cannot create the report folder ({error.strerror or error})"
        ) from error

    run = _predict_all(recognizer, samples, batch_size, progress)
    truths = [samples[i].text for i in run.indices]
    names = [samples[i].name for i in run.indices]
    alignments = align_all(run.predictions, truths)
    metrics = {"dataset": dataset_name, **summarize(run.predictions, truths, alignments, top_k)}
    metrics["throughput"] = {
        "images": len(run.indices),
        "batch_size": batch_size,
        "predict_seconds": run.predict_seconds,
        "total_seconds": run.total_seconds,
        "images_per_s": _rate(len(run.indices), run.predict_seconds),
        "images_per_s_with_loading": _rate(len(run.indices), run.total_seconds),
    }
    metrics["skipped"] = {"count": len(run.skipped), "unreadable": run.skipped}
    metrics["suspect_labels"] = suspect_labels(samples, run.indices, run.predictions)
    metrics["training"] = summarize_training_log(log_columns) if log_columns else None
    metrics["unwritable"] = unwritable_characters(truths, getattr(recognizer, "vocabulary", None))
    results = sample_results(names, run.predictions, truths, alignments, run.indices)

    confidence = dict(zip(run.indices, run.confidences, strict=True))
    _write_predictions(os.path.join(out_dir, PREDICTIONS_FILE), results, samples, confidence)
    pictures = _draw_pictures(out_dir, samples, results, alignments, run.sizes, log_columns, grid_size)
    metrics["files"] = [METRICS_FILE, PREDICTIONS_FILE, *pictures, REPORT_HTML, REPORT_MD]
    write_text(os.path.join(out_dir, METRICS_FILE), json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")

    notes = [*notes, log_note, *(describe_training(metrics["training"]) if log_columns else [])]
    if run.skipped:
        notes.append(f"{len(run.skipped)} unreadable images were skipped (listed in metrics.json)")
    if metrics["unwritable"]["count"]:
        notes.append(unwritable_note(metrics["unwritable"]))
    if log_columns is not None and "training_curves.png" not in pictures:
        notes.append("the training log has no loss, CER, WER or learning-rate column to plot")
    hardest = worst(results, top_k)
    write_html(os.path.join(out_dir, REPORT_HTML), metrics, hardest, pictures, notes, embed_images)
    write_markdown(os.path.join(out_dir, REPORT_MD), metrics, hardest, pictures, notes)
    return metrics


def unwritable_characters(truths: Sequence[str], vocabulary: str | None) -> dict:
    """The characters of the truths that the model cannot output, and how often they occur."""
    known = set(vocabulary) if vocabulary is not None else None
    missing = [c for text in truths for c in text if known is not None and c not in known]
    return {"characters": "".join(sorted(set(missing))), "count": len(missing)}


def unwritable_note(unwritable: dict) -> str:
    """One line on the truth characters no reading of this model can get right."""
    return (
        f"{unwritable['count']} characters of the truths are not in the model's vocabulary "
        f"({unwritable['characters']!r}): no reading can get them right"
    )


def show_sample(
    recognizer: Recognizer,
    samples: Sequence[Sample],
    index: int,
    save_path: str | None = None,
) -> str:
    """Truth, prediction and CER of ``samples[index]``; optionally a PNG with both texts.

    >>> class Echo:
    ...     def predict(self, images): return ["helo"]
    >>> pixels = np.full((8, 20), 255, np.uint8)
    >>> print(show_sample(Echo(), [Sample("hello", image=pixels)], 0))
    sample 0: <in-memory image>
    truth:       "hello"
    prediction:  "helo"
    CER:         20.00 % (1 edits / 5 chars)
    differences: he[l→]lo
    """
    if not -len(samples) <= index < len(samples):
        raise ConfigError(f"index {index} is out of range: the dataset has {len(samples)} samples")
    sample = samples[index]
    image = sample_pixels(sample)
    predictions = recognizer.predict([image])
    if len(predictions) != 1:
        raise ValueError(f"recogniser returned {len(predictions)} predictions for 1 image")
    prediction = predictions[0]
    edits = edit_distance(prediction, sample.text)
    result = SampleResult(index, sample.name, sample.text, prediction, edits)
    lines = [
        f"sample {index}: {sample.name}",
        f'truth:       "{sample.text}"',
        f'prediction:  "{prediction}"',
        f"CER:         {100 * result.cer:.2f} % ({edits} edits / {len(sample.text)} chars)",
    ]
    if edits:
        lines.append(f"differences: {mark_differences(sample.text, prediction)}")
    if save_path:
        folder = os.path.dirname(save_path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        plots.plot_single(image, sample.text, prediction, save_path)
        lines.append(f"saved:       {save_path}")
    return "\n".join(lines)


def suspect_labels(samples: Sequence[Sample], indices: list[int], predictions: list[str]) -> list[dict]:
    """Samples read as another label of the same writer (``label_audit``); [] when writers are unknown."""
    if not any(samples[i].writer for i in indices):
        return []
    found = find_suspect_labels(
        predictions, [samples[i].text for i in indices], [samples[i].writer or "" for i in indices]
    )
    return [
        {
            "index": indices[s.index],
            "sample": samples[indices[s.index]].name,
            "label": s.label,
            "prediction": s.prediction,
            "other_label": s.other_label,
        }
        for s in found
    ]


@dataclass
class _Run:
    """What one pass of the recogniser produced."""

    indices: list[int] = field(default_factory=list)  # positions in ``samples`` predicted
    predictions: list[str] = field(default_factory=list)
    # each prediction's confidence, when the recogniser gives them (OnnxRecognizer.read)
    confidences: list[float] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)  # (H, W) of each image
    skipped: list[str] = field(default_factory=list)  # one message per unreadable image
    predict_seconds: float = 0.0
    total_seconds: float = 0.0


def _predict_all(recognizer: Recognizer, samples: Sequence[Sample], batch_size: int, progress: bool) -> _Run:
    run = _Run()
    start = time.perf_counter()
    with tqdm(total=len(samples), desc="evaluating", unit="img", disable=not progress) as bar:
        for first in range(0, len(samples), batch_size):
            images: list[np.ndarray] = []
            indices: list[int] = []
            for i in range(first, min(first + batch_size, len(samples))):
                try:
                    image = sample_pixels(samples[i])
                    if hasattr(recognizer, "check_width"):  # one image too wide for the model: named, skipped
                        recognizer.check_width(image, samples[i].name)
                    images.append(image)
                    indices.append(i)
                except ImageReadError as error:
                    run.skipped.append(str(error))
                    tqdm.write(f"skipped: {error}", file=sys.stderr)
            if images:
                tick = time.perf_counter()
                if hasattr(recognizer, "read"):
                    readings = recognizer.read(images)
                    predictions = [r.text for r in readings]
                    run.confidences += [r.confidence for r in readings]
                else:
                    predictions = recognizer.predict(images)
                    run.confidences += [float("nan")] * len(images)
                run.predict_seconds += time.perf_counter() - tick
                _check_predictions(predictions, len(images), samples[indices[0]].name)
                run.indices += indices
                run.predictions += predictions
                run.sizes += [(int(im.shape[0]), int(im.shape[1])) for im in images]
            bar.update(min(batch_size, len(samples) - first))
    run.total_seconds = time.perf_counter() - start
    if not run.indices:
        raise DatasetError(f"none of the {len(samples)} images could be read")
    return run


def _check_predictions(predictions: list[str], expected: int, first_name: str) -> None:
    if len(predictions) != expected:
        raise ValueError(
            f"recogniser returned {len(predictions)} predictions for a batch of {expected} "
            f"images (batch starting at {first_name})"
        )
    for text in predictions:
        if not isinstance(text, str):
            raise TypeError(f"recogniser returned {type(text).__name__}, expected str")


def _write_predictions(
    path: str, results: Sequence[SampleResult], samples: Sequence[Sample], confidence: dict[int, float]
) -> None:
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(["index", "path", "source", "truth", "prediction", "edits", "cer", "confidence"])
    for r in results:
        sample = samples[r.index]
        sure = confidence.get(r.index, float("nan"))
        row = [r.index, sample.path or "", sample.source, r.truth, r.prediction, r.edits, f"{r.cer:.4f}"]
        writer.writerow([*row, "" if sure != sure else f"{sure:.4f}"])  # NaN: not given
    write_text(path, handle.getvalue())


def _draw_pictures(
    out_dir: str,
    samples: Sequence[Sample],
    results: Sequence[SampleResult],
    alignments: list,
    sizes: Sequence[tuple[int, int]],
    log_columns: dict[str, list[float]] | None,
    grid_size: int,
) -> list[str]:
    """Write the PNGs; returns the names of those written, in report order."""
    written = []
    chosen = plots.pick_for_grid(results, grid_size)
    items = [(sample_pixels(samples[r.index]), r.truth, r.prediction) for r in chosen]
    plots.plot_samples(items, os.path.join(out_dir, "samples.png"))
    written.append("samples.png")
    rows, cols, matrix = confusion_matrix(alignments)
    plots.plot_confusion(rows, cols, matrix, os.path.join(out_dir, "confusion.png"))
    written.append("confusion.png")
    if log_columns and plots.plot_training_curves(log_columns, os.path.join(out_dir, "training_curves.png")):
        written.append("training_curves.png")
    plots.plot_dataset([r.truth for r in results], sizes, os.path.join(out_dir, "dataset.png"))
    written.append("dataset.png")
    return written


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0
