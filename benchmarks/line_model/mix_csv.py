"""Write the CSV datasets of a line training with no separate warm-up: real and rendered lines in one set.

The rendered warm-up of ``--pretrain-samples`` spends its first epoch
compiling under JAX and, in a GPU training of 13 to 16 minutes, still reads no real
line when it ends (runs 004-005), so here the rendered lines (and, when
present, DHSD's words of writers 1-27) are training rows beside the real
lines from the first step.

    python benchmarks/line_model/mix_csv.py split --copiste D/labels.csv --rendered R --val-writers A,B \\
        [--dhsd H/labels.csv] -o OUT.csv
    python benchmarks/line_model/mix_csv.py all --copiste D/labels.csv --rendered R --rendered-val V \\
        [--dhsd H/labels.csv] -o OUT.csv

``split`` validates on the named Copiste writers; ``all`` trains on every
Copiste writer and validates on the rendered lines of ``--rendered-val``.
File names are written relative to the output's folder.
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["split", "all"])
    parser.add_argument("--copiste", required=True, help="labels.csv of export-lines")
    parser.add_argument("--rendered", required=True, help="labels.csv of rendered training lines")
    parser.add_argument(
        "--rendered-limit", type=int, default=0, help="keep the first N rendered lines (0: all)"
    )
    parser.add_argument("--dhsd", help="labels.csv of DHSD's training writers (prepare_devdata.py)")
    parser.add_argument("--val-writers", default="", help="split: the Copiste writers to validate on")
    parser.add_argument("--rendered-val", help="all: labels.csv of rendered validation lines")
    parser.add_argument("-o", "--output", required=True)
    return parser.parse_args(argv)


def read_rows(labels: str, prefix: str, limit: int = 0) -> list[tuple[str, str, str]]:
    """``(file relative to the output folder, text, writer)`` of a labels.csv."""
    with open(labels, encoding="utf-8", newline="") as handle:
        rows = [(r["file_name"], r["text"], r["writer_id"]) for r in csv.DictReader(handle)]
    rows = rows[:limit] if limit else rows
    return [(os.path.join(prefix, name), text, f"{writer}") for name, text, writer in rows]


def run(args: argparse.Namespace) -> int:
    out_dir = Path(args.output).parent
    rel = lambda labels: os.path.relpath(Path(labels).parent, out_dir)  # noqa: E731
    copiste = read_rows(args.copiste, rel(args.copiste))
    rendered = [
        (f, t, "font_" + w) for f, t, w in read_rows(args.rendered, rel(args.rendered), args.rendered_limit)
    ]
    extra = read_rows(args.dhsd, rel(args.dhsd)) if args.dhsd else []
    if args.mode == "split":
        val_writers = set(filter(None, args.val_writers.split(",")))
        missing = val_writers - {w for _, _, w in copiste}
        if not val_writers or missing:
            problem = "none given" if not val_writers else "not in the data: " + ", ".join(sorted(missing))
            raise SystemExit(f"--val-writers: {problem}")
        rows = [(*r, "val" if r[2] in val_writers else "train") for r in copiste]
    else:
        if not args.rendered_val:
            raise SystemExit("all: --rendered-val is needed (the validation lines)")
        val = [(f, t, "font_" + w) for f, t, w in read_rows(args.rendered_val, rel(args.rendered_val))]
        rows = [(*r, "train") for r in copiste] + [(*r, "val") for r in val]
    rows += [(*r, "train") for r in rendered + extra]
    with open(args.output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "text", "writer_id", "split"])
        writer.writerows(rows)
    counts = {s: sum(r[3] == s for r in rows) for s in ("train", "val")}
    print(
        f"{args.output}: {counts['train']} training rows ({len(rendered)} rendered, {len(extra)} DHSD), "
        f"{counts['val']} validation"
    )
    return 0


def main() -> None:
    raise SystemExit(run(get_args()))


if __name__ == "__main__":
    main()
