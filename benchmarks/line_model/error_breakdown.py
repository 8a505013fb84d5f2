"""Where a line model's errors are: per writer, and what is left after folding case, punctuation
or accents.

Reads the `val_predictions.json` that `benchmarks/copiste_lines/package_side.py test` writes (one
record per line: source `alto/<page>.xml#<line id>`, truth, greedy, lm) and prints, for the
greedy (or LM) readings:
- the corpus CER, and the CER with each writer left out in turn for the writers that weigh most;
- the CER once case, punctuation or accents no longer count (each alone);
- the share of all character errors in the worst N lines.

    cd benchmarks/line_model && python error_breakdown.py runs/006-*/split/val_predictions.json
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mltu_ext.evaluation.error_rates import edit_distance

WRITER = re.compile(r"(wikitexte_\d+)")


@dataclass(frozen=True)
class Line:
    writer: str
    truth: str
    reading: str


def writer_of(source: str) -> str:
    """The Copiste writer (text id) in a record's source, else the page stem."""
    found = WRITER.search(source)
    return found.group(1) if found else Path(source.split("#")[0]).stem


def load_lines(path: Path, field: str = "greedy") -> list[Line]:
    """The records of a predictions file as lines of one reading (`greedy` or `lm`)."""
    records = json.loads(path.read_text(encoding="utf-8"))
    return [Line(writer_of(r["source"]), r["truth"], r[field]) for r in records]


def corpus_cer(lines: Sequence[Line], fold: Callable[[str], str] = str) -> float:
    """Edit distance over reference characters, both sides folded first."""
    errors = sum(edit_distance(fold(x.reading), fold(x.truth)) for x in lines)
    chars = sum(len(fold(x.truth)) for x in lines)
    return errors / max(chars, 1)


def no_accents(text: str) -> str:
    """The text with combining marks removed (é -> e, ß stays)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def no_punctuation(text: str) -> str:
    """The text without Unicode punctuation, spaces squeezed."""
    kept = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
    return " ".join(kept.split())


FOLDS: dict[str, Callable[[str], str]] = {
    "case": str.lower,
    "punctuation": no_punctuation,
    "accents": no_accents,
}


def breakdown(lines: Sequence[Line], writers: int = 5, worst: int = 30) -> dict:
    """The figures the command prints, as a dict."""
    by_writer: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_writer[line.writer].append(line)
    errors = [edit_distance(x.reading, x.truth) for x in lines]
    total = max(sum(errors), 1)
    weight = {w: sum(edit_distance(x.reading, x.truth) for x in rows) for w, rows in by_writer.items()}
    heaviest = sorted(weight, key=weight.get, reverse=True)[:writers]
    return {
        "lines": len(lines),
        "cer": corpus_cer(lines),
        "writers": [
            {
                "writer": w,
                "lines": len(by_writer[w]),
                "cer": corpus_cer(by_writer[w]),
                "error_share": weight[w] / total,
                "cer_without": corpus_cer([x for x in lines if x.writer != w]),
            }
            for w in heaviest
        ],
        "folded_cer": {name: corpus_cer(lines, fold) for name, fold in FOLDS.items()},
        "worst_lines_share": sum(sorted(errors, reverse=True)[:worst]) / total,
    }


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("predictions", type=Path, help="a val_predictions.json")
    parser.add_argument("--field", choices=("greedy", "lm"), default="greedy")
    parser.add_argument("--writers", type=int, default=5, help="how many writers to list")
    parser.add_argument("--worst", type=int, default=30, help="the N of the worst-lines share")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    result = breakdown(load_lines(args.predictions, args.field), args.writers, args.worst)
    if args.json:
        print(json.dumps(result, indent=2))
        return result
    print(f"{result['lines']} lines, {args.field} CER {result['cer']:.2%}")
    for row in result["writers"]:
        print(
            f"  {row['writer']}: {row['lines']} lines, CER {row['cer']:.2%}, "
            f"{row['error_share']:.1%} of the errors; CER without it {row['cer_without']:.2%}"
        )
    for name, value in result["folded_cer"].items():
        print(f"  {name} not counted: CER {value:.2%}")
    print(f"  the worst {args.worst} lines hold {result['worst_lines_share']:.1%} of the errors")
    return result


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
