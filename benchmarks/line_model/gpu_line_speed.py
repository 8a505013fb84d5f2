"""How fast the line recipes train under JAX, on lines drawn with OpenCV's fonts.

A check of the GPU path for line-length sequences (hundreds of CTC steps):
how long the first epoch (compiles included) and the later epochs take,
before real data is spent on it. Prints one JSON line per recipe.

    KERAS_BACKEND=jax python benchmarks/line_model/gpu_line_speed.py --lines 4096 --epochs 3
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import cv2
import numpy as np

WORDS = (
    "le la les des une pour dans avec sur mais plus comme nous vous elle sont "
    "the and with from this that über für nicht"
).split()


def draw_line(rng: np.random.Generator, height: int) -> tuple[np.ndarray, str]:
    """A random line of 4-14 words in OpenCV's plain font, dark on white (height, W)."""
    text = " ".join(rng.choice(WORDS, size=int(rng.integers(4, 15))))
    text = text.encode("ascii", "replace").decode().replace("?", "u")
    scale = height / 48
    (width, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    image = np.full((height, width + 16), 255, np.uint8)
    cv2.putText(image, text, (8, int(height * 0.7)), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 2)
    return image, text


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--recipes", default="lines_large,lines")
    parser.add_argument("--out", default="/tmp/line_speed")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[dict]:
    import keras

    from configs import RECIPES
    from mltu_ext.config import RunConfig
    from mltu_ext.data.samples import Sample
    from mltu_ext.training.trainer import train

    results = []
    for name in args.recipes.split(","):
        cfg = RECIPES[name]()
        cfg.epochs, cfg.max_minutes, cfg.lr_schedule = args.epochs, None, "plateau"
        cfg.pretrain_samples = cfg.mix_rendered = 0
        rng = np.random.default_rng(0)
        samples = []
        for i in range(args.lines):
            image, text = draw_line(rng, cfg.model.height)
            samples.append(Sample(text=text, image=image, source=f"line{i}", writer=str(i % 20)))
        val = samples[: args.lines // 8]
        train_part = samples[args.lines // 8 :]
        out = Path(args.out) / name
        start = time.perf_counter()
        result = train(cfg, train_part, val, RunConfig(model_dir=str(out), export=False, verbose=2))
        total = time.perf_counter() - start
        with (out / "log.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        record = {
            "recipe": name,
            "backend": keras.backend.backend(),
            "train_lines": len(train_part),
            "total_s": round(total, 1),
            "elapsed_s": [float(r["elapsed_s"]) for r in rows],
            "val_cer": [round(float(r["val_CER"]), 4) for r in rows],
            "best_val_cer": result.best_val_cer,
        }
        print(json.dumps(record), flush=True)
        results.append(record)
    return results


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
