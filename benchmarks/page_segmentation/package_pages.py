"""The package's side of the page benchmark, and the scores of both sides, on Copiste's validation pages.

Run with the package's venv, from the repository root:

    python benchmarks/page_segmentation/package_pages.py list --out DIR [--limit N]  # DIR/pages.txt
    python benchmarks/page_segmentation/package_pages.py score --out DIR    # DIR/results.json
    python benchmarks/page_segmentation/package_pages.py large --out DIR    # a 5,000 x 7,000 scan

``score`` segments each validation page (the writers of benchmarks/copiste_lines/split.json)
with ``Models/line_segmenter`` on two threads, matches its lines and kraken's
(DIR/kraken_lines.json, from kraken_blla.py) to the true ones (IoU >= 0.5, one to one), reads
each page with the shipped line model and scores the page text in reading order against the true
lines joined by newlines, next to the same model on the true line crops of the same pages.
It also draws one page's lines (DIR/segmented_page.jpg, the README's picture).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks" / "copiste_lines"))

from split import DATA, load_split, writer_of  # noqa: E402

SHOWN_PAGE = "imp_wikitexte_0141"


def val_layouts(limit: int | None = None) -> list[Path]:
    """The ALTO files of the validation writers, sorted; with ``limit``, that many spread evenly."""
    val = set(load_split()["val_writers"])
    files = [p for p in sorted((DATA / "alto").glob("*.xml")) if writer_of(p.stem) in val]
    if limit and limit < len(files):
        step = len(files) / limit
        files = [files[int(k * step)] for k in range(limit)]
    return files


def list_pages(out: Path, limit: int | None = None) -> None:
    from mltu_ext.pages.layout_file import read_layout_file

    out.mkdir(parents=True, exist_ok=True)
    images = [str(read_layout_file(p).image.resolve()) for p in val_layouts(limit)]
    (out / "pages.txt").write_text("\n".join(images) + "\n", encoding="utf-8")
    print(f"{len(images)} pages -> {out / 'pages.txt'}")


def _draw(page, lines, path: Path) -> None:
    import cv2
    import numpy as np

    canvas = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)
    for line in lines:
        outline = np.rint(np.asarray(line.polygon)).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [outline], True, (40, 160, 40), 2)
        if line.baseline:
            base = np.rint(np.asarray(line.baseline)).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(canvas, [base], False, (30, 30, 220), 2)
    scale = 800 / canvas.shape[0]
    small = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(path), small, [cv2.IMWRITE_JPEG_QUALITY, 85])


def score(out: Path, line_model: Path = REPO / "Models" / "handwritten_lines", lm: bool = False) -> dict:
    from mltu_ext.data.images import read_gray
    from mltu_ext.data.line_crop import crop_polygon
    from mltu_ext.evaluation.error_rates import char_errors
    from mltu_ext.evaluation.line_matching import DetectionScore, match_lines
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from mltu_ext.pages.layout_file import read_layout_file
    from mltu_ext.pages.read_lines import read_page
    from mltu_ext.segment.segmenter import OnnxSegmenter

    kraken = {
        Path(r["page"]).name: r for r in json.loads((out / "kraken_lines.json").read_text(encoding="utf-8"))
    }
    segmenter = OnnxSegmenter(REPO / "Models" / "line_segmenter", threads=2)
    decoder = None
    if lm:
        from mltu_ext.ctc.lm_file import model_decoder

        decoder = model_decoder(line_model)
        if decoder is None:
            raise SystemExit(f"{line_model}: no language_model.json.gz for --lm")
    recognizer = OnnxRecognizer(line_model, providers=["CPUExecutionProvider"], decoder=decoder)
    listed = {Path(line).name for line in (out / "pages.txt").read_text(encoding="utf-8").split()}
    ours, theirs = DetectionScore(0, 0, 0), DetectionScore(0, 0, 0)
    seconds, kraken_seconds = 0.0, 0.0
    page_edits, page_chars, crop_edits, crop_chars = 0, 0, 0, 0
    per_page = []
    for xml in val_layouts():
        layout = read_layout_file(xml)
        if layout.image.name not in listed:
            continue
        page = read_gray(str(layout.image))
        truth = [line for line in layout.lines if line.text]
        start = time.perf_counter()
        found = segmenter.segment(page)
        took = time.perf_counter() - start
        seconds += took
        mine, _ = match_lines([t.polygon for t in truth], [f.polygon for f in found], page.shape)
        k = kraken[layout.image.name]
        other, _ = match_lines(
            [t.polygon for t in truth], [line["boundary"] for line in k["lines"]], page.shape
        )
        kraken_seconds += k["seconds"]
        ours, theirs = ours + mine, theirs + other
        read = read_page(page, found, recognizer, layout.image.name)
        reference = "\n".join(t.text for t in truth)
        edits, total = char_errors([read.text], [reference])
        crops = recognizer.predict([crop_polygon(page, t.polygon) for t in truth], batch_size=16)
        crop_e, crop_total = char_errors(crops, [t.text for t in truth])
        page_edits, page_chars = page_edits + edits, page_chars + total
        crop_edits, crop_chars = crop_edits + crop_e, crop_chars + crop_total
        row = {"page": xml.stem, "true": len(truth), "ours": len(found), "ours_matched": mine.matched}
        row |= {"kraken": len(k["lines"]), "kraken_matched": other.matched, "seconds": round(took, 3)}
        row |= {"kraken_seconds": k["seconds"], "page_cer": round(edits / total, 4)}
        per_page.append(row)
        if xml.stem == SHOWN_PAGE:
            _draw(page, read.lines, out / "segmented_page.jpg")
    pages = len(per_page)
    result = {
        "line_model": str(line_model),
        "decoding": "language model" if lm else "greedy",
        "pages": pages,
        "true_lines": ours.true_lines,
        "package": {"found": ours.found_lines, "matched": ours.matched, "precision": ours.precision,
                    "recall": ours.recall, "f1": ours.f1, "seconds_per_page": seconds / pages},
        "kraken_blla": {"found": theirs.found_lines, "matched": theirs.matched, "precision": theirs.precision,
                        "recall": theirs.recall, "f1": theirs.f1, "seconds_per_page": kraken_seconds / pages},
        "page_cer": page_edits / page_chars,
        "crop_cer": crop_edits / crop_chars,
        "per_page": per_page,
    }  # fmt: skip
    name = "results_lm.json" if lm else "results.json"
    (out / name).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def large(out: Path) -> dict:
    """Segment one page scaled up to 5,000 x 7,000 pixels in a fresh process: its time and peak memory."""
    out.mkdir(parents=True, exist_ok=True)
    script = f"""
