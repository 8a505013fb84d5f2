"""A trained model folder as one small file of int8 weights, and back, to start a later training from.

A line model's ``best.keras`` is too large to keep in the repository after every training on a GPU
machine, and such a machine keeps nothing between trainings, so without it the next one would
start from random weights again.
``pack`` stores the config and the weights (``mltu_ext.model.packed_weights``: every matrix
and convolution kernel as int8 with one float32 scale per output channel, everything else as
it is). ``unpack`` rebuilds the network from the config and writes a folder with
``config.json`` and ``best.keras`` (``train.py --init-from`` also takes a folder with
``config.json`` and the packed file named ``weights.npz``). Sizes and the unpacked model's CER:
``RESULTS.md``, run 013. ``deepen`` puts more BiLSTMs on top of a packed network, each starting
as the identity (``mltu_ext.model.deepen``), so that a training starts a deeper network from where
the trained one reads (``RESULTS.md``, run 019).

    python benchmarks/line_model/pack_weights.py pack Models/my_split_run split_weights.npz
    python benchmarks/line_model/pack_weights.py unpack split_weights.npz /tmp/init_split
    python benchmarks/line_model/pack_weights.py deepen split_weights.npz deeper.npz --add 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mltu_ext.model.packed_weights import load_packed, pack_model_dir, read_packed, write_packed


def pack(model_dir: Path, out: Path) -> dict:
    """Write ``out`` (.npz) from ``model_dir``'s config.json and best.keras."""
    return {"bytes": pack_model_dir(model_dir, out)}


def unpack(packed: Path, out_dir: Path) -> dict:
    """Write ``out_dir``/config.json and best.keras, the network rebuilt from the packed config."""
    config, _ = read_packed(packed)
    model = load_packed(packed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    model.save(out_dir / "best.keras")
    return {"weights": len(model.weights), "folder": str(out_dir)}


def deepen(packed: Path, out: Path, add: int, units: int | None) -> dict:
    """Write ``out`` (.npz): the packed network with ``add`` residual BiLSTMs on top, reading as before."""
    from mltu_ext.config import TrainConfig
    from mltu_ext.model.deepen import deepen_recognizer

    config, _ = read_packed(packed)
    cfg = TrainConfig.from_dict(config)
    grown, grown_model_cfg = deepen_recognizer(load_packed(packed, cfg), cfg.model, add, units)
    cfg.model = grown_model_cfg
    size = write_packed(out, cfg.to_dict(), grown)
    return {"lstm_units": list(grown_model_cfg.lstm_units), "weights": len(grown.weights), "bytes": size}


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
    deepen_cmd = commands.add_parser(
        "deepen", help=".npz -> .npz with more BiLSTMs that start as the identity (mltu_ext.model.deepen)"
    )
    deepen_cmd.add_argument("packed", type=Path)
    deepen_cmd.add_argument("out", type=Path)
    deepen_cmd.add_argument("--add", type=int, default=2, help="BiLSTMs to add on top")
    deepen_cmd.add_argument("--units", type=int, help="their size (default: the last BiLSTM's)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    if args.command == "pack":
        return pack(args.model_dir, args.out)
    if args.command == "deepen":
        return deepen(args.packed, args.out, args.add, args.units)
    return unpack(args.packed, args.out_dir)


def main() -> None:
    print(json.dumps(run(get_args())))


if __name__ == "__main__":
    main()
