"""Give a model its own language model: a character n-gram of texts like those it will read.

Counts the characters of the training texts (a dataset's labels, or a text file of one line or
word a line) and writes ``language_model.json.gz`` beside the model's ONNX file, with the
beam-search settings. ``inferenceModel.py --lm`` then decodes that model's readings with a beam
search and this language model, pages included.

python -m mltu_ext.cli.language_model Models/my_model --dataset pages/ --val-writers a,b --split train
python -m mltu_ext.cli.language_model Models/my_model --text my_texts.txt --text /usr/share/dict/ngerman
python -m mltu_ext.cli.language_model Models/my_model --remove

Count only texts the validation figures do not score: a language model of the very lines it is
measured on reads them far better than it will read new ones.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from mltu_ext.cli.common import BEAM_WIDTH, FINITE_FLOAT, LM_ORDER, float_in, run_command
from mltu_ext.cli.dataset_args import add_dataset_arguments
from mltu_ext.ctc.lm_file import DEFAULT_BEAM, DEFAULT_BONUS, DEFAULT_ORDER, DEFAULT_WEIGHT
from mltu_ext.errors import ConfigError, ModelLoadError


@dataclass
class LanguageModelReport:
    """What the command wrote (or removed)."""

    path: str
    texts: int = 0
    characters: int = 0
    contexts: int = 0
    file_bytes: int = 0
    unknown_characters: str = ""  # in the texts but not in the model's vocabulary
    removed: bool = False


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.cli.language_model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", help="model folder or .onnx file")
    add_dataset_arguments(parser, required=False)
    parser.add_argument(
        "--split",
        choices=("all", "train"),
        default="train",
        help="with --dataset: the texts of the training part of the split the dataset options make "
        "(default), or all of them",
    )
    parser.add_argument(
        "--text",
        metavar="FILE",
        action="append",
        default=[],
        help="a UTF-8 text file, one line or word a line (a word list too); repeat it for several, "
        "and add --dataset for its texts as well",
    )
    parser.add_argument("--order", type=LM_ORDER, default=DEFAULT_ORDER, help="characters of context + 1")
    parser.add_argument(
        "--weight",
        type=float_in(0.0),
        default=DEFAULT_WEIGHT,
        help="weight of the language model's log-probability",
    )
    parser.add_argument(
        "--bonus",
        type=FINITE_FLOAT,
        default=DEFAULT_BONUS,
        help="added to a reading's score for each character it has (offsets the model's cost of length)",
    )
    parser.add_argument("--beam", type=BEAM_WIDTH, default=DEFAULT_BEAM, help="beam width (at most 1024)")
    parser.add_argument("--remove", action="store_true", help="delete the model's language model")
    return parser.parse_args(argv)


def training_texts(args: argparse.Namespace) -> tuple[list[str], str]:
    """The texts to count and a short description of where they came from."""
    if not args.dataset and not args.text:
        raise ConfigError("give --dataset (with the split options), --text FILE, or both")
    texts: list[str] = []
    sources = []
    if args.dataset:
        from mltu_ext.cli.evaluation_args import load_samples

        args.limit = None
        samples, _ = load_samples(args)
        texts = [s.text for s in samples if s.text]
        sources.append(f"dataset {Path(args.dataset).name}, {args.split} split ({len(texts)} texts)")
    from mltu_ext.ctc.beam_lm import read_lm_lines

    for path in args.text:
        lines = read_lm_lines(path)
        texts += lines
        sources.append(f"text file {Path(path).name} ({len(lines)} lines)")
    return texts, "; ".join(sources)


def run(args: argparse.Namespace) -> LanguageModelReport:
    """Build and write (or remove) the model's language model; prints one line."""
    from mltu_ext.ctc.lm_file import build_decoder, language_model_path, save_language_model
    from mltu_ext.export.metadata import file_metadata
    from mltu_ext.inference.model_files import find_model_file

    onnx = find_model_file(args.model)
    path = language_model_path(onnx)
    if args.remove:
        if args.dataset or args.text:
            raise ConfigError("--remove deletes the language model; it takes no --dataset or --text")
        if not path.is_file():
            raise ModelLoadError(f"{onnx.parent}: has no language model to remove")
        path.unlink()
        print(f"removed {path}")
        return LanguageModelReport(str(path), removed=True)
    texts, source = training_texts(args)
    vocabulary = set(file_metadata(onnx)["vocabulary"])
    decoder = build_decoder(texts, args.order, beam=args.beam, alpha=args.weight, beta=args.bonus)
    save_language_model(path, decoder, source=source)
    unknown = "".join(sorted({c for t in texts for c in t} - vocabulary))
    report = LanguageModelReport(
        path=str(path),
        texts=len(texts),
        characters=sum(len(t) for t in texts),
        contexts=len(decoder.lm.counts),
        file_bytes=path.stat().st_size,
        unknown_characters=unknown,
    )
    print(
        f"{report.texts} texts, {report.characters} characters: a {args.order}-gram of {report.contexts} "
        f"contexts written to {path} ({report.file_bytes / 1e6:.1f} MB)"
    )
    if unknown:
        print(f"note: the model cannot write these characters of the texts: {unknown!r}")
    return report


def main(argv: list[str] | None = None) -> int:
    """``mltu-language-model``: 0 on success, 2 with one line on stderr for bad input."""
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
