"""Three recipes trained side by side on real handwriting (DHSD), same split, same wall clock.

Recipes (``benchmarks/cpu_training_dhsd/recipes``): the package's ``dhsd_config()``
through ``mltu_ext.training.trainer.train``; mltu's IAM-words tutorial with mltu's own
DataProvider, augmentors, residual blocks and CTCloss; an IAM-line-style
CNN-BiLSTM-CTC at height 128. Each runs in its own subprocess, all three at
the same time, so they share the machine's cores for the whole budget. Each
logs (elapsed seconds, epoch, images seen, val CER) after every epoch and
finally scores its best checkpoint on writers 28-30 with numpy greedy
decoding and ``mltu_ext.evaluation.error_rates`` (corpus CER, WER, exact match).

Train on writers 1-27; the model is chosen on writers 28-30 and scored there
too (DHSD has no further writers in this copy), so the scores are
validation scores. Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/cpu_training_dhsd/accuracy_dhsd.py --minutes 30

It writes ``accuracy_dhsd_results.md``, ``cpu_training_results.md`` and
``accuracy_dhsd_curves.png`` to ``--report-dir`` and the raw logs to ``--log-dir``
(by default ``benchmarks/cpu_training_dhsd/runs/new/`` and its ``accuracy_dhsd_logs/``:
rename the folder to the next ``runs/NNN-short-name/`` and update ``RESULTS.md``);
model files stay in ``--work-dir``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tqdm import tqdm

from mltu_ext.cli.common import set_tensorflow_environment

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dhsd"
STUDY = Path(__file__).resolve().parent
NEW_RUN = STUDY / "runs" / "new"  # a run's files until it is given its number and name
LABELS = {
    "package_default": "package (dhsd recipe)",
    "mltu_tutorial": "mltu IAM-words tutorial",
    "iam_line_crnn": "IAM-line CNN-BiLSTM (h=128)",
}


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    from benchmarks.cpu_training_dhsd.recipes import RECIPES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="wall-clock budget per recipe")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="DHSD folder (labels.csv)")
    parser.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated recipe names")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", default="/tmp/dhsd_bench", help="model folders and worker logs")
    parser.add_argument(
        "--log-dir", default=str(NEW_RUN / "accuracy_dhsd_logs"), help="epoch CSVs, result JSONs"
    )
    parser.add_argument("--report-dir", default=str(NEW_RUN), help="where the results files go")
    parser.add_argument("--report-only", action="store_true", help="rewrite the reports from --log-dir")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.recipes.split(",")) - set(RECIPES))
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    return args


def run_worker(args: argparse.Namespace) -> dict:
    """Train and score one recipe in this process; write result.json next to epochs.csv."""
    start = time.monotonic()
    set_tensorflow_environment()
    import importlib

    from benchmarks.cpu_training_dhsd.recipes.common import RecipeJob, load_split

    train, val = load_split(args.data, args.limit)
    out_dir = Path(args.work_dir) / args.worker
    job = RecipeJob(args.worker, out_dir, train, val, start, args.minutes, args.seed, data=args.data)
    recipe = importlib.import_module(f"benchmarks.cpu_training_dhsd.recipes.{args.worker}")
    result = recipe.run(job)
    result["total_s"] = round(time.monotonic() - start, 1)
    (out_dir / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result


def launch(args: argparse.Namespace, names: list[str]) -> dict[str, int]:
    """Start one worker per recipe at once, show the budget as a progress bar, wait for all."""
    work = Path(args.work_dir)
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    procs = {}
    for name in names:
        (work / name).mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            name,
            "--minutes",
            str(args.minutes),
            "--data",
            args.data,
            "--seed",
            str(args.seed),
            "--work-dir",
            str(work),
        ]
        if args.limit:
            command += ["--limit", str(args.limit)]
        log = (work / name / "worker.log").open("w")
        procs[name] = (
            subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT),
            log,
        )
    start = time.monotonic()
    with tqdm(total=round(args.minutes * 60), desc="budget", unit="s") as bar:
        while any(p.poll() is None for p, _ in procs.values()):
            time.sleep(5)
            bar.n = min(round(time.monotonic() - start), bar.total)
            running = [n for n, (p, _) in procs.items() if p.poll() is None]
            bar.set_postfix_str("running: " + ",".join(running))
            bar.refresh()
    for _, log in procs.values():
        log.close()
    return {name: p.returncode for name, (p, _) in procs.items()}


def collect(args: argparse.Namespace, names: list[str]) -> None:
    """Copy each worker's epochs.csv and result.json into the log folder."""
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        for file in ("epochs.csv", "result.json"):
            source = Path(args.work_dir) / name / file
            if source.is_file():
                (log_dir / f"{name}_{file}").write_text(source.read_text())


