"""The language model shipped with Models/handwritten_lines: how it is built, what it changes.

    python benchmarks/lm_decoding/shipped_lm.py build Models/handwritten_lines \\
        --word-confidence benchmarks/confidence_lines/runs/008-split-model-run014-lm-logistic/calibration.json
    python benchmarks/lm_decoding/shipped_lm.py measure --shipped Models/handwritten_lines \\
        --split-model SPLIT_MODEL_DIR --out runs/NNN

``build`` counts the texts the shipped line model was trained on (all 5,393 Copiste lines of the
227 writers, the 4,400 DHSD words of writers 1-27 with the known corrections) into the model
folder's ``language_model.json.gz`` at the settings of ``python -m mltu_ext.cli.language_model``.

``measure`` reads, greedily and with a language model built the same way:
- Copiste's 23 validation writers (``benchmarks/copiste_lines/split.json``) with a split model
  (never trained on them) and a language model of the 204 training writers' texts plus the DHSD
  words: what the shipped pair does on writers and texts it has not seen;
- DHSD's writers 28-30 (473 German words) with the shipped model and its language model;
- 200 rendered English and 200 rendered German lines (``mltu_ext.synth``, seed 123): whether a
  language model of mostly French text harms the other languages the model reads;
- lines a second on this CPU, greedy and with the language model, 100 Copiste lines 16 a call.
Writes ``OUT/measure.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
DHSD_TEST_WRITERS = {"28", "29", "30"}


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write MODEL/language_model.json.gz")
    build.add_argument("model", type=Path)
    build.add_argument(
        "--word-confidence",
        type=Path,
        metavar="JSON",
        help="a calibration.json of benchmarks/confidence_lines/calibrate_lines.py --lm: its "
        "all-lines weights become the file's word-confidence map",
    )
    measure = commands.add_parser("measure", help="CER/WER and speed, greedy and with the language model")
    measure.add_argument("--shipped", type=Path, required=True)
    measure.add_argument("--split-model", type=Path, required=True)
    measure.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


def copiste_samples() -> tuple[list, set[str]]:
    sys.path.insert(0, str(ROOT))
    from benchmarks.copiste_lines.package_side import WRITER_PATTERN, _split
    from mltu_ext.data import load_dataset

    samples = load_dataset(SHARED / "copiste", writer_pattern=WRITER_PATTERN).samples
    return samples, set(_split(ROOT / "benchmarks" / "copiste_lines" / "split.json")["val_writers"])


def dhsd_samples() -> list:
    from mltu_ext.data import load_dataset

    corrections = ROOT / "mltu_ext" / "data" / "known_corrections" / "dhsd.csv"
    return load_dataset(SHARED / "dhsd", corrections=str(corrections)).samples


def build(args: argparse.Namespace) -> dict:
    from mltu_ext.ctc.lm_file import build_decoder, language_model_path, save_language_model

    copiste, _ = copiste_samples()
    words = [s.text for s in dhsd_samples() if str(s.writer) not in DHSD_TEST_WRITERS]
    lines = [s.text for s in copiste if s.text]
    source = (
        f"Copiste d'un jour (BAnQ, CC BY 4.0): {len(lines)} lines of 227 writers; "
        f"DHSD (CC BY 4.0): {len(words)} words of writers 1-27"
    )
    decoder = build_decoder(lines + words)
    if args.word_confidence:
        calibration = json.loads(args.word_confidence.read_text(encoding="utf-8"))
        decoder.word_confidence = tuple(calibration["language_model_word_confidence"]["all_lines_weights"])
    path = save_language_model(language_model_path(args.model), decoder, source=source)
    print(f"{path}: {source} ({path.stat().st_size / 1e6:.2f} MB)")
    return {"path": str(path), "source": source}


def scores(recognizer, samples: list, decoder) -> dict:
    """CER and WER of one set read greedily and with ``decoder`` (posteriors read once, one image a call)."""
    from mltu_ext.cli.calibrate import read_posteriors
    from mltu_ext.evaluation.error_rates import cer, wer

    probs, greedy = read_posteriors(recognizer, samples)
    with_lm = [decoder(p[None], recognizer.vocabulary, recognizer.blank_index)[0] for p in probs]
    truths = [s.text for s in samples]
    return {
        "items": len(truths),
        "greedy": {"cer": cer(greedy, truths), "wer": wer(greedy, truths)},
        "language_model": {"cer": cer(with_lm, truths), "wer": wer(with_lm, truths)},
    }


def rendered_lines(language: str) -> list:
    from mltu_ext.data import load_dataset
    from mltu_ext.synth.line_dataset import build_line_dataset

    folder = build_line_dataset(
        ROOT / "Datasets" / f"lm_check_{language}",
        200,
        height=64,
        seed=123,
        languages=(language,),
        val_fraction=0.0,
    )
    return load_dataset(str(folder / "labels.csv")).samples


def lines_per_second(recognizer, images, decoder) -> dict:
    """Lines a second, 16 a call, greedy and with ``decoder`` (the network's time counted in both)."""
    from mltu_ext.ctc.greedy import greedy_decode

    out = {}
    for name, chosen in (("greedy", greedy_decode), ("language_model", decoder)):
        recognizer.decoder = chosen
        recognizer.predict(images[:4])  # warm-up
        start = time.perf_counter()
        recognizer.predict(images, batch_size=16)
        out[name] = round(len(images) / (time.perf_counter() - start), 1)
    return out


def measure(args: argparse.Namespace) -> dict:
    from mltu_ext.ctc.lm_file import build_decoder, model_decoder
    from mltu_ext.data.samples import sample_pixels
    from mltu_ext.inference.recognizer import OnnxRecognizer

    copiste, val_writers = copiste_samples()
    dhsd = dhsd_samples()
    dhsd_train = [s.text for s in dhsd if str(s.writer) not in DHSD_TEST_WRITERS]
    dhsd_test = [s for s in dhsd if str(s.writer) in DHSD_TEST_WRITERS]
    split_decoder = build_decoder(
        [s.text for s in copiste if s.writer not in val_writers and s.text] + dhsd_train
    )
    split = OnnxRecognizer(args.split_model, providers=["CPUExecutionProvider"])
    shipped = OnnxRecognizer(args.shipped, providers=["CPUExecutionProvider"])
    shipped_decoder = model_decoder(args.shipped)
    if shipped_decoder is None:
        raise SystemExit(f"{args.shipped}: no language_model.json.gz (run the build step first)")
    val = [s for s in copiste if s.writer in val_writers]
    result: dict = {"split_model": str(args.split_model), "shipped": str(args.shipped)}
    result["copiste_validation_writers"] = scores(split, val, split_decoder)
    result["dhsd_writers_28_30"] = scores(shipped, dhsd_test, shipped_decoder)
    for language in ("en", "de"):
        result[f"rendered_{language}"] = scores(shipped, rendered_lines(language), shipped_decoder)
    result["lines_per_s_100_copiste_lines"] = lines_per_second(
        shipped, [sample_pixels(s) for s in val[:100]], shipped_decoder
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "measure.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def run(args: argparse.Namespace) -> dict:
    """Build the language model or measure it, as the command says; its results."""
    return {"build": build, "measure": measure}[args.command](args)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command and print its results."""
    print(json.dumps(run(get_args(argv)), indent=2))


if __name__ == "__main__":
    main()
