"""Train a handwriting recogniser and export it to ONNX.

python train.py                                  # embedded rendered handwriting
python train.py --dataset Datasets/IAM_Words     # any format mltu_ext.data reads
python train.py --dataset labels.csv --val-writers 28,29,30 --max-minutes 30
python train.py --resume --model-dir Models/words_20260101-120000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

SYNTHETIC_DIR = Path("Datasets") / "synthetic_words"
PRETRAIN_DIR = Path("Datasets") / "pretrain_words"  # rendered warm-up words for --dataset runs


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    from configs import RECIPES
    from mltu_ext.cli.dataset_args import add_dataset_arguments

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_dataset_arguments(parser, required=False)
    parser.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default="default",
        help="recipe from configs.py: default (rendered words, or any dataset); dhsd (small "
        "real word sets, 30 minutes from Models/rendered_base); rendered_base (the base model: "
        "rendered name-like words, for a GPU)",
    )
    parser.add_argument("--config", metavar="JSON", help="start from this config.json instead of configs.py")
    parser.add_argument("--model-dir", help="where to write the model (default: Models/<data>_<time>)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--max-minutes", type=float, help="stop training after this many minutes")
    parser.add_argument(
        "--lr-schedule",
        choices=["plateau", "time_cosine", "cosine"],
        help="plateau: halve on a validation-CER plateau; time_cosine: cosine decay "
        "over --max-minutes (the default when --max-minutes is given); cosine: cosine "
        "decay over --epochs",
    )
    parser.add_argument("--max-width", type=int, help="training image width in pixels (padded)")
    parser.add_argument("--height", type=int, help="model input height in pixels")
    parser.add_argument(
        "--bucket-width",
        type=int,
        help="group words of similar width and crop each batch to a multiple of this many "
        "columns (0: pad every batch to --max-width)",
    )
    parser.add_argument("--synthetic-samples", type=int, help="size of the rendered default dataset")
    parser.add_argument(
        "--synthetic-text",
        choices=["lower_words", "mixed", "names"],
        help="labels of the rendered data: lower-case words (default), mixed text, or "
        "name-like words with capitals, umlauts, ß and hyphens",
    )
    parser.add_argument(
        "--pretrain-samples",
        type=int,
        help="with --dataset: first train on this many rendered words in the dataset's characters",
    )
    parser.add_argument(
        "--pretrain-minutes", type=float, help="minutes of --max-minutes spent on the rendered words"
    )
    parser.add_argument("--seed", type=int)
    parser.add_argument("--no-augment", action="store_true", help="train without random augmentation")
    parser.add_argument("--mixed-precision", choices=["bfloat16", "float16"])
    parser.add_argument("--jit", choices=["auto", "on", "off"], default=None, help="XLA compilation")
    parser.add_argument("--tensorboard", action="store_true", help="write TensorBoard logs")
    parser.add_argument(
        "--int8",
        action="store_true",
        help="also write model.int8.onnx: int8 convolutions calibrated on 256 training images "
        "(smaller, about 1.5x faster on a CPU); kept only if its validation CER is within 1 point "
        "of the float model's",
    )
    parser.add_argument(
        "--data-parallel",
        action="store_true",
        help="split each batch over all local GPUs (--batch-size is per GPU)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        help="JAX: train in this many processes on this host, one GPU each, with each batch split "
        "over all of them (--batch-size is per GPU); on two H200s as fast as or up to 13 %% faster "
        "than --data-parallel in one process",
    )
    parser.add_argument(
        "--steps-per-call",
        type=int,
        help="training steps per compiled call (default 1); 8 trained 14-24 %% faster on H200 GPUs "
        "under JAX; callbacks then run once per group of steps",
    )
    parser.add_argument("--resume", action="store_true", help="continue from last.keras in --model-dir")
    parser.add_argument("--init-from", metavar="MODEL_DIR", help="fine-tune a trained model folder")
    parser.add_argument("--freeze-cnn", action="store_true", help="with --init-from: train only the LSTMs")
    parser.add_argument("--check", action="store_true", help="print the dataset report and exit")
    parser.add_argument(
        "--cache-dir",
        default=str(Path("Datasets") / ".cache"),
        help="where decoded images are cached between runs ('' to disable)",
    )
    parser.add_argument("--quiet", action="store_true", help="one line per epoch, no progress bar")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace):
    """The TrainConfig: configs.py's default (or --config) with the options applied."""
    from configs import RECIPES
    from mltu_ext.config import TrainConfig

    cfg = TrainConfig.load(args.config) if args.config else RECIPES[args.recipe]()
    if args.config:
        cfg.model.vocabulary = ""  # chosen again from this run's labels
    simple = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "max_minutes": args.max_minutes,
        "max_width": args.max_width,
        "bucket_width": args.bucket_width,
        "seed": args.seed,
        "synthetic_samples": args.synthetic_samples,
        "synthetic_text": args.synthetic_text,
        "mixed_precision": args.mixed_precision,
        "dataset": args.dataset,
        "dataset_format": args.format,
        "pretrain_samples": args.pretrain_samples,
        "pretrain_minutes": args.pretrain_minutes,
    }
    for name, value in simple.items():
        if value is not None:
            setattr(cfg, name, value)
    if args.lr_schedule:
        cfg.lr_schedule = args.lr_schedule
    elif cfg.max_minutes:
        cfg.lr_schedule = "time_cosine"
    if args.height is not None:
        cfg.model.height = args.height
    if args.jit is not None:
        cfg.jit_compile = {"auto": "auto", "on": True, "off": False}[args.jit]
    cfg.augment.enabled = cfg.augment.enabled and not args.no_augment
    cfg.tensorboard = cfg.tensorboard or args.tensorboard
    cfg.int8_export = cfg.int8_export or args.int8
    cfg.data_parallel = cfg.data_parallel or args.data_parallel
    if args.processes is not None:
        cfg.processes = args.processes
    if args.steps_per_call is not None:
        cfg.steps_per_call = args.steps_per_call
    cfg.val_fraction = args.val_fraction
    if cfg.pretrain_samples and not cfg.dataset:
        from mltu_ext.errors import ConfigError

        raise ConfigError("a rendered warm-up (--pretrain-samples, --recipe dhsd) needs --dataset")
    name = Path(cfg.dataset).stem if cfg.dataset else "synthetic"
    cfg.model_dir = args.model_dir or str(Path("Models") / f"{name}_{time.strftime('%Y%m%d-%H%M%S')}")
    return cfg


