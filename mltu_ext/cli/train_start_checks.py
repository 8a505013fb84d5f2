"""What train.py checks before it reads any data: the model folder, the start options, the network size.

``--resume``, ``--init-from`` (or the recipe's base model), ``--freeze-cnn`` and
the network fields set by ``--height`` or ``--set model.*`` are refused where one
would be ignored or silently replaced.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mltu_ext.config import TrainConfig
from mltu_ext.config.fields import parse_assignment
from mltu_ext.errors import ConfigError

MODEL_FILES = ("best.keras", "last.keras", "model.onnx")


def check_model_dir(model_dir: str, resume: bool, overwrite: bool) -> None:
    """Refuse a model folder that cannot be written, or that holds a model this run would replace."""
    from mltu_ext.io.os_errors import file_in_the_way

    folder = Path(model_dir)
    place = file_in_the_way(folder)
    if place is not None:
        raise ConfigError(f"--model-dir {folder}: {place} is a file, not a folder")
    if resume or overwrite or not folder.is_dir():
        return
    found = [name for name in MODEL_FILES if (folder / name).is_file()]
    if found:
        raise ConfigError(
            f"{folder}: holds a trained model ({', '.join(found)}); continue it with --resume, "
            "write this one to another --model-dir, or replace it with --overwrite"
        )


def base_model_dir(path: str | None) -> Path | None:
    """``cfg.base_model`` as a folder: as given, else relative to the package's checkout."""
    if not path:
        return None
    here = Path(__file__).resolve().parents[2] / path
    return Path(path) if Path(path).is_dir() or not here.is_dir() else here


def check_start_options(args: argparse.Namespace, cfg: TrainConfig) -> None:
    """Refuse --init-from, --resume and --freeze-cnn where one would be ignored; check the source folder."""
    from mltu_ext.training.starting_point import check_same_run, check_source_folder, resumed_config

    if args.resume and args.init_from:
        raise ConfigError(
            "--resume continues the run in --model-dir and --init-from starts a new one from another "
            "model: give one of them"
        )
    if args.freeze_cnn:
        if args.resume:
            raise ConfigError("--freeze-cnn: --resume continues the run as it was started; leave it out")
        if not (args.init_from or cfg.base_model):
            raise ConfigError(
                "--freeze-cnn keeps the convolutions of the model given with --init-from; "
                "without one they would stay random"
            )
        if cfg.pretrain_samples:
            raise ConfigError(
                f"--freeze-cnn with a rendered warm-up (pretrain_samples={cfg.pretrain_samples}): the "
                "warm-up trains the convolutions; add --pretrain-samples 0, or leave --freeze-cnn out"
            )
    if args.init_from:  # before the data is loaded or a warm-up rendered
        check_source_folder(args.init_from)
    check_network_options(args, cfg)
    if args.resume:  # before the data is read (or the default words rendered) only to be refused
        if not args.model_dir:
            raise ConfigError("--resume continues the run in --model-dir: name that folder")
        check_same_run(resumed_config(args.model_dir), cfg, Path(args.model_dir))


def network_options(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The network fields this command sets, each with the option that set it: ("height", "--height 48")."""
    given = [] if args.height is None else [("height", f"--height {args.height}")]
    for assignment in args.set:
        path, _ = parse_assignment(assignment)
        if path.startswith("model.") and path.count(".") == 1 and path != "model.vocabulary":
            given.append((path.removeprefix("model."), f"--set {assignment}"))
    return given


def check_network_options(args: argparse.Namespace, cfg: TrainConfig) -> None:
    """Refuse a network size that the model this run starts from would replace without a word.

    ``--resume`` continues the network of ``--model-dir``; ``--init-from`` (or the
    recipe's base model) starts from that model's network, with this run's dropout.
    """
    given = network_options(args)
    if not given:
        return
    if args.resume:
        folder, kept = Path(args.model_dir or ""), None
        how = f"--resume continues the network of {folder}"
        hint = "leave it out"
    elif args.init_from or cfg.base_model:
        folder, kept = Path(args.init_from) if args.init_from else base_model_dir(cfg.base_model), "dropout"
        how = (
            f"--init-from {folder} starts from that model's network"
            if args.init_from
            else f"the recipe starts from the network of {folder} (base_model)"
        )
        hint = "leave it out, or train a new network " + (
            "without --init-from" if args.init_from else "with --set base_model=null"
        )
    else:
        return
    if folder is None or not (folder / "config.json").is_file():
        return  # a missing folder or config is reported where it is read
    source = TrainConfig.load(folder / "config.json").model
    for name, option in given:
        theirs = getattr(source, name)
        if name != kept and getattr(cfg.model, name) != theirs:
            shown = json.dumps(theirs) if isinstance(theirs, tuple) else repr(theirs)
            raise ConfigError(f"{option}: {how} ({name} {shown}); {hint}")