def read_logs(log_dir: Path, names: list[str]) -> tuple[dict[str, list[dict]], dict[str, dict]]:
    curves, results = {}, {}
    for name in names:
        csv_path = log_dir / f"{name}_epochs.csv"
        if csv_path.is_file():
            with csv_path.open() as handle:
                curves[name] = [
                    {k: (float(v) if v not in ("", None) else None) for k, v in row.items()}
                    for row in csv.DictReader(handle)
                ]
        json_path = log_dir / f"{name}_result.json"
        if json_path.is_file():
            results[name] = json.loads(json_path.read_text())
    return curves, results


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    cpu = model or platform.processor()
    return f"{os.cpu_count()} CPU cores ({cpu}), no GPU, Python {platform.python_version()}"


def plot(curves: dict[str, list[dict]], path: Path, minutes: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=90)
    for name, rows in curves.items():
        points = [(r["elapsed_s"] / 60, r["val_CER"]) for r in rows if r["val_CER"] is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="." if len(points) < 40 else None, label=LABELS.get(name, name))
    ax.axvline(minutes, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("minutes since the worker started (3 recipes sharing the cores)")
    ax.set_ylabel("validation CER (writers 28-30)")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def accuracy_report(args: argparse.Namespace, command: str, curves: dict, results: dict) -> str:
    lines = [
        "# DHSD accuracy: package recipe vs mltu's tutorial vs an IAM-line CRNN (CPU)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}. TensorFlow backend, `TF_ENABLE_ONEDNN_OPTS=0`.",
        "",
        f"Budget: {args.minutes:g} minutes of wall clock per recipe, counted from the start of each worker "
        "process (reading and decoding images count). The three recipes ran **at the same time** as three "
        "subprocesses, so they shared the cores for the whole run; an epoch that was running at the deadline "
        "was cut short and then validated, so the last row of a log can lie a little past the budget.",
        "",
        "Data: DHSD (real handwriting, 30 writers, see below). Train on writers 1-27 "
        f"({_first(results, 'train_samples')} images); the best checkpoint is chosen on writers 28-30 "
        f"({_first(results, 'val_samples')} images) and scored on the same writers: corpus CER and WER "
        "exact match = share of words read exactly; greedy CTC decoding.",
        "",
        "| recipe | params | input | batch | epochs | images seen | images/s "
        "| best val CER | CER | WER | exact match |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, res in results.items():
        shape = "x".join(str(v) for v in res.get("input_shape", []))
        lines.append(
            f"| {LABELS.get(name, name)} | {res.get('parameters', '-'):,} | {shape} "
            f"| {res.get('batch_size', '-')} | "
            f"{res['epochs']} | {res['images_seen']:,} | {_fmt(res['images_per_s'], 1)} | "
            f"{_fmt(res['best_val_cer'])} | {_fmt(res['cer'])} | {_fmt(res['wer'])} "
            f"| {_fmt(res['exact_match'])} |"
        )
    lines.append("")
    ours = results.get("package_default")
    peers = [r for n, r in results.items() if n != "package_default" and r.get("cer") is not None]
    if ours and peers:
        best_peer = min(peers, key=lambda r: r["cer"])
        ratio = ours["cer"] / best_peer["cer"] if best_peer["cer"] else float("inf")
        verdict = "met" if ratio <= 0.5 else "not met"
        lines += [
            f"**CER ratio, package / best peer ({LABELS[best_peer['recipe']]}): "
            f"{ours['cer']:.4f} / {best_peer['cer']:.4f} = {ratio:.2f}** (target <= 0.5: {verdict}).",
            "",
        ]
    lines += [
        "images/s = training images consumed / seconds from worker start to the end of the last epoch "
        "(validation and data preparation included), each recipe getting about a third of the machine.",
        "",
        "![validation CER over time](accuracy_dhsd_curves.png)",
        "",
        "Raw logs: `accuracy_dhsd_logs/<recipe>_epochs.csv` (one row per epoch) and "
        "`accuracy_dhsd_logs/<recipe>_result.json` (scores, first predictions).",
        "",
    ]
    lines += RECIPE_NOTES
    return "\n".join(lines) + "\n"


def _first(results: dict, key: str):
    return next((r[key] for r in results.values() if key in r), "-")


RECIPE_NOTES = [
    "## The recipes",
    "",
    "- **package (dhsd recipe)**: `configs.dhsd_config()` through `mltu_ext.training.trainer.train` "
    "unchanged, as `train.py --recipe dhsd` runs it: it starts from the recipe's base model "
    "`Models/rendered_base` "
    "(the same network trained once on rendered name-like words only, no DHSD; see its model card for "
    "its training cost, which is not part of this budget), then image cache, tf.data with width buckets, "
    "in-step augmentation (shear, rotation, scale, shift, thickness, tone), residual CNN 16-64 filters at "
    "height 40 (4 columns per CTC step), BiLSTM 128, dropout 0.2, Adam 1e-3 with a cosine over the "
    "budget, batch 32. A benchmark callback (epoch log + deadline) is added by wrapping "
    "`mltu_ext.training.trainer.build_callbacks`, since `train()` takes no extra callbacks.",
    "- **mltu IAM-words tutorial**: mltu 1.2.5's `DataProvider` + `ImageReader(CVImage)`, "
    "`ImageResizer(128, 32, keep_aspect_ratio=False)`, `LabelIndexer`, `LabelPadding`, augmentors "
    "`RandomBrightness, RandomErodeDilate, RandomSharpen, RandomRotate(angle=10)`, the tutorial's nine "
    "`residual_block`s (leaky ReLU, dropout 0.2), `Reshape((H*W, C))`, BiLSTM(128), Adam 5e-4, batch 16, "
    "mltu `CTCloss`, EarlyStopping(patience 20) and ReduceLROnPlateau(0.9, patience 10) on val_CER. "
    "Adaptations, all forced by Keras 3 or by the writer split: val_CER from "
    "`mltu_ext.ctc.metrics.CharacterErrorRate` (mltu's `CWERMetric` is not reset under Keras 3), wrapped to "
    'read mltu\'s blank-index label padding as padding; `mode="min"` on EarlyStopping and '
    "ReduceLROnPlateau; no `fit(workers=...)` (removed in Keras 3); two DataProviders (writer split) "
    "instead of `DataProvider.split(0.9)`; the best model kept as weights (`save_weights_only`) because "
    "Keras 3 does not reload the tutorial's `Lambda` layer without `safe_mode=False`; TensorBoard, "
    "TrainLogger and Model2onnx left out (they only write files).",
    "- **IAM-line CNN-BiLSTM (h=128)**: layer list in "
    "`benchmarks/cpu_training_dhsd/recipes/iam_line_crnn.py` (7 conv "
    "blocks 64-128-256-256-512-512-512 with 2x2 pooling after blocks 1-2 and 2x1 after blocks 4, 6, 7, "
    "projection to 256, two BiLSTM(256) with dropout 0.3), 128x512 input (DHSD is 4:1), Adam 1e-3 with "
    "clipnorm 5, batch 8, ReduceLROnPlateau 0.5/3, `mltu_ext.ctc.loss.CTCLoss`. One forward pass over "
    "the validation writers takes minutes here, so it validates by decoding once per epoch and keeps "
    "the best epoch's texts as its final scores.",
    "",
    "## Data licence",
    "",
    'DHSD, "Deutscher Handschriften-Datensatz - German Handwriting Street-name Dataset", by Nauman Riaz, '
    "Saifullah Saifullah, Stefan Agne, Andreas Dengel and Sheraz Ahmed (2026), github.com/nauman-riaz/DHSD, "
    "DOI 10.5281/zenodo.18743313, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); here writers "
    "1-30 converted to 8-bit grayscale.",
]


def speed_report(args: argparse.Namespace, command: str, curves: dict, results: dict) -> str:
    lines = [
        "# CPU training speed: time for the package recipe to reach mltu's best val CER",
        "",
        f"From the same run as `accuracy_dhsd_results.md` (command: `{command}`; {machine()}; "
        f"{args.minutes:g} minutes per recipe, all recipes at the same time, sharing the cores).",
        "",
    ]
    mltu, ours = curves.get("mltu_tutorial"), curves.get("package_default")
    if not mltu or not ours:
        return "\n".join([*lines, "Both the mltu and the package logs are needed; one is missing.", ""])
    mltu_rows = [r for r in mltu if r["val_CER"] is not None]
    best = min(mltu_rows, key=lambda r: r["val_CER"])
    reached = next((r for r in ours if r["val_CER"] is not None and r["val_CER"] <= best["val_CER"]), None)
    ours_best = min(r["val_CER"] for r in ours if r["val_CER"] is not None)
    res_m, res_o = results.get("mltu_tutorial", {}), results.get("package_default", {})
    lines += [
        "| | mltu IAM-words tutorial | package (dhsd recipe) |",
        "|---|---|---|",
        f"| best val CER in the budget | {best['val_CER']:.4f} (epoch {int(best['epoch'])}, "
        f"at {best['elapsed_s'] / 60:.1f} min) | {ours_best:.4f} |",
        f"| epochs in the budget | {len(mltu)} | {len(ours)} |",
        f"| training images/s (whole run) | {_fmt(res_m.get('images_per_s'), 1)} | "
        f"{_fmt(res_o.get('images_per_s'), 1)} |",
        f"| epoch 1 ends at | {mltu[0]['elapsed_s']:.0f} s | {ours[0]['elapsed_s']:.0f} s |",
        "",
    ]
    if res_m.get("images_per_s") and res_o.get("images_per_s"):
        lines += [
            f"Throughput ratio package / mltu: {res_o['images_per_s'] / res_m['images_per_s']:.2f}x "
            "(images through training per second of wall clock, validation included).",
            "",
        ]
    if reached is None:
        lines += [f"The package recipe did not reach {best['val_CER']:.4f} within the budget.", ""]
    else:
        reference = best["elapsed_s"]
        share = reached["elapsed_s"] / reference
        lines += [
            f"The package recipe first reached val CER <= {best['val_CER']:.4f} at "
            f"**{reached['elapsed_s']:.0f} s** (epoch {int(reached['epoch'])}, "
            f"val CER {reached['val_CER']:.4f}); "
            f"mltu reached its best at {reference:.0f} s (its time-to-best, the reference used here).",
            "",
            f"**Ratio: {share:.3f} of mltu's time-to-best** "
            f"(target <= 1/3: {'met' if share <= 1 / 3 else 'not met'}); as a share of the whole "
            f"{args.minutes:g}-minute budget: {reached['elapsed_s'] / (args.minutes * 60):.3f}.",
            "",
        ]
    lines += [
        "Times are seconds from each worker's start, so they include reading the images (the package "
        "decodes them once into a uint8 cache; mltu's DataProvider reads and resizes every image with OpenCV "
        "in every epoch) and each epoch's validation. Measured side by side on the same shared machine, "
        "so only the ratios carry over to other machines.",
        "",
    ]
    return "\n".join(lines)


def write_reports(args: argparse.Namespace, names: list[str], command: str) -> None:
    curves, results = read_logs(Path(args.log_dir), names)
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    plot(curves, report_dir / "accuracy_dhsd_curves.png", args.minutes)
    (report_dir / "accuracy_dhsd_results.md").write_text(accuracy_report(args, command, curves, results))
    (report_dir / "cpu_training_results.md").write_text(speed_report(args, command, curves, results))


def run(args: argparse.Namespace) -> dict[str, int]:
    """Worker mode: one recipe. Otherwise: all recipes at once, then the reports."""
    if args.worker:
        run_worker(args)
        return {args.worker: 0}
    names = args.recipes.split(",")
    script = "benchmarks/cpu_training_dhsd/accuracy_dhsd.py"
    command = f"PYTHONPATH=. .venv/bin/python {script} " + shlex.join(sys.argv[1:])
    codes = {name: 0 for name in names}
    command_file = Path(args.log_dir) / "command.txt"
    if args.report_only and command_file.is_file():
        command = command_file.read_text().strip()  # the command that made the logs
    if not args.report_only:
        command_file.parent.mkdir(parents=True, exist_ok=True)
        command_file.write_text(command + "\n")
        codes = launch(args, names)
        collect(args, names)
        for name, code in codes.items():
            if code:
                print(f"{name}: worker failed (exit {code}); see {Path(args.work_dir) / name / 'worker.log'}")
    write_reports(args, names, command.strip())
    return codes


def main() -> None:
    codes = run(get_args())
    sys.exit(1 if any(codes.values()) else 0)


if __name__ == "__main__":
    main()