def load_data(cfg, args: argparse.Namespace):
    """The dataset named by the options, or the embedded rendered words."""
    from mltu_ext.cli.dataset_args import load_from_args
    from mltu_ext.data import load_dataset

    if cfg.dataset:
        return load_from_args(args)
    from mltu_ext.synth.dataset import build_synthetic_dataset
    from mltu_ext.synth.words import load_words, name_like_words

    texts = None  # "mixed": synth's own label maker
    if cfg.synthetic_text == "lower_words":
        texts = sorted({w.lower() for w in load_words(3, 10)})
    elif cfg.synthetic_text == "names":
        texts = name_like_words(cfg.synthetic_samples // 3, seed=cfg.synthetic_seed)
    # the rendered words are distorted already; a second random warp only slows
    # learning, except for a base model that is to read real handwriting next
    cfg.augment.enabled = cfg.augment.enabled and cfg.synthetic_text == "names"
    folder = build_synthetic_dataset(
        SYNTHETIC_DIR,
        cfg.synthetic_samples,
        seed=cfg.synthetic_seed,
        val_fraction=cfg.val_fraction,
        texts=texts,
    )
    labels = Path(folder) / "labels.csv" if Path(folder).is_dir() else Path(folder)
    return load_dataset(str(labels), fmt="generic_csv")


def base_model_dir(path: str | None) -> Path | None:
    """``cfg.base_model`` as a folder: as given, else relative to this file's folder."""
    if not path:
        return None
    here = Path(__file__).resolve().parent / path
    return Path(path) if Path(path).is_dir() or not here.is_dir() else here


def run(cfg, args: argparse.Namespace):
    """Load, split, check and train; returns the TrainResult."""
    from mltu_ext.cli.dataset_args import split_from_args
    from mltu_ext.data import check_samples
    from mltu_ext.parallel.multi_process import is_main_process
    from mltu_ext.training.pretraining import pretrain_then_train
    from mltu_ext.training.trainer import train

    dataset = load_data(cfg, args)
    print(dataset.summary() if hasattr(dataset, "summary") else f"{len(dataset.samples)} samples")
    parts = split_from_args(args, dataset)
    cfg.split = parts.info
    print(
        f"split: {len(parts.train)} training, {len(parts.val)} validation samples "
        f"({parts.info.get('method')})"
    )
    if args.check:
        report = check_samples(dataset.samples, height=cfg.model.height, max_steps=cfg.time_steps)
        print(report.to_text())
        return None
    quiet = args.quiet or not is_main_process()  # other workers log one line per epoch
    options = {"cache_dir": args.cache_dir or None, "verbose": 2 if quiet else "auto"}
    init_from = args.init_from or (None if args.resume else base_model_dir(cfg.base_model))
    if cfg.pretrain_samples and not (args.resume or init_from):
        result = pretrain_then_train(cfg, parts.train, parts.val, render_dir=PRETRAIN_DIR, **options)
    else:
        result = train(
            cfg,
            parts.train,
            parts.val,
            resume=args.resume,
            init_from=init_from,
            freeze_cnn=args.freeze_cnn,
            **options,
        )
    if not is_main_process():
        return result
    print(f"model folder: {result.model_dir}")
    if result.best_val_cer is not None:
        print(f"best validation CER: {result.best_val_cer:.4f} after {result.epochs} epochs")
    if result.onnx_path:
        print(f"ONNX model: {result.onnx_path}")
    return result


def launch_workers(cfg, args: argparse.Namespace, argv: list[str]) -> int:
    """Run this script as ``cfg.processes`` training processes, one GPU each; their exit code.

    The data is loaded (the default words rendered) here once, so that the
    workers only read it; all of them write into one model folder, where
    worker i > 0 leaves its output in ``workers/worker<i>.log``.
    """
    import keras

    from mltu_ext.errors import ConfigError
    from mltu_ext.parallel.multi_process import launch

    if keras.backend.backend() != "jax":
        raise ConfigError(
            f"--processes needs KERAS_BACKEND=jax (Keras runs on {keras.backend.backend()!r}); under "
            "TensorFlow use --data-parallel"
        )
    cfg.validate()  # fail here, once, rather than in every worker
    load_data(cfg, args)
    command = [sys.executable, str(Path(__file__).resolve()), *argv, "--model-dir", cfg.model_dir]
    print(f"starting {cfg.processes} training processes; model folder: {cfg.model_dir}")
    return launch(command, cfg.processes, Path(cfg.model_dir) / "workers")


def main(argv: list[str] | None = None) -> int:
    # oneDNN's CPU kernels crashed (segfault) on this model with TensorFlow
    # 2.21; must be set before TensorFlow is imported
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = get_args(argv)
    from mltu_ext.errors import user_errors
    from mltu_ext.parallel.multi_process import initialize_worker, worker_info

    try:
        worker = worker_info()
        if worker is not None:  # started by launch_workers (or by hand, one per host)
            initialize_worker(worker)  # before anything touches JAX
        cfg = config_from_args(args)
        if worker is not None:
            cfg.processes = worker.count
        elif cfg.processes > 1 and not args.check:
            return launch_workers(cfg, args, sys.argv[1:] if argv is None else argv)
        run(cfg, args)
    except user_errors(training=True) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