import resource, time, cv2, json
from mltu_ext.segment.segmenter import OnnxSegmenter
page = cv2.imread({str(DATA / "images" / (SHOWN_PAGE + ".jpg"))!r}, cv2.IMREAD_GRAYSCALE)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
big = cv2.resize(page, (5000, 7000), interpolation=cv2.INTER_CUBIC)
seg = OnnxSegmenter({str(REPO / "Models" / "line_segmenter")!r}, threads=2)
start = time.perf_counter(); lines = seg.segment(big); took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"size": [5000, 7000], "lines": len(lines), "seconds": round(took, 2),
                  "peak_rss_mb": round(peak / 1024, 1), "rss_before_page_mb": round(before / 1024, 1)}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    (out / "large_scan.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the script's options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("list", "score", "large"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, help="list: this many pages, spread over the validation pages")
    parser.add_argument(
        "--line-model",
        type=Path,
        default=REPO / "Models" / "handwritten_lines",
        help="score: the line model that reads the pages (the shipped one has seen these writers)",
    )
    parser.add_argument(
        "--lm",
        action="store_true",
        help="score: read with the line model folder's own language model (results_lm.json)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    """List the pages, score both readers or read the large scan, as the command says."""
    if args.command == "list":
        return list_pages(args.out, args.limit)
    result = score(args.out, args.line_model, args.lm) if args.command == "score" else large(args.out)
    if result:
        shown = {k: v for k, v in result.items() if k != "per_page"}
        print(json.dumps(shown, indent=1))


def main(argv: list[str] | None = None) -> None:
    """Run the command the options name."""
    run(get_args(argv))


if __name__ == "__main__":
    main()
