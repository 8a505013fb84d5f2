"""train.py's options as configs: the recipe (``TrainConfig``), the run (``RunConfig``), the data options."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mltu_ext.config import RunConfig, TrainConfig
from mltu_ext.config.fields import parse_assignment, set_field

# the common flags, each a shortcut for one ``--set FIELD=VALUE`` of the recipe
FLAG_FIELDS = {
    "epochs": "epochs",
    "batch_size": "batch_size",
    "accumulate": "accumulate",
    "learning_rate": "learning_rate",
    "max_minutes": "max_minutes",
    "lr_schedule": "lr_schedule",
    "max_width": "max_width",
    "height": "model.height",
    "bucket_width": "bucket_width",
    "synthetic_samples": "synthetic_samples",
    "synthetic_text": "synthetic_text",
    "pretrain_samples": "pretrain_samples",
    "pretrain_minutes": "pretrain_minutes",
    "seed": "seed",
    "dataset": "dataset",
    "format": "dataset_format",
    "val_fraction": "val_fraction",
}


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The recipe: configs.py's (or --config's) with the flags, then the ``--set`` fields, applied.

    With ``--resume`` of a folder that holds a run, it is that run's config.json,
    the options given checked against it (``mltu_ext.cli.resume_options``).
    """
    from mltu_ext.cli.resume_options import resumed_recipe, saved_recipe

    before = saved_recipe(args.model_dir) if args.resume else None
    if before is None:
        return recipe_from_args(args)
    recipe = recipe_from_args(args) if args.recipe or args.config else None
    return resumed_recipe(args, Path(args.model_dir), before, recipe_assignments(args), recipe)


def recipe_from_args(args: argparse.Namespace) -> TrainConfig:
    """configs.py's recipe (or --config's) with the flags, then the ``--set`` fields, applied."""
    from configs import RECIPES

    cfg = TrainConfig.load(args.config) if args.config else RECIPES[args.recipe or "default"]()
    if args.config:
        cfg.model.vocabulary = ""  # chosen again from this run's labels
    for path, value, _ in recipe_assignments(args):
        set_field(cfg, path, value)
    cfg.validate()
    return cfg


def recipe_assignments(args: argparse.Namespace) -> list[tuple[str, object, str]]:
    """The recipe fields the options set, in the order they apply: (field path, value, option as typed)."""
    assigned = []
    for option, path in FLAG_FIELDS.items():
        value = getattr(args, option, None)
        if value is not None:
            assigned.append((path, value, f"--{option.replace('_', '-')} {value}"))
    if args.no_augment:
        assigned.append(("augment.enabled", False, "--no-augment"))
    for assignment in args.set:
        assigned.append((*parse_assignment(assignment), f"--set {assignment}"))
    return assigned


def run_config_from_args(args: argparse.Namespace, cfg: TrainConfig) -> RunConfig:
    """How this run executes: devices, output folder, export."""
    name = Path(cfg.dataset).stem if cfg.dataset else "synthetic"
    run = RunConfig(
        model_dir=args.model_dir or str(Path("Models") / f"{name}_{time.strftime('%Y%m%d-%H%M%S')}"),
        cache_dir=args.cache_dir or None,
        tensorboard=args.tensorboard,
        jit_compile={"auto": "auto", "on": True, "off": False}[args.jit],
        mixed_precision=args.mixed_precision,
        data_parallel=args.data_parallel,
        processes=args.processes,
        steps_per_call=args.steps_per_call,
        int8_export=args.int8,
        verbose=2 if args.quiet else "auto",
    )
    run.validate()
    return run


def data_args(args: argparse.Namespace, cfg: TrainConfig) -> argparse.Namespace:
    """``args`` with the dataset, its format and the validation share that the recipe holds.

    The flags were copied into the recipe (``FLAG_FIELDS``), and ``--set`` or a
    ``--config`` file may name them too: the data is read and split as the
    recipe saved in ``config.json`` says.
    """
    recipe = {"dataset": cfg.dataset, "format": cfg.dataset_format, "val_fraction": cfg.val_fraction}
    seed = {"split_seed": getattr(args, "split_seed", None) or 0}  # unset: 0 (--resume: the run's)
    return argparse.Namespace(**{**vars(args), **recipe, **seed})
