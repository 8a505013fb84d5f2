"""A trained model folder as one small file of int8 weights, and back, to start a later lease from.

A line model's ``best.keras`` is too large to keep in the repository after every lease, so a
session whose GPU machine kept nothing had to start its lease from random weights again.
``pack`` stores the config and the weights, every matrix and convolution kernel as int8 with one
float32 scale per output channel, everything else as it is. ``unpack`` rebuilds the network from
the config and writes a folder that ``train.py --init-from`` takes (``config.json``,
``best.keras``). Sizes and the unpacked model's CER: ``RESULTS.md``, run 013.

    python benchmarks/line_model/pack_weights.py pack Models/my_split_run split_weights.npz
    python benchmarks/line_model/pack_weights.py unpack split_weights.npz /tmp/init_split
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def quantize(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 values and float32 scales (one per last-axis channel) with weight ~ values * scales."""
    peak = np.abs(weight.reshape(-1, weight.shape[-1])).max(axis=0)  # C
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    values = np.clip(np.rint(weight / scales), -127, 127).astype(np.int8)
    return values, scales


def pack_arrays(config: dict, weights: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The npz entries for a config and the model's weights in ``model.weights`` order."""
    entries = {"config": np.array(json.dumps(config)), "count": np.array(len(weights))}
    for i, weight in enumerate(weights):
        if weight.ndim >= 2 and weight.dtype == np.float32:
            entries[f"q{i}"], entries[f"s{i}"] = quantize(weight)
        else:
            entries[f"w{i}"] = weight
    return entries


def unpack_arrays(entries) -> tuple[dict, list[np.ndarray]]:
    """The config and the weights (int8 ones multiplied back to float32) of ``pack_arrays``."""
    weights = []
    for i in range(int(entries["count"])):
        if f"q{i}" in entries:
            weights.append(entries[f"q{i}"].astype(np.float32) * entries[f"s{i}"])
        else:
            weights.append(entries[f"w{i}"])
    return json.loads(str(entries["config"])), weights


def pack(model_dir: Path, out: Path) -> dict:
    """Write ``out`` (.npz) from ``model_dir``'s config.json and best.keras."""
    import keras

    import mltu_ext.model.augment  # noqa: F401  (the augmentation layer a checkpoint names)

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    model = keras.saving.load_model(model_dir / "best.keras", compile=False)
    weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]
    np.savez_compressed(out, **pack_arrays(config, weights))
    return {"weights": len(weights), "bytes": out.stat().st_size}


def unpack(packed: Path, out_dir: Path) -> dict:
    """Write ``out_dir``/config.json and best.keras, the network rebuilt from the packed config."""
    from mltu_ext.config import TrainConfig
    from mltu_ext.model.recognizer import build_recognizer

    with np.load(packed) as entries:
        config, weights = unpack_arrays(entries)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    cfg = TrainConfig.load(out_dir / "config.json")
    model = build_recognizer(cfg.model, cfg.augment)
    if len(model.weights) != len(weights):
        raise SystemExit(f"{packed}: {len(weights)} weights, but its config builds {len(model.weights)}")
    for variable, weight in zip(model.weights, weights, strict=True):
        if tuple(variable.shape) != weight.shape:
            raise SystemExit(f"{packed}: {variable.path} is {tuple(variable.shape)}, packed {weight.shape}")
        variable.assign(weight.astype(variable.dtype))
    model.save(out_dir / "best.keras")
    return {"weights": len(weights), "folder": str(out_dir)}


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    pack_cmd = commands.add_parser("pack", help="model folder -> .npz")
    pack_cmd.add_argument("model_dir", type=Path)
    pack_cmd.add_argument("out", type=Path)
    unpack_cmd = commands.add_parser("unpack", help=".npz -> model folder for --init-from")
    unpack_cmd.add_argument("packed", type=Path)
    unpack_cmd.add_argument("out_dir", type=Path)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    if args.command == "pack":
        return pack(args.model_dir, args.out)
    return unpack(args.packed, args.out_dir)


def main() -> None:
    print(json.dumps(run(get_args())))


if __name__ == "__main__":
    main()
