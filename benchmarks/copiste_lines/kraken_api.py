"""kraken 7.1.1 Python-API helpers for the Copiste benchmark; run with the kraken venv's Python.

kraken_side.py (run with the package's venv) calls this file through /work/kraken-venv/bin/python,
because kraken's PyTorch stack and the package's Keras stack live in separate virtualenvs.

    pages  --model M --xml A.xml B.xml ... --out preds.json [--batch-size B]
        Recognises the lines of ALTO pages with their own (ground-truth) segmentation, the way
        `kraken -f alto ... ocr` does; writes each line's reference and prediction and the timing.
    crops  --model M --lines FOLDER --out preds.json
        Recognises pre-cut line images, one at a time, each as one bbox line spanning the whole
        image (what `kraken ocr --no-segmentation` does); writes predictions and the timing.

Timings exclude model loading (timed on its own) and Python start-up.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("pages", "crops"):
        p = sub.add_parser(name)
        p.add_argument("--model", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--threads", type=int, default=1, help="torch/OpenMP threads (kraken's default is 1)")
        p.add_argument("--batch-size", type=int, default=1, help="lines per forward pass (pages only)")
        p.add_argument(
            "--line-workers",
            type=int,
            default=0,
            help="kraken's line-extraction worker processes; 0 extracts in-process (the CLI default is 2)",
        )
        if name == "pages":
            p.add_argument("--xml", type=Path, nargs="+", required=True)
        else:
            p.add_argument("--lines", type=Path, required=True, help="folder of <id>.png (+ <id>.gt.txt)")
            p.add_argument("--warmup", type=int, default=3, help="lines read first and not timed")
    return parser.parse_args(argv)


def normalise(text: str) -> str:
    # The package's label rule (mltu_ext clean_text): whitespace collapsed to single spaces.
    return " ".join(text.split())


def load(args: argparse.Namespace):  # -> (RecognitionTaskModel, RecognitionInferenceConfig, seconds)
    import torch
    from kraken.configs import RecognitionInferenceConfig
    from kraken.tasks import RecognitionTaskModel
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    # kraken's CLI wraps its work in threadpool_limits(--threads); do the same for BLAS/OpenMP.
    threadpool_limits(limits=args.threads)
    start = time.perf_counter()
    model = RecognitionTaskModel.load_model(args.model)
    config = RecognitionInferenceConfig(
        batch_size=args.batch_size,
        num_line_workers=args.line_workers,
        accelerator="cpu",
        device="auto",
        num_threads=args.threads,
    )
    # The first prepare_for_inference builds the extraction pool and Fabric: part of loading.
    model.net.prepare_for_inference(config)
    return model, config, time.perf_counter() - start


def run_pages(args: argparse.Namespace) -> dict:
    from kraken.lib.util import open_image
    from kraken.lib.xml import XMLPage

    model, config, load_s = load(args)
    records = []
    predict_s = 0.0
    for xml in args.xml:
        seg = XMLPage(xml).to_container()
        # Lines without text are not scored (ketos test and the package skip them too).
        lines = [line for line in seg.lines if normalise(line.text or "")]
        seg = dataclasses.replace(seg, lines=lines)
        im = open_image(seg.imagename)
        im.load()
        start = time.perf_counter()
        preds = list(model.predict(im=im, segmentation=seg, config=config))
        predict_s += time.perf_counter() - start
        for line, pred in zip(lines, preds, strict=True):
            records.append(
                {
                    "page": xml.stem,
                    "id": line.id,
                    "reference": normalise(line.text),
                    "prediction": normalise(pred.prediction),
                }
            )
    return {
        "mode": "pages",
        "batch_size": args.batch_size,
        "threads": args.threads,
        "line_workers": args.line_workers,
        "model_load_s": load_s,
        "lines": len(records),
        "predict_s": predict_s,
        "lines_per_s": len(records) / predict_s if predict_s else None,
        "records": records,
    }


def run_crops(args: argparse.Namespace) -> dict:
    from kraken.containers import BBoxLine, Segmentation
    from kraken.lib.util import open_image

    model, config, load_s = load(args)
    paths = sorted(args.lines.glob("*.png"))
    if not paths:
        raise SystemExit(f"no .png line images in {args.lines}")

    def read(path: Path):
        im = open_image(path)
        im.load()
        seg = Segmentation(
            type="bbox",
            imagename=str(path),
            text_direction="horizontal-lr",
            script_detection=False,
            lines=[BBoxLine(id=f"_{uuid.uuid4()}", bbox=(0, 0, im.width, im.height))],
        )
        return im, seg

    for path in paths[: args.warmup]:
        im, seg = read(path)
        list(model.predict(im=im, segmentation=seg, config=config))
    records = []
    times = []
    for path in paths:
        # Decoding the PNG is counted, as it is for a caller that hands kraken a file.
        start = time.perf_counter()
        im, seg = read(path)
        (pred,) = model.predict(im=im, segmentation=seg, config=config)
        times.append(time.perf_counter() - start)
        gt = path.with_suffix(".gt.txt")
        records.append(
            {
                "id": path.stem,
                "reference": normalise(gt.read_text(encoding="utf-8")) if gt.is_file() else None,
                "prediction": normalise(pred.prediction),
                "seconds": times[-1],
            }
        )
    total = sum(times)
    ordered = sorted(times)
    return {
        "mode": "crops",
        "batch_size": 1,
        "threads": args.threads,
        "line_workers": args.line_workers,
        "model_load_s": load_s,
        "warmup_lines": min(args.warmup, len(paths)),
        "lines": len(records),
        "predict_s": total,
        "lines_per_s": len(records) / total,
        "median_line_ms": 1000 * ordered[len(ordered) // 2],
        "records": records,
    }


def run(args: argparse.Namespace) -> dict:
    result = run_pages(args) if args.command == "pages" else run_crops(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {k: v for k, v in result.items() if k != "records"}
    print(json.dumps(summary))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    run(get_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
