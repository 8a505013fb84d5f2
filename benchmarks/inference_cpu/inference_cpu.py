"""ONNX Runtime inference on the CPU: mltu_ext.inference.OnnxRecognizer vs mltu's OnnxInferenceModel.

Both read the same decoded DHSD word images (writers 28-30) from memory and
do their own preprocessing and decoding:

- ours: ``OnnxRecognizer.predict`` (resize to height keeping the aspect
  ratio, pad, one ONNX call per batch, numpy greedy decoding), on the
  package's model (``model.onnx`` from the DHSD benchmark run, or any folder
  given with ``--ours``);
- mltu: the IAM-words tutorial's ``ImageToWordModel`` shape, a subclass of
  ``mltu.inferenceModel.OnnxInferenceModel`` that ``cv2.resize``-s to the
  model's 128x32 input and decodes with ``mltu.utils.text_utils.ctc_decoder``,
  on the tutorial network exported with ``tf2onnx.convert.from_keras`` and
  the ``vocab`` metadata mltu reads (it ``eval``s every metadata value).
  The tutorial predicts one image per call; for batch 64 the same steps are
  applied to 64 images and stacked.

Measured: images/s at batch 1 and batch 64, and the median latency of one
word image; every figure is the median of ``--repeats`` rounds, ours and
mltu's alternating in each round. Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/inference_cpu/inference_cpu.py

Without ``--out`` the results go to ``benchmarks/inference_cpu/runs/new/``: rename the
folder to the next ``runs/NNN-short-name/`` and update ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mltu_ext.cli.common import set_tensorflow_environment

ROOT = Path(__file__).resolve().parents[2]
NEW_RUN = Path(__file__).resolve().parent / "runs" / "new"  # until the run gets its number and name
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dhsd"
DEFAULT_RUN = Path("/tmp/dhsd_bench")


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--ours",
        default=str(DEFAULT_RUN / "package_default" / "model"),
        help="the package's model folder or .onnx file",
    )
    parser.add_argument(
        "--mltu-run",
        default=str(DEFAULT_RUN / "mltu_tutorial"),
        help="folder with the tutorial run's best.weights.h5 and result.json (vocab); "
        "random weights when missing",
    )
    parser.add_argument(
        "--ours-about",
        default="written by `mltu_ext.training.train`",
        help="what our model is, for the results file (how it was trained, quantised)",
    )
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="DHSD folder (labels.csv)")
    parser.add_argument("--images", type=int, default=256, help="how many validation images to use")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--work-dir", default="/tmp/inference_cpu", help="where the mltu ONNX file goes")
    parser.add_argument("--out", default=str(NEW_RUN / "inference_cpu_results.md"))
    return parser.parse_args(argv)


def export_mltu_model(run_dir: Path, vocab_fallback: str, work_dir: Path) -> tuple[Path, str, bool]:
    """Tutorial network -> ONNX with mltu's metadata; (path, vocab, trained weights used)."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    from benchmarks.cpu_training_dhsd.recipes.mltu_tutorial import HEIGHT, WIDTH, tutorial_model

    result = run_dir / "result.json"
    vocab = (
        json.loads(result.read_text()).get("vocab", vocab_fallback) if result.is_file() else vocab_fallback
    )
    model = tutorial_model((HEIGHT, WIDTH, 3), len(vocab))
    weights = run_dir / "best.weights.h5"
    trained = weights.is_file()
    if trained:
        model.load_weights(str(weights))
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "mltu_tutorial.onnx"
    spec = (tf.TensorSpec((None, HEIGHT, WIDTH, 3), tf.float32, name="input"),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=17)
    # as mltu's Model2onnx.include_metadata: str(value) per key; a list literal
    # survives mltu's eval() whatever characters the vocabulary holds
    entry = proto.metadata_props.add()
    entry.key, entry.value = "vocab", str(list(vocab))
    onnx.save(proto, str(path))
    return path, vocab, trained


