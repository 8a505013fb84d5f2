"""How the CTC loss's time loop sets the speed of a line training step under JAX.

Side by side in one process, on random line-sized batches (no data needed):
the line model of ``configs.lines_large_config()`` trained with Keras' own
``ops.ctc_loss`` (a scan of one frame a turn, ``SCAN_UNROLL`` 0) and with the
package's ``ctc_loss_scan`` at several frames a turn. For each: the first
step (compile included) and the median of the timed steps; and the loss with
its gradient alone at the same shape. Prints one JSON object.

    KERAS_BACKEND=jax python benchmarks/line_model/ctc_speed.py --unrolls 0,8,16,32
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--unrolls", default="0,8,16,32", help="SCAN_UNROLL values; 0 is Keras' ops.ctc_loss")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--width", type=int, default=1024, help="image columns (4 a CTC frame)")
    parser.add_argument("--label-length", type=int, default=100, help="the padded label width")
    parser.add_argument("--steps", type=int, default=20, help="timed steps after the first")
    parser.add_argument("--vocabulary-size", type=int, default=144)
    parser.add_argument(
        "--metrics", action="store_true", help="compile with the CER/WER metrics, as train.py does"
    )
    parser.add_argument(
        "--unrolled-rows",
        type=int,
        help="edit distances unroll up to this many rows (default: edit_distance_ops.MAX_UNROLLED_ROWS)",
    )
    return parser.parse_args(argv)


def _timed_steps(step, steps: int) -> tuple[float, float]:
    """(first call's seconds, median seconds of the next ``steps`` calls); each call waits for its result."""
    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def run(args: argparse.Namespace) -> dict:
    import jax
    import keras

    import mltu_ext.ctc.edit_distance_ops as edit_distance_module
    import mltu_ext.ctc.loss as loss_module
    from configs import lines_large_config
    from mltu_ext.ctc.metrics import CharacterErrorRate, WordErrorRate
    from mltu_ext.data.vocabulary import LABEL_PAD
    from mltu_ext.model.recognizer import build_recognizer

    if args.unrolled_rows is not None:
        edit_distance_module.MAX_UNROLLED_ROWS = args.unrolled_rows
    cfg = lines_large_config()
    cfg.model.vocabulary = "".join(chr(0x41 + i) for i in range(args.vocabulary_size))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.batch, cfg.model.height, args.width, 1)).astype("float32")
    labels = np.full((args.batch, args.label_length), LABEL_PAD, "int32")
    for row in range(args.batch):  # lengths from a third of the width to all of it
        n = int(rng.integers(args.label_length // 3, args.label_length + 1))
        labels[row, :n] = rng.integers(0, args.vocabulary_size, n)
    frames = args.width // cfg.model.time_scale
    blank = args.vocabulary_size
    log_probs = jax.nn.log_softmax(
        jax.numpy.asarray(rng.normal(size=(args.batch, frames, blank + 1)).astype("float32"))
    )

    result: dict = {
        "backend": keras.backend.backend(),
        "device": str(jax.devices()[0]),
        "batch": args.batch,
        "width": args.width,
        "frames": frames,
        "label_length": args.label_length,
        "metrics": args.metrics,
        "max_unrolled_rows": edit_distance_module.MAX_UNROLLED_ROWS,
        "runs": [],
    }
    for unroll in [int(u) for u in args.unrolls.split(",")]:
        loss_module.SCAN_UNROLL = unroll
        loss = loss_module.CTCLoss(blank_index=blank)

        def loss_alone(z, loss=loss):
            return loss(labels, jax.numpy.exp(z))

        grad = jax.jit(jax.value_and_grad(loss_alone))
        loss_first, loss_median = _timed_steps(
            lambda grad=grad: jax.block_until_ready(grad(log_probs)), args.steps
        )
        keras.utils.set_random_seed(0)
        model = build_recognizer(cfg.model)
        metrics = []
        if args.metrics:
            metrics = [CharacterErrorRate(blank), WordErrorRate(blank, 0)]
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=loss, metrics=metrics, jit_compile=True)
        first, median = _timed_steps(
            lambda model=model: model.train_on_batch(images, labels, return_dict=True), args.steps
        )
        result["runs"].append(
            {
                "scan_unroll": unroll,
                "loss_and_grad_first_s": round(loss_first, 3),
                "loss_and_grad_median_ms": round(1000 * loss_median, 2),
                "train_step_first_s": round(first, 3),
                "train_step_median_ms": round(1000 * median, 2),
                "lines_per_s": round(args.batch / median, 1),
            }
        )
        print(json.dumps(result["runs"][-1]), flush=True)
    return result


def main() -> None:
    print(json.dumps(run(get_args())))


if __name__ == "__main__":
    main()
