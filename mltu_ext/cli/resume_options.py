"""What ``train.py --resume --model-dir X`` continues: the data, split and recipe in X's config.json.

A resumed run takes every recipe option it is not given from the folder's
``config.json``; an option it is given must say what that file says (the
run's best validation CER was measured on those samples, with that recipe),
except the few in ``RESUME_MAY_CHANGE``, which train the run further.
"""

from __future__ import annotations

import argparse
import copy
import shlex
from functools import reduce
from pathlib import Path

from mltu_ext.config import TrainConfig
from mltu_ext.config.fields import field_paths, set_field
from mltu_ext.errors import ConfigError, DatasetError

# recipe fields that a resumed run may change: more epochs or minutes train it further
RESUME_MAY_CHANGE = ("epochs", "max_minutes")

# dataset options that config.json does not hold: a resumed run needs them again
UNSAVED_DATA_OPTIONS = ("encoding", "keep_err", "writer_pattern", "corrections")

# one recipe field a command line sets: (field path, value, the option as typed)
Assignment = tuple[str, object, str]


def saved_recipe(model_dir: str | None) -> TrainConfig | None:
    """The config.json of the run in ``model_dir``; None where there is none to resume.

    ``train.py`` refuses such a folder (``check_start_options``), as it refuses
    ``--resume`` without ``--model-dir``.
    """
    folder = Path(model_dir or "")
    if not model_dir or not (folder / "last.keras").is_file() or not (folder / "config.json").is_file():
        return None
    return TrainConfig.load(folder / "config.json")


def field_value(cfg: TrainConfig, path: str) -> object:
    """The value of the dotted field ``path`` (``augment.shear``) in ``cfg``."""
    return reduce(getattr, path.split("."), cfg)


def same_value(path: str, before: object, now: object) -> bool:
    """Whether a field holds the same setting; a dataset path names the same file however spelt.

    A relative path resolves from the current folder, as it did when the run
    started (config.json keeps the path as it was typed).
    """
    if path == "dataset" and before and now:
        return Path(str(before)).resolve() == Path(str(now)).resolve()
    return before == now


def refuse_change(option: str, path: str, before: object, now: object, folder: Path) -> None:
    """Raise ConfigError: ``option`` sets ``path`` to ``now`` where the run in ``folder`` has ``before``."""
    hint = ""
    if path == "dataset" and before and not Path(str(before)).is_absolute():
        hint = (
            f"; {before!r} is relative to the folder the run was started in (from here "
            f"{Path(str(before)).resolve()})"
        )
    raise ConfigError(
        f"{option}: --resume continues the run in {folder} as its config.json holds it ({path} "
        f"{before!r}, not {now!r}); leave it out, train into another --model-dir, or start over with "
        f"--overwrite{hint}"
    )


def resumed_recipe(
    args: argparse.Namespace,
    model_dir: Path,
    before: TrainConfig,
    assignments: list[Assignment],
    recipe: TrainConfig | None,
) -> TrainConfig:
    """The recipe of the run in ``model_dir`` (``before``) with the fields this command sets.

    Each of ``assignments`` must agree with ``before`` unless it names a field of
    ``RESUME_MAY_CHANGE``; ``recipe`` (``--recipe`` or ``--config`` with those
    options, None when neither was given) must agree too. The split options not
    given become the saved split's (``args`` is changed).
    """
    cfg = copy.deepcopy(before)
    last = {}  # each field with the option that set it last: the value the command asks for
    for path, value, option in assignments:
        set_field(cfg, path, value)
        last[path] = option
    for path, option in last.items():
        now = field_value(cfg, path)
        if path not in RESUME_MAY_CHANGE and not same_value(path, field_value(before, path), now):
            refuse_change(option, path, field_value(before, path), now, model_dir)
    if recipe is not None:
        option = f"--config {args.config}" if args.config else f"--recipe {args.recipe}"
        check_recipe(option, recipe, before, set(last), model_dir)
    if cfg.lr_schedule == "auto" and cfg.schedule != before.schedule:
        # a time limit added on resume would switch "auto" to the time cosine mid-run
        cfg.lr_schedule = before.schedule
    cfg.validate()
    check_split_options(args, before, model_dir)
    check_dataset_exists(cfg, model_dir)
    return cfg


def check_recipe(
    option: str, recipe: TrainConfig, before: TrainConfig, given: set[str], folder: Path
) -> None:
    """Refuse a ``--recipe`` or ``--config`` whose fields differ from the run's, naming the first few.

    Not compared: the fields the other options set (checked one by one), those
    a resumed run may change, the split and the network: --resume goes on with
    the folder's model (an --init-from run's network is its source's), and the
    run turned the warp off for rendered words (synth.default_words).
    """
    skipped = given | set(RESUME_MAY_CHANGE) | {"split"}
    if not before.dataset and not before.augment_rendered:
        skipped.add("augment.enabled")
    changed = [
        f"{path} {field_value(before, path)!r}, not {field_value(recipe, path)!r}"
        for path in field_paths(before)
        if path not in skipped
        and not path.startswith("model.")
        and not same_value(path, field_value(before, path), field_value(recipe, path))
    ]
    if changed:
        more = f"; {len(changed) - 3} more fields" if len(changed) > 3 else ""
        raise ConfigError(
            f"{option}: --resume continues the run in {folder} as its config.json holds it ("
            f"{'; '.join(changed[:3])}{more}); leave it out, train into another --model-dir, or start "
            "over with --overwrite"
        )


def check_split_options(args: argparse.Namespace, before: TrainConfig, folder: Path) -> None:
    """Take ``--split-seed`` and ``--val-writers`` from the run's split where not given; refuse another seed.

    Validation writers that are given are compared with the run's once the
    data is split (``starting_point.check_same_run``).
    """
    seed = before.split.get("seed")
    if args.split_seed is None:
        args.split_seed = seed or 0
    elif seed is not None and args.split_seed != seed:
        raise ConfigError(
            f"--split-seed {args.split_seed}: --resume continues the run in {folder} with its split (seed "
            f"{seed}, not {args.split_seed}); leave it out"
        )
    if args.val_writers is None and before.split.get("method") == "writer_ids":
        args.val_writers = list(before.split.get("writers", {}).get("val", [])) or None


def check_dataset_exists(cfg: TrainConfig, folder: Path) -> None:
    """Refuse a resumed run whose dataset is no longer where its config.json says, in one line."""
    path = Path(cfg.dataset or "")
    if not cfg.dataset or path.exists():
        return
    where = "; put it back there"
    if not path.is_absolute():  # kept as typed: relative to the folder the run was started in
        where = (
            f" at {path.resolve()} (a path relative to the folder the run was started in: run from there, "
            "or put it back)"
        )
    raise DatasetError(f"{folder / 'config.json'}: the run's dataset {cfg.dataset!r} no longer exists{where}")


def resume_options(args: argparse.Namespace, folder: Path) -> str:
    """The options that continue this run: --resume, the folder and the dataset options config.json lacks."""
    words = ["--resume", "--model-dir", str(folder)]
    for name in UNSAVED_DATA_OPTIONS:
        value = getattr(args, name, None)
        flag = "--" + name.replace("_", "-")
        if value is True:
            words.append(flag)
        elif value:
            words += [flag, str(value)]
    return shlex.join(words)
