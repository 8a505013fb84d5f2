"""Does what an image reads as depend on the images read beside it?

``OnnxRecognizer.read`` sorts images by width and pads each batch to its widest image. Two things
can then change an image's reading with its batch mates: the padding (the backward LSTM reads
the white columns first), and, in files with int8 weights, ONNX Runtime's dynamic quantisation of
the activations (``DynamicQuantizeLinear``, ``DynamicQuantizeLSTM``: one scale for the whole
batch tensor). The shipped ``model.onnx`` files are such int8 files; the float file read beside
each is the same network with the int8 weights dequantised (weight x scale, float activations:
``dequantized_copy``), so the two differ only in how the activations are computed.

For each shipped model, each file is read one image at a time and in batches of ``--batch-size``
as the package batched before (``OnnxRecognizer(batching="width")``: sorted by width, each
batch padded to its widest image); in batches of one padded width only (``WidthGroups``: no
image is padded beyond its own width, so what still changes there is the int8 quantisation);
the int8 file with the package's ``batching="exact"`` (each image alone in an int8 file; a float
file's "exact" is its width groups); and the float file one image at a time with each image
padded on the right by ``--pads`` of its width (what a wider batch mate does to it). Reported:
texts that differ from the same file read one image at a time, confidence changes (how many
moved by more than 0.01, the largest), greedy corpus CER, and seconds per image (the least of
``--repeats`` passes). Sets: ``--words`` words spread evenly over the 473 of DHSD writers 28-30
(every one 64 x 256 pixels: batches of words are never padded) and ``--lines`` lines spread
evenly over the 585 validation lines of ``benchmarks/copiste_lines/split.json`` (cut by polygon
from the pages). Results: ``RESULTS.md``.

    PYTHONPATH=. .venv/bin/python benchmarks/batch_effects/batch_effects.py \
        --out benchmarks/batch_effects/runs/new/batch_effects.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "copiste_lines"))

from mltu_ext.ctc.confidence import Reading  # noqa: E402
from mltu_ext.inference.recognizer import OnnxRecognizer  # noqa: E402

DHSD_VAL_WRITERS = ("28", "29", "30")
CONFIDENCE_STEP = 0.01  # a confidence change counted as "moved"


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_out = Path(__file__).parent / "runs" / "new" / "batch_effects.json"
    parser.add_argument("--out", type=Path, default=default_out, help="JSON file for the figures")
    parser.add_argument("--word-model", type=Path, default=ROOT / "Models" / "dhsd_words")
    parser.add_argument("--line-model", type=Path, default=ROOT / "Models" / "handwritten_lines")
    parser.add_argument("--dhsd", type=Path, default=ROOT.parent / "shared" / "data" / "dhsd")
    parser.add_argument(
        "--words", type=int, default=300, help="words of writers 28-30, spread evenly (0: all 473)"
    )
    parser.add_argument("--lines", type=int, default=100, help="validation lines, spread evenly (0: all 585)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--pads", type=float, nargs="*", default=[0.25, 1.0], help="padding, times the width")
    parser.add_argument("--repeats", type=int, default=2, help="timed passes of each batch size")
    return parser.parse_args(argv)


def dequantized_copy(src: Path, dst: Path) -> Path:
    """Write ``src`` (dynamic int8: DynamicQuantizeLSTM, MatMulInteger) with float weights and activations.

    The weights are the int8 ones times their scales, so the two files hold the same network.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    producer = {name: node for node in graph.node for name in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def weight(quantized: str, scale: str, zero: str) -> np.ndarray:
        # an LSTM's scale and zero point are per direction (the first axis), a MatMul's one number
        shape = (-1,) + (1,) * (values[quantized].ndim - 1) if values[scale].ndim else ()
        offset = values[quantized].astype(np.float32) - values[zero].astype(np.float32).reshape(shape)
        return offset * values[scale].reshape(shape)

    def add(array: np.ndarray, name: str) -> str:
        graph.initializer.append(numpy_helper.from_array(array, name + "_float"))
        return name + "_float"

    replaced, dropped = {}, set()
    for node in graph.node:
        if node.op_type == "DynamicQuantizeLSTM":
            x, w, r, b, lengths, h0, c0, peep, w_scale, w_zero, r_scale, r_zero = node.input
            # the quantiser stores (directions, input, 4 x hidden); LSTM takes (directions, 4 x hidden, input)
            w_float = add(weight(w, w_scale, w_zero).transpose(0, 2, 1), w)
            r_float = add(weight(r, r_scale, r_zero).transpose(0, 2, 1), r)
            attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            attributes = {k: v.decode() if isinstance(v, bytes) else v for k, v in attributes.items()}
            if "activations" in attributes:
                attributes["activations"] = [a.decode() for a in attributes["activations"]]
            inputs = [x, w_float, r_float, b, lengths, h0, c0, peep]
            name = node.name + "_float"
            replaced[id(node)] = helper.make_node("LSTM", inputs, list(node.output), name, **attributes)
        elif node.op_type == "MatMulInteger":
            a_quantized, b_quantized, _, b_zero = node.input
            quantize = producer[a_quantized]  # DynamicQuantizeLinear of the float input
            (cast,) = consumers[node.output[0]]
            (rescale,) = consumers[cast.output[0]]
            scales = producer[next(i for i in rescale.input if i != cast.output[0])]
            b_scale = next(i for i in scales.input if i != quantize.output[1])
            inputs = [quantize.input[0], add(weight(b_quantized, b_scale, b_zero), b_quantized)]
            name = node.name + "_float"
            replaced[id(node)] = helper.make_node("MatMul", inputs, list(rescale.output), name)
            dropped.update(id(n) for n in (quantize, cast, rescale, scales))
    nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return dst


class PaddedRecognizer(OnnxRecognizer):
    """Pads every batch on the right by ``extra`` times its width, as a wider batch mate would."""

    def __init__(self, model_path: Path, extra: float):
        super().__init__(model_path, providers=["CPUExecutionProvider"], batching="width")
        self.extra = extra

    def prepare_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        batch = super().prepare_batch(images)
        columns = -(-round(self.extra * batch.shape[2]) // self.time_scale) * self.time_scale
        return np.pad(batch, ((0, 0), (0, 0), (0, columns), (0, 0)), constant_values=self.pad_value)


class WidthGroups:
    """Reads in batches of images of one padded width only: none is padded beyond its own width."""

    def __init__(self, recognizer: OnnxRecognizer):
        self.recognizer = recognizer

    def padded_width(self, image: np.ndarray) -> int:
        scale = self.recognizer.time_scale
        return -(-max(self.recognizer.input_width(image), 4 * scale) // scale) * scale

    def read(self, images: list[np.ndarray], batch_size: int) -> list[Reading]:
        groups: dict[int, list[int]] = {}
        for number, image in enumerate(images):
            groups.setdefault(self.padded_width(image), []).append(number)
        readings: list[Reading] = [Reading("", 1.0)] * len(images)
        for members in groups.values():
            for start in range(0, len(members), batch_size):
                chunk = members[start : start + batch_size]
                found = self.recognizer.read([images[k] for k in chunk], batch_size=batch_size)
                for k, reading in zip(chunk, found, strict=True):
                    readings[k] = reading
        return readings


def timed_read(
    recognizer: OnnxRecognizer | WidthGroups, images: list[np.ndarray], batch_size: int, repeats: int
) -> tuple[list[Reading], float]:
    """The readings of the first pass and the least seconds per image over ``repeats`` passes."""
    readings, best = None, float("inf")
    for _ in range(max(repeats, 1)):
        start = time.perf_counter()
        found = recognizer.read(images, batch_size=batch_size)
        best = min(best, (time.perf_counter() - start) / len(images))
        readings = readings or found
    return readings, best


def changes(readings: list[Reading], reference: list[Reading]) -> dict:
    """Texts that differ from ``reference`` and how far the confidences moved."""
    moved = [abs(a.confidence - b.confidence) for a, b in zip(readings, reference, strict=True)]
    return {
        "texts_changed": sum(a.text != b.text for a, b in zip(readings, reference, strict=True)),
        "max_confidence_change": max(moved),
        "confidence_moved": sum(m > CONFIDENCE_STEP for m in moved),
    }


def study(
    name: str, model_dir: Path, data: tuple[list, list[str]], args: argparse.Namespace, work: Path
) -> list[dict]:
    """Every row for one shipped model: int8 and float files at each batch size, then padding."""
    images, truths = data
    from mltu_ext.evaluation.error_rates import cer
    from mltu_ext.inference.model_files import find_model_file

    int8 = find_model_file(model_dir)
    float_file = dequantized_copy(int8, work / f"{name}_float.onnx")
    files = {"int8 (shipped)": int8, "float (dequantised)": float_file}
    rows = []

    def row(
        file: str, how: str, readings: list[Reading], alone: list[Reading], seconds: float | None
    ) -> None:
        found = {"set": name, "file": file, "reading": how, **changes(readings, alone)}
        found["cer"] = cer([r.text for r in readings], truths)
        found.update(seconds_per_image=seconds, images=len(images))
        rows.append(found)
        print(f"{name:6s} {file:20s} {how:24s} changed {found['texts_changed']:3d} "
              f"moved {found['confidence_moved']:3d} max {found['max_confidence_change']:.2e} "
              f"CER {found['cer']:.4f} s/img {seconds or float('nan'):.4f}", flush=True)  # fmt: skip

    for file, path in files.items():
        # the batching the package used before "exact" became its default
        recognizer = OnnxRecognizer(path, providers=["CPUExecutionProvider"], batching="width")
        alone, alone_seconds = timed_read(recognizer, images, 1, args.repeats)
        batched, batched_seconds = timed_read(recognizer, images, args.batch_size, args.repeats)
        grouped, grouped_seconds = timed_read(WidthGroups(recognizer), images, args.batch_size, args.repeats)
        row(file, "batch 1", alone, alone, alone_seconds)
        row(file, f"batch {args.batch_size}", batched, alone, batched_seconds)
        row(file, f"batch {args.batch_size}, width groups", grouped, alone, grouped_seconds)
        if not file.startswith("float"):
            # for a float file "exact" is the width groups above; an int8 file runs each image alone
            exact = OnnxRecognizer(path, providers=["CPUExecutionProvider"], batching="exact")
            found, seconds = timed_read(exact, images, args.batch_size, args.repeats)
            row(file, f"batch {args.batch_size}, exact", found, alone, seconds)
            continue
        for extra in args.pads:
            padded = PaddedRecognizer(path, extra).read(images, batch_size=1)
            row(file, f"batch 1, padded +{extra:.0%}", padded, alone, None)
    return rows


def evenly(items: list, count: int) -> list:
    """``count`` items spread evenly over ``items`` (all of them for 0 or more than there are)."""
    if count <= 0 or count >= len(items):
        return list(items)
    return [items[k * len(items) // count] for k in range(count)]


def word_set(dhsd: Path, count: int) -> tuple[list[np.ndarray], list[str]]:
    from mltu_ext.data import load_dataset, split_by_writer_ids
    from mltu_ext.data.images import read_gray

    val = evenly(list(split_by_writer_ids(load_dataset(str(dhsd)).samples, DHSD_VAL_WRITERS).val), count)
    return [read_gray(s.path) for s in val], [s.text for s in val]


def line_set(count: int) -> tuple[list[np.ndarray], list[str]]:
    from package_side import DATA, SPLIT_JSON, _val_and_train_lines

    from mltu_ext.data.images import to_gray
    from mltu_ext.data.samples import sample_pixels

    val, _ = _val_and_train_lines(argparse.Namespace(data=DATA, split=SPLIT_JSON))
    val = evenly(val, count)
    return [to_gray(np.asarray(sample_pixels(s))) for s in val], [s.text for s in val]


def run(args: argparse.Namespace) -> list[dict]:
    start = time.perf_counter()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as work:
        for name, model_dir, load in (
            ("words", args.word_model, lambda: word_set(args.dhsd, args.words)),
            ("lines", args.line_model, lambda: line_set(args.lines)),
        ):
            rows += study(name, model_dir, load(), args, Path(work))
    summary = {"command": " ".join(sys.argv), "seconds": round(time.perf_counter() - start), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> None:
    run(get_args(argv))


if __name__ == "__main__":
    main()
