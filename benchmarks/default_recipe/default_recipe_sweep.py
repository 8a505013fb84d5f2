"""Compare network shapes for the main job on the rendered default data, by epochs.

The main job trains on two CPU cores for a fixed number of minutes, so what
matters is the held-out CER a network reaches in the epochs that fit in that
time. This script trains several variants for a given number of epochs each
(cosine learning-rate schedule over those epochs, as the time-cosine schedule
of the main job does over its minutes) and prints the best held-out CER of
each. Run it where it is fast (a GPU with ``KERAS_BACKEND=jax``) and give each
variant the epochs that its CPU speed allows (``--epochs``, or ``name:epochs[:learning_rate]``).

python benchmarks/default_recipe/default_recipe_sweep.py --variants base:7 ts8:12 --out /tmp/sweep
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from mltu_ext.cli.common import set_tensorflow_environment

ROOT = Path(__file__).resolve().parents[2]

# ModelConfig overrides of configs.default_config(), by name
VARIANTS: dict[str, dict] = {
    "base": {},
    # block 4 also halves the width: 8 columns per CTC step, 20 steps for 160 px
    "ts8": {"strides": ((2, 2), (2, 2), (1, 1), (2, 2), (1, 1), (1, 1))},
    "ts8_wide": {
        "strides": ((2, 2), (2, 2), (1, 1), (2, 2), (1, 1), (1, 1)),
        "filters": (16, 32, 48, 64, 96, 96),
    },
    "ts8_l128": {
        "strides": ((2, 2), (2, 2), (1, 1), (2, 2), (1, 1), (1, 1)),
        "lstm_units": (128,),
    },
    "base_l64": {"lstm_units": (64,)},
    "f4": {"filters": (16, 32, 48, 64), "strides": ((2, 2), (2, 2), (2, 1), (1, 1))},
    # thinner late blocks: on two CPU cores blocks 4-5 (64 filters) cost half the step
    "mid": {"filters": (16, 24, 32, 48, 48, 48)},
    "f32": {"filters": (16, 24, 32, 32, 32, 32)},
    "thin": {"filters": (16, 16, 24, 24, 32, 32)},
    "thin_l128": {"filters": (16, 16, 24, 24, 32, 32), "lstm_units": (128,)},
    # without dropout: in 8-12 epochs the training CER stays at the held-out CER
    "nodrop": {"dropout": 0.0},
    "mid_nodrop": {"filters": (16, 24, 32, 48, 48, 48), "dropout": 0.0},
    "f32_nodrop": {"filters": (16, 24, 32, 32, 32, 32), "dropout": 0.0},
}


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--variants", nargs="+", required=True, help="NAME, NAME:EPOCHS or NAME:EPOCHS:LR (names above)"
    )
    parser.add_argument("--epochs", type=int, default=7, help="epochs for a variant given without :EPOCHS")
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--synthetic-samples", type=int, default=None)
    parser.add_argument("--out", required=True, help="folder for the models and results.json")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: train one NAME:EPOCHS
    return parser.parse_args(argv)


def train_one(spec: str, args: argparse.Namespace) -> dict:
    """Train one variant on the rendered words; returns its figures."""
    import dataclasses

    from mltu_ext.cli import train as train_script
    from mltu_ext.cli.train_options import config_from_args
    from mltu_ext.config import RunConfig
    from mltu_ext.training.trainer import train

    parts = spec.split(":")
    name = parts[0]
    epochs = parts[1] if len(parts) > 1 else str(args.epochs)
    lr = parts[2] if len(parts) > 2 else str(args.learning_rate)
    model_dir = str(Path(args.out) / spec.replace(":", "_"))
    argv = ["--epochs", epochs, "--lr-schedule", "cosine", "--learning-rate", lr]
    argv += ["--batch-size", str(args.batch_size)]
    if args.synthetic_samples:
        argv += ["--synthetic-samples", str(args.synthetic_samples)]
    targs = train_script.get_args([*argv, "--quiet"])
    cfg = config_from_args(targs)
    cfg.model = dataclasses.replace(cfg.model, **VARIANTS[name])
    cfg.early_stopping_patience = 1000
    dataset = train_script.load_data(cfg, targs)
    from mltu_ext.cli.dataset_args import split_from_args

    parts = split_from_args(targs, dataset)
    run = RunConfig(model_dir=model_dir, cache_dir=None, export=False, verbose=2)
    result = train(cfg, parts.train, parts.val, run)
    history = result.history
    return {
        "variant": name,
        "epochs": int(epochs),
        "learning_rate": float(lr),
        "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in VARIANTS[name].items()},
        "best_val_cer": result.best_val_cer,
        "val_cer": [round(float(v), 4) for v in history.get("val_CER", [])],
        "train_cer": [round(float(v), 4) for v in history.get("CER", [])],
    }


def run(args: argparse.Namespace) -> list[dict]:
    """Render the data once, then train every variant in its own process at once."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from mltu_ext.cli import train as train_script
    from mltu_ext.cli.train_options import config_from_args

    # render before the workers start, so they do not race to build it
    targs = train_script.get_args(
        ["--synthetic-samples", str(args.synthetic_samples)] if args.synthetic_samples else []
    )
    train_script.load_data(config_from_args(targs), targs)
    env = dict(os.environ, XLA_PYTHON_CLIENT_PREALLOCATE="false")
    procs = []
    for spec in args.variants:
        cmd = [sys.executable, __file__, "--one", spec, "--out", args.out, "--variants", spec]
        cmd += ["--epochs", str(args.epochs), "--learning-rate", str(args.learning_rate)]
        cmd += ["--batch-size", str(args.batch_size)]
        if args.synthetic_samples:
            cmd += ["--synthetic-samples", str(args.synthetic_samples)]
        log = open(out / f"{spec.replace(':', '_')}.log", "w")
        procs.append((spec, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env), log))
    results = []
    for spec, proc, log in procs:
        proc.wait()
        log.close()
        path = out / f"{spec.replace(':', '_')}.json"
        if proc.returncode or not path.exists():
            print(f"{spec}: failed (exit {proc.returncode}), see {out / (spec.replace(':', '_') + '.log')}")
            continue
        results.append(json.loads(path.read_text()))
        r = results[-1]
        print(f"{spec:16s} best held-out CER {r['best_val_cer']:.4f}  per epoch {r['val_cer']}", flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    return results


def main(argv: list[str] | None = None) -> int:
    set_tensorflow_environment()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    args = get_args(argv)
    if args.one:
        result = train_one(args.one, args)
        (Path(args.out) / f"{args.one.replace(':', '_')}.json").write_text(json.dumps(result))
        return 0
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
