"""One-page report (HTML and Markdown) built from metrics.json's dict.

Both pages are rendered from the same list of sections, so they say the same
thing. Pictures are linked relatively (the PNGs sit beside the page) or, with
``embed=True``, put into the HTML as base64 so the page travels alone.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from mltu_ext.evaluation.alignment import mark_differences
from mltu_ext.evaluation.confusions import format_confusion
from mltu_ext.evaluation.summary import SampleResult
from mltu_ext.io.atomic import write_text

EMPTY = "∅"  # shown for an empty truth or prediction, so the cell is not just blank
PICTURE_TITLES = {
    "samples.png": "Samples (errors first; errors written as [truth→prediction])",
    "confusion.png": "Character confusions",
    "training_curves.png": "Training curves",
    "dataset.png": "Dataset",
}


@dataclass
class Table:
    """A titled table of already formatted cells."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


def build_tables(metrics: dict, worst: Sequence[SampleResult]) -> list[Table]:
    """Summary, training, class accuracy, confusions and worst predictions tables."""
    counts = metrics["counts"]
    summary = Table("Summary", ["metric", "value"])
    summary.rows += [
        ["dataset", metrics.get("dataset") or "-"],
        ["samples", str(metrics["samples"])],
        ["CER", _pct(metrics["cer"])],
        ["WER", _pct(metrics["wer"])],
        ["exact match", f"{_pct(metrics['exact_match'])} ({counts['exact_matches']})"],
        [
            "char precision / recall / F1",
            " / ".join(_pct(metrics[k]) for k in ("char_precision", "char_recall", "char_f1")),
        ],
        ["reference chars / predicted chars", (f"{counts['reference_chars']} / {counts['predicted_chars']}")],
        [
            "char edits (sub / del / ins)",
            (
                f"{counts['edits']} ({counts['substitutions']} / {counts['deletions']} / "
                f"{counts['insertions']})"
            ),
        ],
        ["word edits / reference words", f"{counts['word_edits']} / {counts['reference_words']}"],
    ]
    speed = metrics.get("throughput")
    if speed:
        summary.rows.append(
            [
                "throughput",
                f"{speed['images_per_s']:.1f} img/s in predict "
                f"({speed['images_per_s_with_loading']:.1f} img/s with image loading, "
                f"batch {speed['batch_size']})",
            ]
        )
    skipped = metrics.get("skipped", {})
    if skipped.get("count"):
        summary.rows.append(["skipped (unreadable images)", str(skipped["count"])])
    tables = [summary]

    training = metrics.get("training")
    if training:
        table = Table("Training", ["item", "value"])
        for key, value in training.items():
            if value is not None:
                table.rows.append([key, _number(value)])
        tables.append(table)

    classes = Table("Accuracy by character class", ["class", "reference chars", "correct", "accuracy"])
    for name, row in metrics["class_accuracy"].items():
        accuracy = "-" if row["accuracy"] is None else _pct(row["accuracy"])
        classes.rows.append([name, str(row["count"]), str(row["correct"]), accuracy])
    tables.append(classes)

    confusions = Table("Most frequent confusions", ["kind", "confusion", "count"])
    found = metrics["confusions"]
    for key, kind in (("substitutions", "substitution"), ("multi", "multi-char")):
        for row in found[key][:10]:
            confusions.rows.append(
                [kind, format_confusion(row["truth"], row["prediction"]), str(row["count"])]
            )
    for row in found["insertions"][:10]:
        confusions.rows.append(["insertion", format_confusion("", row["text"]), str(row["count"])])
    for row in found["deletions"][:10]:
        confusions.rows.append(["deletion", format_confusion(row["text"], ""), str(row["count"])])
    tables.append(confusions)

    worst_table = Table(
        f"Worst predictions (top {len(worst)})",
        ["#", "sample", "truth", "prediction", "differences", "edits", "CER"],
    )
    for r in worst:
        worst_table.rows.append(
            [
                str(r.index),
                r.name,
                r.truth or EMPTY,
                r.prediction or EMPTY,
                mark_differences(r.truth, r.prediction),
                str(r.edits),
                _pct(r.cer),
            ]
        )
    tables.append(worst_table)

    suspects = metrics.get("suspect_labels") or []
    if suspects:
        table = Table(
            "Labels that may belong to another image of the same writer (look at these images)",
            ["#", "sample", "label", "prediction", "closest other label of the writer"],
        )
        for row in suspects:
            table.rows.append(
                [str(row["index"]), row["sample"], row["label"], row["prediction"], row["other_label"]]
            )
        tables.append(table)
    return tables


def write_html(
    path: str,
    metrics: dict,
    worst: Sequence[SampleResult],
    pictures: Sequence[str],
    notes: Sequence[str] = (),
    embed: bool = False,
) -> None:
    """Write the HTML page; ``pictures`` are PNG file names in the page's folder."""
    folder = os.path.dirname(os.path.abspath(path))
    title = f"Evaluation: {metrics.get('dataset') or 'dataset'}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
        "img{max-width:100%}</style>",
        f"</head><body><h1>{html.escape(title)}</h1>",
    ]
    parts += [f"<p>{html.escape(note)}</p>" for note in notes]
    tables = build_tables(metrics, worst)
    for table in tables[:-1]:
        parts.append(_html_table(table))
    for name in pictures:
        source = _embedded(os.path.join(folder, name)) if embed else html.escape(name)
        caption = html.escape(PICTURE_TITLES.get(name, name))
        parts.append(f'<h2>{caption}</h2>\n<img src="{source}" alt="{html.escape(name)}">')
    parts.append(_html_table(tables[-1]))
    parts.append("</body></html>")
    write_text(path, "\n".join(parts) + "\n")


def write_markdown(
    path: str,
    metrics: dict,
    worst: Sequence[SampleResult],
    pictures: Sequence[str],
    notes: Sequence[str] = (),
) -> None:
    """Write the same page as Markdown, pictures linked relatively."""
    lines = [f"# Evaluation: {metrics.get('dataset') or 'dataset'}", ""]
    for note in notes:
        lines += [note, ""]
    tables = build_tables(metrics, worst)
    for table in tables[:-1]:
        lines += _md_table(table)
    for name in pictures:
        lines += [f"## {PICTURE_TITLES.get(name, name)}", "", f"![{name}]({name})", ""]
    lines += _md_table(tables[-1])
    write_text(path, "\n".join(lines))


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    return f"<h2>{html.escape(table.title)}</h2>\n<table><tr>{head}</tr>\n{body}\n</table>"


def _md_table(table: Table) -> list[str]:
    lines = [f"## {table.title}", ""]
    if not table.rows:
        return [*lines, "(none)", ""]
    lines.append("| " + " | ".join(table.headers) + " |")
    lines.append("|" + "---|" * len(table.headers))
    for row in table.rows:
        lines.append("| " + " | ".join(_md_cell(cell) for cell in row) + " |")
    return [*lines, ""]


# characters that Markdown would read as formatting, HTML or an entity (a transcription "<b>"
# or "&lt;" must show as typed); each is shown as itself when escaped by a backslash
MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")


def _md_cell(text: str) -> str:
    r"""``text`` shown as typed in a Markdown table cell, on one line.

    >>> print(_md_cell("<b>&lt; a|b *c*"))
    \<b\>\&lt; a\|b \*c\*
    """
    return MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _embedded(path: str) -> str:
    with open(path, "rb") as handle:
        return "data:image/png;base64," + base64.b64encode(handle.read()).decode("ascii")


def _pct(value: float) -> str:
    return f"{100 * value:.2f} %"


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
