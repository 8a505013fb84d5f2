"""Peak memory (RSS) of a short package training run on 1x, 4x and 16x copies of DHSD.

Each size runs in a fresh subprocess: load DHSD, repeat the training
samples (writers 1-27) ``k`` times in memory, then ``mltu_ext.training.trainer.train``
with ``configs.dhsd_config()`` for ``--steps`` batches (validation on writers
28-30 after them). The child reports its resident memory at four points,
read from ``/proc/self/status`` (VmRSS now, VmHWM the peak so far): after
the imports, after the image cache is built, and at the end of training. Run
from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/memory_training/memory_training.py --copies 1,4,16

Without ``--out`` the results go to ``benchmarks/memory_training/runs/new/``: rename the
folder to the next ``runs/NNN-short-name/`` and update ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tqdm import tqdm

from mltu_ext.cli.common import set_tensorflow_environment

ROOT = Path(__file__).resolve().parents[2]
NEW_RUN = Path(__file__).resolve().parent / "runs" / "new"  # until the run gets its number and name
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dhsd"


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", default="1,4,16", help="comma-separated dataset multipliers")
    parser.add_argument("--steps", type=int, default=30, help="training batches per run")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="DHSD folder (labels.csv)")
    parser.add_argument("--work-dir", default="/tmp/memory_training")
    parser.add_argument("--out", default=str(NEW_RUN / "memory_training_results.md"))
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def memory_mb() -> dict[str, float]:
    """Current and peak resident set size in MB, from /proc/self/status."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB -> MB
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_mb": values.get("VmHWM", 0.0)}


def child(args: argparse.Namespace) -> dict:
    """One measurement: train on ``args.child`` copies; print a JSON line."""
    set_tensorflow_environment()
    import keras

    from benchmarks.cpu_training_dhsd.recipes.common import load_split
    from benchmarks.cpu_training_dhsd.recipes.package_default import extra_callback
    from configs import dhsd_config
    from mltu_ext.config import RunConfig
    from mltu_ext.training import trainer as training

    points = {"imports": memory_mb()}
    train, val = load_split(args.data)
    train = train * args.child  # in-memory duplicates: same files, decoded again
    cfg = dhsd_config()
    cfg.dataset = args.data  # as train.py --dataset: real data, so the recipe's random warp is on
    cfg.epochs = 1
    run_cfg = RunConfig(model_dir=str(Path(args.work_dir) / f"x{args.child}"), verbose=0, export=False)

    original_build = training.build_caches
    cache_bytes = {}

    def build_and_measure(*a, **kw):
        caches = original_build(*a, **kw)
        cache_bytes["train"] = caches[0].nbytes
        cache_bytes["val"] = caches[1].nbytes
        points["cache_built"] = memory_mb()
        return caches

    class StopAfter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch + 1 >= args.steps:
                self.model.stop_training = True

    start = time.monotonic()
    training.build_caches = build_and_measure
    try:
        with extra_callback(StopAfter()):
            training.train(cfg, train, val, run_cfg)
    finally:
        training.build_caches = original_build
    points["trained"] = memory_mb()
    return {
        "copies": args.child,
        "image_shape": [cfg.model.height, cfg.max_width],
        "train_images": len(train),
        "cache_mb": cache_bytes["train"] / 1e6,
        "val_cache_mb": cache_bytes["val"] / 1e6,
        "seconds": time.monotonic() - start,
        "points": points,
    }


def run(args: argparse.Namespace) -> list[dict]:
    """Parent: one fresh subprocess per multiplier, then the results file."""
    if args.child is not None:
        result = child(args)
        print("RESULT " + json.dumps(result))
        return [result]
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    results = []
    for copies in tqdm([int(c) for c in args.copies.split(",")], desc="dataset sizes"):
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            str(copies),
            "--steps",
            str(args.steps),
            "--data",
            args.data,
            "--work-dir",
            args.work_dir,
        ]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if done.returncode or line is None:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise RuntimeError(f"x{copies}: child failed (exit {done.returncode}): " + " | ".join(tail))
        results.append(json.loads(line[len("RESULT ") :]))
    script = "benchmarks/memory_training/memory_training.py"
    command = f"PYTHONPATH=. .venv/bin/python {script} " + shlex.join(sys.argv[1:])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report(results, command.strip(), args.steps))
    Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def report(results: list[dict], command: str, steps: int) -> str:
    from benchmarks.cpu_training_dhsd.accuracy_dhsd import machine

    base = results[0]
    height, width = base["image_shape"]
    lines = [
        "# Peak memory of a short training run vs dataset size (package recipe, CPU)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}. Each row is a fresh process: DHSD writers 1-27 repeated k times in memory "
        f"(the same files decoded again), `configs.dhsd_config()` ({height}x{width} images, batch 32, "
        "starting from `Models/rendered_base`), "
        f"{steps} training "
        "steps then one validation pass on writers 28-30, no ONNX export. Memory from `/proc/self/status` "
        "(VmRSS, and VmHWM = peak RSS of the process).",
        "",
        f"| copies | training images | image cache (N x {height} x {width} B) "
        "| RSS after imports | RSS after cache "
        "| peak RSS (whole run) | peak - imports | (peak - imports) / cache |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        p = r["points"]
        grown = p["trained"]["peak_mb"] - p["imports"]["rss_mb"]
        lines.append(
            f"| {r['copies']} | {r['train_images']:,} | {r['cache_mb']:.0f} MB "
            f"| {p['imports']['rss_mb']:.0f} MB "
            f"| {p['cache_built']['rss_mb']:.0f} MB | {p['trained']['peak_mb']:.0f} MB | {grown:.0f} MB "
            f"| {grown / r['cache_mb']:.1f} |"
        )
    last = results[-1]
    if len(results) > 1:
        extra_images = last["train_images"] - base["train_images"]
        extra_peak = last["points"]["trained"]["peak_mb"] - base["points"]["trained"]["peak_mb"]
        per_byte = extra_peak * 1e6 / extra_images / (height * width)
        lines += [
            "",
            f"From x{base['copies']} to x{last['copies']}: {extra_images:,} more images cost "
            f"{extra_peak:.0f} MB more peak RSS, {extra_peak * 1e6 / extra_images / 1024:.1f} KB per image, "
            f"against {height * width / 1024:.1f} KB per image in the uint8 cache. "
            f"Peak memory grows linearly with the data, at about {per_byte:.1f} bytes per cached byte: the "
            "uint8 cache itself (1), the tensor copy of it that `mltu_ext.data.batching.tf_dataset` gathers "
            f"batches from (1), and {per_byte - 2:.1f} more in TensorFlow's buffers while training. The "
            "rest of the peak over the imports does not grow with the data (model, optimiser state, graph "
            "tracing, validation).",
        ]
    lines += [""]
    return "\n".join(lines)


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
