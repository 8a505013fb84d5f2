"""From random weights, does validation on the moving average of the weights lag behind training?

Three trainings of the default recipe one after the other, the same minutes each, on a
small rendered set (about 170 steps an epoch, as the GPU line recipe has): no moving
average, Keras' moving average as it comes (started at the first step's weights), and the
package's (restarted from the training weights at the early epochs' starts,
``mltu_ext.training.average_weights``). Validation CER by epoch goes to
``results.json`` and a table to stdout.

    python benchmarks/ema_start/compare.py --minutes 4 --out benchmarks/ema_start/runs/001-cpu-default-recipe
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the variant "keras": the restart turned off, so the averages start where Keras starts them
LAUNCH = """
import sys
from mltu_ext.cli.common import set_tensorflow_environment
set_tensorflow_environment()  # before TensorFlow is imported, as train.py does
from mltu_ext.training import average_weights
if sys.argv.pop(1) == "keras":
    average_weights.AverageWeightsIn.restart_averages = lambda self: None
import train
train.main()
"""
VARIANTS = {"none": 0.0, "keras": None, "restart": None}


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=4.0, help="training minutes of each run")
    parser.add_argument("--momentum", type=float, default=0.999)
    parser.add_argument("--samples", type=int, default=6000, help="rendered words (a tenth for validation)")
    parser.add_argument("--learning-rate", type=float, default=4e-3)
    parser.add_argument("--out", type=Path, required=True, help="folder for results.json and the models")
    return parser.parse_args(argv)


def _train(variant: str, args: argparse.Namespace) -> list[dict]:
    model_dir = args.out / f"model_{variant}"
    momentum = 0.0 if variant == "none" else args.momentum
    command = [
        sys.executable, "-c", LAUNCH, variant,
        "--max-minutes", str(args.minutes), "--learning-rate", str(args.learning_rate),
        "--set", f"synthetic_samples={args.samples}", "--set", f"ema_momentum={momentum}",
        "--model-dir", str(model_dir), "--quiet",
    ]  # fmt: skip
    print(f"== {variant}: {' '.join(command[3:])}", flush=True)
    subprocess.run(command, cwd=ROOT, check=True)
    with (model_dir / "log.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {"epoch": int(r["epoch"]) + 1, "elapsed_s": float(r["elapsed_s"]), "val_CER": float(r["val_CER"])}
        for r in rows
    ]


def run(args: argparse.Namespace) -> dict:
    args.out.mkdir(parents=True, exist_ok=True)
    curves = {variant: _train(variant, args) for variant in VARIANTS}
    results = {"settings": {k: str(v) for k, v in vars(args).items()}, "val_CER_by_epoch": curves}
    (args.out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    epochs = max(len(c) for c in curves.values())
    print("| epoch | " + " | ".join(curves) + " |")
    print("|---" * (len(curves) + 1) + "|")
    for index in range(epochs):
        cells = [f"{c[index]['val_CER']:.4f}" if index < len(c) else "" for c in curves.values()]
        print(f"| {index + 1} | " + " | ".join(cells) + " |")
    return results


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
