"""The writer split of the Copiste line benchmark: the single source of truth for both sides.

Lists the Copiste writers (a page's stem without its ``_1``/``_2``/``_3`` suffix), shuffles the
sorted writer ids with ``random.Random(seed)`` and puts the first ``round(fraction * writers)``
of them in validation. Writes ``split.json`` beside this file with the writers, the pages and the
page and line counts of each side (a line counts when its ``String`` contents are not empty, the
same rule as the package's ALTO reader and kraken's ALTO loader).

The package's recipe takes the same split with
``train.py --writer-pattern '^(.*?)(?:_[123])?$' --val-writers $(python split.py --print-val)``.

    python benchmarks/copiste_lines/split.py                # writes split.json
    python benchmarks/copiste_lines/split.py --print-val    # the comma-separated val writer ids
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = Path("/work/shared/data/copiste")
SPLIT_JSON = HERE / "split.json"
# The page suffix of a two- or three-page text; the writer is what stands before it.
PAGE_SUFFIX = re.compile(r"_[123]$")
WRITER_PATTERN = r"^(.*?)(?:_[123])?$"
# The top-right line of each page is its reference number, written by hand in many forms
# ("imp_wikitexte_0093", "Nom de référence : imp_wikitexte_0108", ...); counted apart, kept in.
PAGE_NUMBER = re.compile(r"wikitexte", re.IGNORECASE)


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the Copiste folder (alto/ and images/)")
    parser.add_argument("--out", type=Path, default=SPLIT_JSON, help="where to write the split")
    parser.add_argument("--seed", type=int, default=0, help="seed of the writer shuffle")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="share of writers for validation")
    parser.add_argument(
        "--print-val",
        action="store_true",
        help="print the val writers of --out comma-separated; write nothing",
    )
    return parser.parse_args(argv)


def writer_of(page: str) -> str:
    """The writer (text id) of a page stem: ``imp_wikitexte_0051_1`` -> ``imp_wikitexte_0051``."""
    return PAGE_SUFFIX.sub("", page)


def line_texts(alto: Path) -> list[str]:
    """The text of each TextLine of an ALTO file whose String contents are not empty."""
    texts = []
    for element in ET.parse(alto).getroot().iter():
        # Match by local name so that the ALTO namespace URI does not matter.
        if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] == "TextLine":
            words = [
                s.get("CONTENT", "")
                for s in element.iter()
                if isinstance(s.tag, str) and s.tag.rsplit("}", 1)[-1] == "String"
            ]
            text = " ".join(words).strip()
            if text:
                texts.append(text)
    return texts


def side_counts(pages: list[str], texts: dict[str, list[str]]) -> dict[str, int]:
    lines = [t for page in pages for t in texts[page]]
    numbers = sum(1 for t in lines if PAGE_NUMBER.search(t))
    return {
        "pages": len(pages),
        "lines": len(lines),
        "reference_lines": numbers,
        "other_lines": len(lines) - numbers,
        "chars": sum(len(t) for t in lines),
    }


def make_split(data: Path, seed: int, val_fraction: float) -> dict:
    pages = sorted(p.stem for p in (data / "alto").glob("*.xml"))
    missing = [p for p in pages if not (data / "images" / f"{p}.jpg").is_file()]
    if missing:
        raise SystemExit(f"pages without an image: {missing[:5]}")
    writers = sorted({writer_of(p) for p in pages})
    shuffled = list(writers)
    random.Random(seed).shuffle(shuffled)
    n_val = max(1, round(val_fraction * len(writers)))
    val_writers = sorted(shuffled[:n_val])
    train_writers = sorted(shuffled[n_val:])
    val_set = set(val_writers)
    val_pages = [p for p in pages if writer_of(p) in val_set]
    train_pages = [p for p in pages if writer_of(p) not in val_set]
    texts = {p: line_texts(data / "alto" / f"{p}.xml") for p in pages}
    return {
        "seed": seed,
        "val_fraction": val_fraction,
        "data": str(data),
        "writer_rule": "page stem without a _1/_2/_3 suffix",
        # What the package's --writer-pattern must be to give these same writer ids. Not
        # '^(.*?)(?:_\\d+)?$': its lazy group stops before the text number of a one-page text
        # ("imp_wikitexte_0022" -> "imp_wikitexte"), merging all one-page writers into three.
        "package_writer_pattern": WRITER_PATTERN,
        "line_rule": "TextLine whose String CONTENT, joined by spaces, is not empty (page numbers included)",
        "writers": len(writers),
        "val_writers": val_writers,
        "train_writers": train_writers,
        "val_pages": val_pages,
        "train_pages": train_pages,
        "counts": {
            "val": {"writers": len(val_writers), **side_counts(val_pages, texts)},
            "train": {"writers": len(train_writers), **side_counts(train_pages, texts)},
        },
    }


def load_split(path: Path = SPLIT_JSON) -> dict:
    """The split as written by this script (what kraken_side.py and the package side read)."""
    return json.loads(path.read_text(encoding="utf-8"))


def run(args: argparse.Namespace) -> dict:
    if args.print_val:
        split = load_split(args.out)
        print(",".join(split["val_writers"]))
        return split
    split = make_split(args.data, args.seed, args.val_fraction)
    args.out.write_text(json.dumps(split, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {json.dumps(split['counts'])}")
    return split


def main(argv: Sequence[str] | None = None) -> int:
    run(get_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
