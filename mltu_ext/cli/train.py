"""Train a handwriting recogniser and export it to ONNX.

python train.py                                  # embedded rendered handwriting
python train.py --dataset Datasets/IAM_Words     # any format mltu_ext.data reads
python train.py --dataset labels.csv --val-writers 28,29,30 --max-minutes 30
python train.py --set augment.shear=0.5 --set model.lstm_units=[128,128]
python train.py --resume --model-dir Models/words_20260101-120000   # its data and recipe: config.json's
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mltu_ext.cli.common import (
    NON_NEGATIVE_FLOAT,
    NON_NEGATIVE_INT,
    POSITIVE_FLOAT,
    POSITIVE_INT,
    run_command,
    set_tensorflow_environment,
)
from mltu_ext.cli.dataset_args import add_dataset_arguments, load_from_args, split_from_args
from mltu_ext.cli.train_options import config_from_args, data_args, run_config_from_args
from mltu_ext.cli.train_start_checks import base_model_dir, check_model_dir, check_start_options
from mltu_ext.config import RunConfig, TrainConfig
from mltu_ext.errors import ConfigError, DatasetError

if TYPE_CHECKING:
    from mltu_ext.data.readers.common import LoadedDataset
    from mltu_ext.data.split import SplitResult
    from mltu_ext.training.trainer import TrainResult

# rendered warm-up sets for --dataset runs, by TrainConfig.pretrain_kind
PRETRAIN_DIRS = {"words": Path("Datasets") / "pretrain_words", "lines": Path("Datasets") / "pretrain_lines"}


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse ``train.py``'s options (every number range-checked)."""
    from configs import RECIPES

    parser = argparse.ArgumentParser(
        prog="train.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_dataset_arguments(parser, required=False)
    recipe = parser.add_argument_group("recipe (saved in the model's config.json)")
    recipe.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        help="recipe from configs.py (default: default): default (rendered words, or any dataset); "
        "dhsd (small real word sets, 30 minutes from Models/rendered_base); rendered_base (the base model: "
        "rendered name-like words, for a GPU); lines (text lines of ALTO/PAGE pages, 60 CPU "
        "minutes with a rendered-line warm-up); lines_large (the line recipe for a GPU)",
    )
    recipe.add_argument("--config", metavar="JSON", help="start from this config.json instead of configs.py")
    recipe.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="set any recipe field, checked against its type: augment.shear=0.5, model.height=48, "
        "model.lstm_units=[128,128], optimizer=adamw (repeatable; after the flags below)",
    )
    recipe.add_argument("--epochs", type=POSITIVE_INT)
    recipe.add_argument("--batch-size", type=POSITIVE_INT)
    recipe.add_argument(
        "--accumulate",
        type=POSITIVE_INT,
        metavar="N",
        help="update the weights once every N batches with their mean gradient: the effect of an "
        "N times larger batch in the memory of one (long lines on a small GPU)",
    )
    recipe.add_argument("--learning-rate", type=POSITIVE_FLOAT)
    recipe.add_argument("--max-minutes", type=POSITIVE_FLOAT, help="stop training after this many minutes")
    recipe.add_argument(
        "--lr-schedule",
        choices=["auto", "plateau", "time_cosine", "cosine"],
        help="plateau: halve on a validation-CER plateau; time_cosine: cosine decay over "
        "--max-minutes; cosine: cosine decay over --epochs; auto (default): time_cosine when "
        "--max-minutes is given, else plateau",
    )
    recipe.add_argument("--max-width", type=POSITIVE_INT, help="training image width in pixels (padded)")
    recipe.add_argument("--height", type=POSITIVE_INT, help="model input height in pixels")
    recipe.add_argument(
        "--bucket-width",
        type=NON_NEGATIVE_INT,
        help="group words of similar width and crop each batch to a multiple of this many "
        "columns (0: pad every batch to --max-width)",
    )
    recipe.add_argument("--synthetic-samples", type=POSITIVE_INT, help="size of the rendered default data")
    recipe.add_argument(
        "--synthetic-text",
        choices=["lower_words", "mixed", "names"],
        help="labels of the rendered data: lower-case words (default), mixed text, or "
        "name-like words with capitals, umlauts, ß and hyphens",
    )
    recipe.add_argument(
        "--pretrain-samples",
        type=NON_NEGATIVE_INT,
        help="with --dataset: first train on this many rendered words in the dataset's characters",
    )
    recipe.add_argument(
        "--pretrain-minutes", type=NON_NEGATIVE_FLOAT, help="minutes of --max-minutes spent on them"
    )
    recipe.add_argument("--seed", type=NON_NEGATIVE_INT)
    recipe.add_argument("--no-augment", action="store_true", help="train without random augmentation")
    _add_run_arguments(parser)
    # unset unless given, so that the recipe's own value (configs.py, --config, --set) is used,
    # and --resume takes the run's (its config.json's split)
    parser.set_defaults(val_fraction=None, split_seed=None)
    return parser.parse_args(argv)


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    run = parser.add_argument_group("this run (devices, output; not part of the recipe)")
    run.add_argument("--model-dir", help="where to write the model (default: Models/<data>_<time>)")
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue from last.keras in --model-dir, with the data and recipe of its config.json "
        "(other options given must agree, except a larger --epochs or --max-minutes)",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="train into a --model-dir that already holds a model, replacing it (without it, refused)",
    )
    run.add_argument("--init-from", metavar="MODEL_DIR", help="fine-tune a trained model folder")
    run.add_argument("--freeze-cnn", action="store_true", help="with --init-from: train only the LSTMs")
    run.add_argument("--check", action="store_true", help="print the dataset report and exit")
    run.add_argument(
        "--cache-dir",
        default=str(Path("Datasets") / ".cache"),
        help="where decoded images are cached between runs ('' to disable)",
    )
    run.add_argument("--quiet", action="store_true", help="one line per epoch, no progress bar")
    run.add_argument("--mixed-precision", choices=["bfloat16", "float16"])
    run.add_argument("--jit", choices=["auto", "on", "off"], default="auto", help="XLA compilation")
    run.add_argument("--tensorboard", action="store_true", help="write TensorBoard logs")
    run.add_argument(
        "--int8",
        action="store_true",
        help="also write model.int8.onnx: int8 convolutions calibrated on 256 training images "
        "(smaller, about 1.5x faster on a CPU); kept only if its validation CER is within 1 point "
        "of the float model's",
    )
    run.add_argument(
        "--data-parallel",
        action="store_true",
        help="split each batch over all local GPUs (--batch-size is per GPU)",
    )
    run.add_argument(
        "--processes",
        type=POSITIVE_INT,
        default=1,
        help="JAX: train in this many processes on this host, one GPU each (--batch-size is per "
        "GPU); faster than --data-parallel in one process (benchmarks/README.md)",
    )
    run.add_argument(
        "--steps-per-call",
        type=POSITIVE_INT,
        default=1,
        help="training steps per compiled call; more keep a GPU busier under JAX (callbacks then "
        "run once per group of steps)",
    )