def mltu_reader(path: Path):
    """The tutorial's ImageToWordModel, plus a batch method doing the same per image."""
    from mltu.inferenceModel import OnnxInferenceModel
    from mltu.utils.text_utils import ctc_decoder

    class ImageToWordModel(OnnxInferenceModel):
        def predict(self, image: np.ndarray) -> str:
            image = cv2.resize(image, self.input_shapes[0][1:3][::-1])
            batch = np.expand_dims(image, axis=0).astype(np.float32)
            preds = self.model.run(self.output_names, {self.input_names[0]: batch})[0]
            return ctc_decoder(preds, self.metadata["vocab"])[0]

        def predict_batch(self, images: list[np.ndarray]) -> list[str]:
            size = self.input_shapes[0][1:3][::-1]
            batch = np.stack([cv2.resize(im, size) for im in images]).astype(np.float32)
            preds = self.model.run(self.output_names, {self.input_names[0]: batch})[0]
            return ctc_decoder(preds, self.metadata["vocab"])

    return ImageToWordModel(model_path=str(path), force_cpu=True)


def images_per_second(call: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    call()
    return count / (time.perf_counter() - start)


def latencies(call: Callable[[np.ndarray], object], images: list[np.ndarray]) -> list[float]:
    times = []
    for image in images:
        start = time.perf_counter()
        call(image)
        times.append(time.perf_counter() - start)
    return times


def run(args: argparse.Namespace) -> dict:
    """Measure both readers on the same images; write the results file."""
    set_tensorflow_environment()
    from benchmarks.cpu_training_dhsd.recipes.common import load_split
    from mltu_ext.evaluation.error_rates import cer
    from mltu_ext.inference.recognizer import OnnxRecognizer

    _, val = load_split(args.data)
    val = val[: args.images]
    gray = [cv2.imread(s.path, cv2.IMREAD_GRAYSCALE) for s in val]  # ours: 1 channel
    color = [cv2.imread(s.path) for s in val]  # mltu's tutorial reads BGR
    texts = [s.text for s in val]

    ours = OnnxRecognizer(args.ours, providers=["CPUExecutionProvider"])
    mltu_path, _, trained = export_mltu_model(Path(args.mltu_run), ours.vocabulary, Path(args.work_dir))
    theirs = mltu_reader(mltu_path)

    one = 64  # images timed one by one per round
    rounds: dict[str, list[float]] = {k: [] for k in ("ours_b1", "mltu_b1", "ours_b64", "mltu_b64")}
    lat: dict[str, list[float]] = {"ours": [], "mltu": []}
    # warm-up: first runs allocate ONNX Runtime's buffers
    ours.predict(gray[:64], batch_size=64)
    theirs.predict_batch(color[:64])
    for _ in tqdm(range(args.repeats), desc="rounds"):
        rounds["ours_b1"].append(images_per_second(lambda: [ours.predict([g], 1) for g in gray[:one]], one))
        rounds["mltu_b1"].append(images_per_second(lambda: [theirs.predict(c) for c in color[:one]], one))
        rounds["ours_b64"].append(images_per_second(lambda: ours.predict(gray, batch_size=64), len(gray)))
        rounds["mltu_b64"].append(
            images_per_second(
                lambda: [theirs.predict_batch(color[i : i + 64]) for i in range(0, len(color), 64)],
                len(color),
            )
        )
        lat["ours"].append(statistics.median(latencies(lambda g: ours.predict([g], 1), gray[:32])))
        lat["mltu"].append(statistics.median(latencies(theirs.predict, color[:32])))

    ours_texts = ours.predict(gray, batch_size=64)
    mltu_texts = [t for i in range(0, len(color), 64) for t in theirs.predict_batch(color[i : i + 64])]
    result = {
        "images": len(gray),
        "repeats": args.repeats,
        **{k: statistics.median(v) for k, v in rounds.items()},
        "ours_latency_ms": statistics.median(lat["ours"]) * 1000,
        "mltu_latency_ms": statistics.median(lat["mltu"]) * 1000,
        "ours_cer": cer(ours_texts, texts),
        "mltu_cer": cer(mltu_texts, texts),
        "mltu_trained_weights": trained,
        "ours_model": str(ours.path),
        "ours_about": args.ours_about,
        "raw_file": Path(args.out).with_suffix(".json").name,
        "ours_model_mb": ours.path.stat().st_size / 1e6,
        "mltu_model_mb": mltu_path.stat().st_size / 1e6,
        "rounds": rounds,
    }
    script = "benchmarks/inference_cpu/inference_cpu.py"
    command = f"PYTHONPATH=. .venv/bin/python {script} " + shlex.join(sys.argv[1:])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report(result, command.strip()))
    Path(args.out).with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def report(r: dict, command: str) -> str:
    from benchmarks.cpu_training_dhsd.accuracy_dhsd import machine

    b1, b64 = r["ours_b1"] / r["mltu_b1"], r["ours_b64"] / r["mltu_b64"]
    lat = r["mltu_latency_ms"] / r["ours_latency_ms"]
    return "\n".join(
        [
            "# CPU inference: mltu_ext OnnxRecognizer vs mltu OnnxInferenceModel (ONNX Runtime)",
            "",
            f"Command: `{command}`",
            "",
            f"Machine: {machine()}; ONNX Runtime CPUExecutionProvider with its default threads, "
            "nothing else running.",
            "",
            f"Same {r['images']} DHSD word images (writers 28-30, 256x64) decoded into memory "
            "beforehand; each reader does its own preprocessing (ours: resize to height 32 keeping the "
            "aspect ratio and pad; mltu: `cv2.resize` to 128x32, 3 channels as the tutorial reads them) "
            "and its own greedy CTC decoding. "
            f"Median of {r['repeats']} rounds, ours and mltu's alternating within each round.",
            "",
            "| | ours (package model) | mltu tutorial model | ratio ours / mltu |",
            "|---|---|---|---|",
            f"| images/s, batch 1 | {r['ours_b1']:.0f} | {r['mltu_b1']:.0f} | {b1:.2f}x |",
            f"| images/s, batch 64 | {r['ours_b64']:.0f} | {r['mltu_b64']:.0f} | {b64:.2f}x |",
            f"| median latency, one word image | {r['ours_latency_ms']:.2f} ms "
            f"| {r['mltu_latency_ms']:.2f} ms | "
            f"{lat:.2f}x faster |",
            f"| ONNX file | {r['ours_model_mb']:.1f} MB | {r['mltu_model_mb']:.1f} MB | |",
            f"| CER on these images | {r['ours_cer']:.4f} | {r['mltu_cer']:.4f} | |",
            "",
            f"Target ours >= 2x mltu's throughput: batch 1 {'met' if b1 >= 2 else 'not met'} ({b1:.2f}x), "
            f"batch 64 {'met' if b64 >= 2 else 'not met'} ({b64:.2f}x).",
            "",
            f"Models: ours is `{r['ours_model']}`, {r['ours_about']}; mltu's is the tutorial network "
            "(9 residual blocks, BiLSTM 128, 32x128x3 input) "
            + ("with the weights from the same run" if r["mltu_trained_weights"] else "with random weights")
            + ", exported with `tf2onnx.convert.from_keras` (opset 17) and the metadata key `vocab` "
            "set to the "
            "vocabulary as a Python list literal, which mltu's `OnnxInferenceModel` reads with `eval()`. "
            "The tutorial's `ImageToWordModel.predict` handles one image; `predict_batch` applies the same "
            "resize to each image of a batch, stacks them and decodes with mltu's `ctc_decoder`.",
            "",
            f"Raw numbers: `{r['raw_file']}`.",
            "",
        ]
    )


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
