"""Print the results table of one side-by-side run (markdown) from both sides' summaries.

python benchmarks/copiste_lines/compare.py benchmarks/copiste_lines/runs/NNN
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", type=Path, help="the run folder (package/ and kraken/ inside)")
    return parser.parse_args(argv)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def first_reaching(validations: list[dict], target: float) -> float | None:
    """Seconds since the start of the first validation at or below ``target`` CER, else None.

    A hair of slack: kraken's own validation counts 25,218 reference characters where the
    package's scoring counts 25,215, so its best validation is a few 1e-6 above its tested CER.
    """
    hits = [v["elapsed_s"] for v in validations if v["cer"] <= target + 1e-4]
    return min(hits) if hits else None


def table(run: Path) -> str:
    """The markdown rows: CER/WER of each side, when each reached kraken's best, lines a second."""
    pk_train, kr_train = _load(run / "package/train_summary.json"), _load(run / "kraken/train_summary.json")
    pk_test, kr_test = _load(run / "package/test_summary.json"), _load(run / "kraken/test_summary.json")
    pk_speed, kr_speed = _load(run / "package/speed_summary.json"), _load(run / "kraken/speed_summary.json")
    kr_scores = kr_test.get("package_scoring", {})
    kraken_best = kr_scores.get("cer")
    lines = [
        f"Run `{run.name}`: Copiste, validation writers of `split.json` "
        f"({pk_test.get('lines', '?')} lines, {pk_test.get('chars', '?')} characters); CER/WER corpus-level.",
        "",
        "| | package (greedy) | package (+ char 6-gram LM) | kraken 7.1.1 |",
        "|---|---|---|---|",
    ]
    if pk_test and kr_scores:
        lines.append(
            f"| CER | {pk_test['greedy']['cer']:.4f} | {pk_test['lm']['cer']:.4f} | {kraken_best:.4f} |"
        )
        lines.append(
            f"| WER | {pk_test['greedy']['wer']:.4f} | {pk_test['lm']['wer']:.4f} | {kr_scores['wer']:.4f} |"
        )
        lines.append(f"| CER / kraken's | {pk_test['greedy']['cer'] / max(kraken_best, 1e-9):.2f} | "
                     f"{pk_test['lm']['cer'] / max(kraken_best, 1e-9):.2f} | 1 |")  # fmt: skip
    if kraken_best is not None:
        pk_when = first_reaching(pk_train.get("validations", []), kraken_best)
        kr_when = first_reaching(kr_train.get("validations", []), kraken_best)
        lines.append(f"| first validation at kraken's best CER (s) | {pk_when} | | {kr_when} |")
    lines.append(f"| training wall time (s) | {pk_train.get('wall_s')} | | {kr_train.get('wall_s')} |")
    if pk_speed and kr_speed:
        kr_rate = kr_speed["api_crops_batch1"]["lines_per_s"]
        kr_cli = kr_speed["cli_no_segmentation"]["lines_per_s_less_startup"]
        pk1, pk16 = pk_speed["batch_1"]["lines_per_s"], pk_speed["batch_16"]["lines_per_s"]
        lines.append(f"| lines/s, one line a call | {pk1} | | {kr_rate} (API), {kr_cli} (`kraken ocr`) |")
        lines.append(f"| lines/s, 16 lines a call | {pk16} | | - |")
        lines.append(
            f"| speed / kraken's (API) | {pk1 / kr_rate:.2f} (batch 1), "
            f"{pk16 / kr_rate:.2f} (batch 16) | | 1 |"
        )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> str:
    """The Markdown table of the run folder's two sides."""
    return table(args.run)


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    print(run(get_args(argv)), end="")


if __name__ == "__main__":
    main()