def load_data(cfg: TrainConfig, args: argparse.Namespace) -> LoadedDataset:
    """The dataset the recipe names (``--dataset``, ``--set``, ``--config``), or the rendered words."""
    if cfg.dataset:
        return load_from_args(data_args(args, cfg))
    from mltu_ext.synth.default_words import rendered_default_dataset

    return rendered_default_dataset(cfg)


def run(cfg: TrainConfig, run_cfg: RunConfig, args: argparse.Namespace) -> TrainResult | None:
    """Load, split, check and train; returns the TrainResult (None with --check)."""
    from mltu_ext.data import check_samples
    from mltu_ext.parallel.multi_process import is_main_process
    from mltu_ext.training.pretraining import pretrain_then_train
    from mltu_ext.training.trainer import train

    if cfg.pretrain_samples and not cfg.dataset:
        raise ConfigError("a rendered warm-up (--pretrain-samples, --recipe dhsd) needs --dataset")
    dataset = load_data(cfg, args)
    print(dataset.summary())
    parts = split_from_args(data_args(args, cfg), dataset)
    cfg.split = parts.info
    print(
        f"split: {len(parts.train)} training, {len(parts.val)} validation samples "
        f"({parts.info.get('method')})"
    )
    held_out = parts.info.get("writers", {}).get("val") or []
    if held_out:  # so that one can see a writer is not on both sides (pages of one hand: --writer-pattern)
        shown = ", ".join(map(str, held_out[:8])) + (
            f", ... ({len(held_out)} in all)" if len(held_out) > 8 else ""
        )
        print(f"validation writers: {shown}")
    copies = parts.info.get("duplicates", {})
    if copies.get("copies"):
        print(
            f"duplicates: {copies['copies']} copies of {copies['images_with_copies']} images (same file or "
            f"same bytes), each kept on one side; {copies['moved_to_an_earlier_side']} moved there"
        )
    if copies.get("pages_under_several_writers"):
        shown = " and ".join(copies["shared_page_examples"][0])
        print(
            f"duplicates: {copies['pages_under_several_writers']} page image(s) described under several "
            f"writer ids (e.g. {shown}); the lines of each kept on one side"
        )
    if copies.get("with_different_labels"):
        print(
            f"warning: {copies['with_different_labels']} images appear with different labels; at most "
            "one label of each can be right (python -m mltu_ext.data check lists them)",
            file=sys.stderr,
        )
    if not args.check and (not parts.train or not parts.val):
        raise DatasetError(empty_side(parts, args))
    if args.check:
        report = check_samples(dataset.samples, height=cfg.model.height, max_steps=cfg.time_steps)
        print(report.to_text())
        return None
    if not is_main_process():  # other workers log one line per epoch
        run_cfg.verbose = 2
    init_from = args.init_from or (None if args.resume else base_model_dir(cfg.base_model))
    if cfg.pretrain_samples and not args.resume:
        # the warm-up starts from the base model (or --init-from) when there is one
        result = pretrain_then_train(
            cfg,
            parts.train,
            parts.val,
            run_cfg,
            render_dir=PRETRAIN_DIRS[cfg.pretrain_kind],
            init_from=init_from,
        )
    else:
        result = train(
            cfg,
            parts.train,
            parts.val,
            run_cfg,
            resume=args.resume,
            init_from=init_from,
            freeze_cnn=args.freeze_cnn,
        )
    if is_main_process():
        print(f"model folder: {result.model_dir}")
        if result.best_val_cer is not None:
            print(f"best validation CER: {result.best_val_cer:.4f} after {result.epochs} epochs")
        if result.onnx_path and args.init_from and not args.resume:
            from mltu_ext.export.inherited import inherit_reading_aids

            for note in inherit_reading_aids(args.init_from, result.onnx_path):
                print(f"note: {note}")
        if result.onnx_path:
            from mltu_ext.inference.model_files import record_trained_model

            # inferenceModel.py without --model reads this model from now on
            record = record_trained_model(result.onnx_path)
            print(f"ONNX model: {result.onnx_path} (recorded in {record})")
    return result


