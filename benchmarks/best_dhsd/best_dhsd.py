"""The package's best recipe on DHSD: pretrain on rendered handwriting, fine-tune on real words.

Phase ``select``: rendered words (texts from the training writers' labels
plus English words) -> fine-tune on writers 1-27 with AdamW and a cosine
schedule over a fixed time budget; CER / WER / exact match on writers 28-30
for the best epoch and for the end of the schedule. Phase ``final``: the same
recipe with all 30 writers; the end of its schedule is the model that ships
in ``Models/``.

Runs under any Keras backend; on a GPU use ``KERAS_BACKEND=jax``. ONNX export
needs the TensorFlow backend, so it is a separate step:

    KERAS_BACKEND=jax python benchmarks/best_dhsd/best_dhsd.py --data .devdata/dhsd --out runs --phase select
    python benchmarks/best_dhsd/best_dhsd.py --export runs/final/finetune
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from mltu_ext.cli.common import set_tensorflow_environment

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

VAL_WRITERS = ["28", "29", "30"]


def best_config():
    """Height 64 (DHSD's own), one CTC step per 4 columns: 64 steps for 37-letter names."""
    from configs import strong_warp
    from mltu_ext.config import ModelConfig, TrainConfig

    return TrainConfig(
        model=ModelConfig(
            height=64,
            filters=(24, 48, 64, 96, 112, 128),
            strides=((2, 2), (1, 1), (2, 2), (1, 1), (2, 1), (2, 1)),
            lstm_units=(160, 96),
            dropout=0.3,
        ),
        augment=strong_warp(),
        max_width=256,
        batch_size=64,
        learning_rate=1e-3,
        optimizer="adamw",
        weight_decay=0.02,
        early_stopping_patience=1000,  # the time-based cosine schedule decides the length
        lr_patience=8,
        lr_factor=0.5,
        min_learning_rate=2e-5,
        seed=7,
    )


# changes to best_config() tried against it, by name
VARIANTS: dict[str, dict] = {
    "base": {},
    # more dropout and a stronger random warp: the gap to unseen writers is the problem
    "regular": {"dropout": 0.4, "augment": {"shear": 0.6, "rotation_deg": 7.0, "scale": 0.25}},
    # wider convolutions and LSTMs
    "wide": {"filters": (32, 64, 96, 128, 160, 192), "lstm_units": (256, 128)},
    # both
    "wide_regular": {
        "filters": (32, 64, 96, 128, 160, 192),
        "lstm_units": (256, 128),
        "dropout": 0.4,
        "augment": {"shear": 0.6, "rotation_deg": 7.0, "scale": 0.25},
    },
}


def variant_config(name: str):
    """best_config() with the named variant's changes."""
    import dataclasses

    cfg = best_config()
    changes = dict(VARIANTS[name])
    augment = changes.pop("augment", {})
    cfg.model = dataclasses.replace(cfg.model, **changes)
    cfg.augment = dataclasses.replace(cfg.augment, **augment)
    return cfg


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "dhsd"), help="DHSD folder")
    parser.add_argument("--out", default="runs/best_dhsd", help="output folder")
    parser.add_argument("--phase", choices=["select", "final", "both"], default="both")
    parser.add_argument("--synthetic", type=int, default=150000, help="rendered words for pretraining")
    parser.add_argument("--mix", type=int, default=0, help="rendered words kept next to the real ones")
    parser.add_argument("--elastic", type=float, default=0.0, help="elastic bending (share of the height)")
    parser.add_argument("--finetune-epochs", type=int, default=1000)
    parser.add_argument("--pretrain-minutes", type=float, default=1.5, help="time limit of pretraining")
    parser.add_argument("--minutes", type=float, default=4.5, help="time limit of fine-tuning")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="base", help="recipe variant")
    parser.add_argument(
        "--corrections",
        help="checked label corrections (CSV) for training and scoring, e.g. "
        "mltu_ext/data/known_corrections/dhsd.csv",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of weights, batches and augmentation")
    parser.add_argument("--limit", type=int, help="use only this many samples per side (smoke tests)")
    parser.add_argument("--export", metavar="MODEL_DIR", help="only export MODEL_DIR's last.keras to ONNX")
    return parser.parse_args(argv)


def evaluate_folder(
    model_dir: Path, samples, checkpoint: str = "best.keras", probs_out: dict | None = None
) -> dict:
    """Corpus CER, WER and exact match of a checkpoint on ``samples`` (numpy decoding).

    With ``probs_out``, the checkpoint's output probabilities (N, T, C) are stored
    there under its name, for decoding with a language model or ensembling later.
    """
    import keras
    import numpy as np

    from mltu_ext.config import TrainConfig
    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.data.image_cache import build_cache
    from mltu_ext.data.vocabulary import Vocabulary
    from mltu_ext.evaluation.error_rates import cer, exact_match, wer

    cfg = TrainConfig.load(model_dir / "config.json")
    model = keras.saving.load_model(model_dir / checkpoint, compile=False)
    cache = build_cache(
        samples,
        Vocabulary(cfg.model.vocabulary),
        cfg.model.height,
        cfg.max_width,
        cfg.time_steps,
        desc="evaluation images",
    )
    predictions: list[str] = []
    chunks = []
    for start in range(0, len(cache), 256):
        batch = cache.images[start : start + 256].astype(np.float32)[..., None]
        probs = np.asarray(model(batch, training=False))
        predictions += greedy_decode(probs, cfg.model.vocabulary)
        chunks.append(probs.astype(np.float16))  # halves the file; decoding is unaffected
    if probs_out is not None:
        probs_out[checkpoint.split(".")[0]] = np.concatenate(chunks)
    return {
        "samples": len(samples),
        "cer": cer(predictions, cache.texts),
        "wer": wer(predictions, cache.texts),
        "exact_match": exact_match(predictions, cache.texts),
    }


def run_phase(name: str, args, train_samples, val_samples) -> dict:
    """Rendered warm-up, then the real words (``mltu_ext.training.pretraining``); scores val_samples."""
    import dataclasses

    from mltu_ext.config import RunConfig
    from mltu_ext.training.pretraining import PRETRAIN_DIR, pretrain_then_train

    out = Path(args.out) / name
    cfg = variant_config(args.variant)
    # the real words' folder, recorded in config.json as train.py records it
    cfg.dataset = args.data
    cfg.augment = dataclasses.replace(cfg.augment, elastic=args.elastic)
    cfg.pretrain_samples = args.synthetic
    cfg.pretrain_minutes = args.pretrain_minutes
    cfg.mix_rendered = args.mix
    cfg.max_minutes = args.pretrain_minutes + args.minutes
    cfg.epochs = args.finetune_epochs
    cfg.lr_schedule = "time_cosine"  # warm-up, then cosine down over the time budget
    cfg.seed = args.seed
    run = RunConfig(model_dir=str(out / "finetune"), export=False, verbose=2)
    start = time.time()
    fine = pretrain_then_train(cfg, train_samples, val_samples, run, render_dir=out / "synthetic")
    pre_log = _read_log(Path(run.model_dir) / PRETRAIN_DIR / "log.csv")
    result = {
        "phase": name,
        "variant": args.variant,
        "elastic": args.elastic,
        "mix_rendered": args.mix,
        "pretrain_minutes": args.pretrain_minutes,
        "finetune_minutes": args.minutes,
        "train_samples": len(train_samples),
        "synthetic_samples": args.synthetic,
        "pretrain_epochs": len(pre_log),
        "finetune_epochs": fine.epochs,
        "total_s": time.time() - start,
        "pretrain_best_val_cer": min(pre_log) if pre_log else None,
        "finetune_best_val_cer": fine.best_val_cer,
        "best_epoch": int(min(range(len(fine.history["val_CER"])), key=fine.history["val_CER"].__getitem__))
        + 1,
        "seed": args.seed,
        "corrections": args.corrections,
    }
    probs: dict = {}
    result["eval_best"] = evaluate_folder(out / "finetune", val_samples, "best.keras", probs)
    result["eval_last"] = evaluate_folder(out / "finetune", val_samples, "last.keras", probs)
    _save_probabilities(out / "val_probs.npz", probs, val_samples, _vocabulary(out / "finetune"))
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2), flush=True)
    return result