def empty_side(parts: SplitResult, args: argparse.Namespace) -> str:
    """Why the split left no training or no validation samples, and what to change."""
    total = len(parts.train) + len(parts.val) + len(parts.test)
    moved = parts.info.get("duplicates", {}).get("moved_to_an_earlier_side", 0)
    if not parts.train and args.val_writers:
        return (
            f"--val-writers {', '.join(args.val_writers)} take every writer: no training samples are "
            f"left of {total}; leave at least one writer for training"
        )
    if not parts.val and moved:
        return (
            f"the split left no validation samples: its {moved} were copies (same file or same bytes) "
            "of training images, which stay on the training side; name other --val-writers, or remove "
            "the copies (python -m mltu_ext.data check lists them)"
        )
    return (
        f"the split left {len(parts.train)} training and {len(parts.val)} validation samples of "
        f"{total}; training needs both"
    )


def launch_workers(cfg: TrainConfig, run_cfg: RunConfig, args: argparse.Namespace, argv: list[str]) -> int:
    """Run this command as ``run_cfg.processes`` training processes, one GPU each; their exit code.

    The data is loaded (the default words rendered) here once, so that the
    workers only read it; all of them write into one model folder, where
    worker i > 0 leaves its output in ``workers/worker<i>.log``.
    """
    import keras

    from mltu_ext.parallel.multi_process import launch

    if keras.backend.backend() != "jax":
        raise ConfigError(
            f"--processes needs KERAS_BACKEND=jax (Keras runs on {keras.backend.backend()!r}); under "
            "TensorFlow use --data-parallel"
        )
    load_data(cfg, args)
    command = [sys.executable, "-m", "mltu_ext.cli.train", *argv, "--model-dir", run_cfg.model_dir]
    print(f"starting {run_cfg.processes} training processes; model folder: {run_cfg.model_dir}")
    return launch(command, run_cfg.processes, Path(run_cfg.model_dir) / "workers")


def main(argv: list[str] | None = None) -> int:
    """``train.py``: 0 on success, 2 with one line on stderr for bad input."""
    set_tensorflow_environment()  # before anything imports TensorFlow
    args = get_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    exit_code = 0

    def body() -> None:
        nonlocal exit_code
        from mltu_ext.parallel.multi_process import initialize_worker, worker_info

        worker = worker_info()
        if worker is not None:  # started by launch_workers (or by hand, one per host)
            initialize_worker(worker)  # before anything touches JAX
        cfg = config_from_args(args)
        run_cfg = run_config_from_args(args, cfg)
        if worker is not None:
            run_cfg.processes = worker.count
        elif not args.check:  # the workers' parent checked it for them
            check_model_dir(run_cfg.model_dir, args.resume, args.overwrite)
            check_start_options(args, cfg)
        if worker is None and run_cfg.processes > 1 and not args.check:
            exit_code = launch_workers(cfg, run_cfg, args, argv)
            return
        try:
            run(cfg, run_cfg, args)
        except KeyboardInterrupt:
            folder = Path(run_cfg.model_dir)
            if (folder / "last.keras").is_file():
                from mltu_ext.cli.resume_options import resume_options

                # the data and recipe are in the folder's config.json
                print(f"interrupted: continue with {resume_options(args, folder)}", file=sys.stderr)
            elif folder.is_dir():
                print(
                    f"interrupted: {folder} holds no finished epoch to resume; run the command again",
                    file=sys.stderr,
                )
            raise

    return run_command(body) or exit_code


if __name__ == "__main__":
    sys.exit(main())