def _vocabulary(model_dir: Path) -> str:
    """The vocabulary a trained model folder's config names."""
    from mltu_ext.config import TrainConfig

    return TrainConfig.load(model_dir / "config.json").model.vocabulary


def _save_probabilities(path: Path, probs: dict, samples, vocabulary: str) -> None:
    """Output probabilities per checkpoint with the texts and files they belong to (blank last)."""
    import numpy as np

    np.savez_compressed(
        path,
        vocabulary=np.array(vocabulary),
        texts=np.array([s.text for s in samples]),
        files=np.array([str(s.path) for s in samples]),
        **probs,
    )


def _read_log(path: Path) -> list[float]:
    import csv

    with path.open() as handle:
        return [float(row["val_CER"]) for row in csv.DictReader(handle) if row.get("val_CER")]


def export_folder(model_dir: Path) -> Path:
    """Export ``last.keras`` (the fixed-length final model) to ``model.onnx``."""
    import shutil

    import mltu_ext.model.recognizer  # noqa: F401  (registers the model's own layers for loading)
    from mltu_ext.config import TrainConfig
    from mltu_ext.export.model_folder import export_best

    shutil.copy(model_dir / "last.keras", model_dir / "best.keras")
    return export_best(TrainConfig.load(model_dir / "config.json"), model_dir)


def run(args: argparse.Namespace) -> int:
    """Export a run's folder (``--export``), or train the phases asked for; the exit status."""
    if args.export:
        print(export_folder(Path(args.export)))
        return 0
    import keras

    from mltu_ext.data import load_dataset, split_by_writer_ids

    keras.utils.set_random_seed(args.seed)
    dataset = load_dataset(args.data)
    if args.corrections:
        from mltu_ext.data.corrections import apply_corrections, load_corrections

        dataset.samples = apply_corrections(dataset.samples, load_corrections(args.corrections), dataset.root)
    parts = split_by_writer_ids(dataset.samples, VAL_WRITERS)
    if args.limit:
        parts.train, parts.val = parts.train[: args.limit], parts.val[: args.limit]
    print(
        f"backend {keras.backend.backend()}: {len(parts.train)} training, {len(parts.val)} held-out samples"
    )
    results = {}
    if args.phase in ("select", "both"):
        results["select"] = run_phase("select", args, parts.train, parts.val)
    if args.phase in ("final", "both"):
        # the same recipe and time budget with writers 28-30 in the training data; they
        # are still logged but are no longer a test, and the end of the schedule (last.keras) ships
        run_phase("final", args, parts.train + parts.val, parts.val)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Train and score the recipe, or export a run's folder; the exit status."""
    set_tensorflow_environment()  # before anything imports TensorFlow
    return run(get_args(argv))


if __name__ == "__main__":
    sys.exit(main())
