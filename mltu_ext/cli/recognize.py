"""Recognise handwriting in images with a trained ONNX model (no TensorFlow needed).

python inferenceModel.py --image word.png
python inferenceModel.py --image scans/ more.png --model Models/my_model
python inferenceModel.py --dataset Datasets/IAM_Words --report reports/iam
python inferenceModel.py --dataset labels.csv --index 12
python inferenceModel.py --image word.png --lm-text train_labels.txt   # beam search + character LM
python inferenceModel.py --image page.jpg --output page.alto.xml       # a whole page: lines found and read
python inferenceModel.py --image pages/ --page --output results/ --output-format page
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from mltu_ext.cli.common import BEAM_WIDTH, LM_ORDER, POSITIVE_INT, float_in, run_command
from mltu_ext.ctc.confidence import DEFAULT_MIN_CONFIDENCE
from mltu_ext.data.images import IMAGE_SUFFIXES, MAX_IMAGE_PIXELS, frame_count, read_gray, upright_size
from mltu_ext.errors import ConfigError, ImageReadError, InputFileError, ModelLoadError
from mltu_ext.io.folders import walk_files

if TYPE_CHECKING:
    from mltu_ext.ctc.beam_lm import BeamDecoder
    from mltu_ext.inference.recognizer import OnnxRecognizer

T = TypeVar("T")


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse ``inferenceModel.py``'s options (every number range-checked)."""
    from mltu_ext.cli.evaluation_args import add_evaluation_arguments

    parser = argparse.ArgumentParser(
        prog="inferenceModel.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image", nargs="+", metavar="PATH", help="image files or folders of images")
    parser.add_argument(
        "--model",
        help="model folder or .onnx file (default: the model train.py exported last into "
        "Models/, else the shipped line model Models/handwritten_lines)",
    )
    parser.add_argument("--models-root", default="Models", help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=POSITIVE_INT, default=32, help="images per ONNX Runtime call")
    parser.add_argument("--recursive", action="store_true", help="read image folders at any depth")
    parser.add_argument("--cpu", action="store_true", help="use the CPU even when a GPU is available")
    parser.add_argument(
        "--lm-text",
        metavar="FILE",
        help="decode with a beam search and a character n-gram model of this text file "
        "(one word or line per line, e.g. the training labels)",
    )
    parser.add_argument(
        "--lm-order", type=LM_ORDER, default=6, help="characters of context of the n-gram model"
    )
    parser.add_argument(
        "--lm-weight", type=float_in(0.0), default=0.6, help="weight of the language model (>= 0)"
    )
    parser.add_argument("--beam", type=BEAM_WIDTH, default=8, help="beam width with --lm-text")
    parser.add_argument(
        "--lm",
        action="store_true",
        help="decode with the model folder's own language model (language_model.json.gz, made by "
        "python -m mltu_ext.cli.language_model): fewer errors, half the speed; its word confidences "
        "are mapped as calibrate --lm fitted them",
    )
    parser.add_argument(
        "--confidence", action="store_true", help="print each text's confidence (0..1) after a tab"
    )
    parser.add_argument(
        "--min-confidence",
        type=float_in(0.0, 1.0),
        nargs="?",
        const=DEFAULT_MIN_CONFIDENCE,
        metavar="P",
        help=f"print nothing for texts less sure than P (default when given alone: {DEFAULT_MIN_CONFIDENCE}; "
        "0.42 %% of DHSD's real words fell below it)",
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="read every image as it reads alone: only images of one width share a model call, and an "
        "int8 model reads one image a call (about 1.2-1.5x the time); by default the padding and "
        "int8 ranges that batch mates share change a few texts (benchmarks/batch_effects)",
    )
    parser.add_argument(
        "--no-ink-check",
        action="store_true",
        help="run the model on every image, also those without any strokes (blank or ruled paper)",
    )
    parser.add_argument(
        "--max-pixels",
        type=POSITIVE_INT,
        default=MAX_IMAGE_PIXELS,
        help="refuse images with more pixels than this (default %(default)s), before decoding them",
    )
    pages = parser.add_argument_group("whole pages (segmented into lines, then read)")
    pages.add_argument(
        "--page",
        action="store_true",
        help="read every image as a page; without it, images shaped like pages (at least "
        "400 pixels tall, at most 2.5 times as wide as tall) are read as pages",
    )
    pages.add_argument(
        "--segmenter", default=None, help="line segmenter folder or .onnx (default: Models/line_segmenter)"
    )
    pages.add_argument(
        "--output",
        metavar="PATH",
        help="write each page's lines, words and characters with positions and confidences: a file "
        "for one page (.json, .alto.xml or .page.xml), a folder for several",
    )
    pages.add_argument(
        "--output-format",
        choices=("json", "alto", "page"),
        help="the format (default: from --output's ending)",
    )
    parser.add_argument(
        "--image-name",
        choices=("path", "name"),
        default="path",
        help="how --output names each page's image: its path from the output file (default; the "
        "package reads the result back with its image from anywhere) or its file name alone (as "
        "eScriptorium and Transkribus match an imported file to its image)",
    )
    add_evaluation_arguments(parser)
    args = parser.parse_args(argv)
    if not args.image and not getattr(args, "dataset", None):
        parser.error("give --image (files or folders) or --dataset")
    if args.image and getattr(args, "dataset", None):
        parser.error("give --image (files or folders) or --dataset, not both")
    if args.image:
        ignored = dataset_only_options(parser, args)
        if "--format" in ignored:
            parser.error(
                "--format is the format of a --dataset; with --image, --output-format chooses "
                "what --output writes (json, alto or page)"
            )
        if ignored:
            parser.error(f"{', '.join(ignored)}: only with --dataset, not with --image")
    return args


def dataset_only_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """The options of the dataset and evaluation groups given away from their defaults
    (--batch-size, which --image uses too, aside): --image would silently ignore them."""
    given = []
    for group in parser._action_groups:
        if group.title not in ("dataset", "evaluation"):
            continue
        for action in group._group_actions:
            if action.dest in ("dataset", "batch_size", "help"):
                continue
            if getattr(args, action.dest, action.default) != action.default:
                given.append(action.option_strings[0])
    return given


def image_paths(items: list[str], recursive: bool = False) -> list[Path]:
    """Files as given, folders expanded to their images (sorted; with ``recursive`` at any depth).

    A missing path raises; a folder whose subfolders hold images that are not
    read says so on stderr.
    """
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            every = [Path(folder, name) for folder, names in walk_files(path) for name in names]
            # a broken link named like an image stays in, to be named as unreadable, not skipped
            images = [p for p in every if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir()]
            found = sorted(p for p in images if recursive or p.parent == path)
            if not recursive:
                deeper = len(images) - len(found)
                if deeper:
                    print(
                        f"note: {path}: {deeper} images in subfolders not read (--recursive reads them)",
                        file=sys.stderr,
                    )
            if not found:
                raise InputFileError(
                    f"{path}: no images in this folder" + ("" if recursive else " (its top level)")
                )
            paths.extend(found)
        elif path.is_file():
            paths.append(path)
        else:
            raise InputFileError(f"{path}: no such image file or folder")
    return paths


def choose_decoder(args: argparse.Namespace, model: str | Path) -> BeamDecoder | None:
    """The decoder that the options ask for: --lm-text's, the model's own language model with
    --lm, else None (greedy; with a hint on stderr when the model has a language model)."""
    from mltu_ext.ctc.lm_file import language_model_path, model_decoder

    if args.lm_text:
        if args.lm:
            raise ConfigError("give --lm (the model's own language model) or --lm-text FILE, not both")
        from mltu_ext.ctc.beam_lm import BeamDecoder, lm_from_file

        return BeamDecoder(lm_from_file(args.lm_text, args.lm_order), beam=args.beam, alpha=args.lm_weight)
    path = language_model_path(model)
    if not args.lm:
        if path.is_file():
            print(f"note: {path} is this model's language model; --lm reads with it", file=sys.stderr)
        return None
    decoder = model_decoder(model)
    if decoder is None:
        raise ModelLoadError(
            f"{path.parent}: no language model ({path.name}); "
            "make one with python -m mltu_ext.cli.language_model"
        )
    print(f"decoding: beam search ({decoder.beam}) with the model's language model {path}", file=sys.stderr)
    return decoder


def run(args: argparse.Namespace) -> list[str]:
    """Print (and return) the recognised text of each image, or run the evaluation."""
    from mltu_ext.inference.model_files import default_model
    from mltu_ext.inference.recognizer import OnnxRecognizer

    model = args.model
    if model is None:
        model, why = default_model(args.models_root)
        print(f"model: {model} ({why})", file=sys.stderr)
    decoder = choose_decoder(args, model)
    providers = ["CPUExecutionProvider"] if args.cpu else None
    recognizer = OnnxRecognizer(
        model,
        providers=providers,
        decoder=decoder,
        check_ink=not args.no_ink_check,
        batching="exact" if args.exact else "width",
    )
    if getattr(args, "dataset", None):
        from mltu_ext.cli.evaluation_args import run_evaluation

        log = recognizer.path.parent / "log.csv"
        run_evaluation(args, recognizer, training_log=log if log.is_file() else None)
        return []
    paths, images, unreadable = read_images(
        image_paths(args.image, args.recursive), args.max_pixels, every_page=args.page
    )
    from mltu_ext.cli.recognize_pages import read_pages, split_pages

    page_items, paths, images = split_pages(args, paths, images)
    several = len(page_items) + unreadable > 0
    paths, images, too_wide = drop_too_wide(recognizer, paths, images, several=several)
    unreadable += too_wide
    # with more than one image given, each printed text says whose it is, pages' and lines' alike
    several = len(page_items) + len(paths) + unreadable > 1
    texts, failed = read_pages(args, recognizer, page_items, several=several)
    unreadable += failed
    if paths:
        if args.output:  # split_pages refused --output without any page
            for path in paths:
                print(
                    f"note: {path}: not shaped like a page, so read as one line and not written to "
                    "--output (--page reads it as a page)",
                    file=sys.stderr,
                )
        texts += read_lines(args, recognizer, paths, images, several=several)
    if unreadable:
        given = unreadable + len(page_items) - failed + len(paths)
        if unreadable == given:
            raise InputFileError(f"none of the {given} images could be read (each named above)")
        raise InputFileError(
            f"{unreadable} of {given} images could not be read (each named above); the others were read"
        )
    return texts


def read_images(
    paths: list[Path], max_pixels: int, every_page: bool = False
) -> tuple[list[Path], list[np.ndarray | None], int]:
    """(the paths that decode, their images, how many did not): one image that does not decode
    is an error; among several, each is named on stderr and the others are still read.

    A page, known by its header's size (with ``every_page``: every image), is not decoded here
    but when it is read (None in its place): a folder of large scans held decoded all at once
    would take memory by the page.
    """
    for path in paths:
        frames = frame_count(path)
        if frames > 1:
            print(f"note: {path}: {frames} pages or frames; only the first is read", file=sys.stderr)

    def load(i: int) -> np.ndarray | None:
        if every_page or is_page_file(paths[i]):
            return None
        return read_gray(str(paths[i]), max_pixels=max_pixels)

    kept = each_named(len(paths), load, len(paths) == 1)
    if not kept:
        raise InputFileError(f"none of the {len(paths)} images could be read (each named above)")
    return [paths[i] for i, _ in kept], [image for _, image in kept], len(paths) - len(kept)


def is_page_file(path: Path) -> bool:
    """Whether the image file at ``path`` is shaped like a page by its header (False when the
    header does not tell: the image is then decoded to see)."""
    from mltu_ext.pages.page_reader import page_shaped

    size = upright_size(path)
    return size is not None and page_shaped(height=size[1], width=size[0])


def drop_too_wide(
    recognizer: OnnxRecognizer, paths: list[Path], images: list[np.ndarray], several: bool
) -> tuple[list[Path], list[np.ndarray], int]:
    """(the line images the model can take, their paths, how many it cannot): one image wider
    than the recogniser's ``max_width`` is an error; among several, each is named on stderr."""
    alone = len(paths) == 1 and not several
    kept = each_named(len(paths), lambda i: recognizer.check_width(images[i], str(paths[i])), alone)
    return [paths[i] for i, _ in kept], [images[i] for i, _ in kept], len(paths) - len(kept)


def each_named(count: int, work: Callable[[int], T], alone: bool) -> list[tuple[int, T]]:
    """(i, ``work(i)``) for i < ``count`` that raise no ImageReadError. ``alone``: the error stops
    the command; among several images, each one is named on stderr and the others go on."""
    if alone:
        return [(i, work(i)) for i in range(count)]
    kept = []
    for i in range(count):
        try:
            kept.append((i, work(i)))
        except ImageReadError as error:
            print(f"error: {error}", file=sys.stderr)
    return kept


def read_lines(
    args: argparse.Namespace,
    recognizer: OnnxRecognizer,
    paths: list[Path],
    images: list[np.ndarray],
    several: bool,
) -> list[str]:
    """Read and print the images that are not pages (words or lines); their texts."""
    from mltu_ext.cli.recognize_pages import shown_text, table_path

    texts = []
    readings = recognizer.read(images, batch_size=args.batch_size)
    dropped = 0
    for path, reading in zip(paths, readings, strict=True):
        text = shown_text(reading.text, reading.confidence, args.min_confidence)
        dropped += text != reading.text
        texts.append(text)
        line = f"{text}\t{reading.confidence:.4f}" if args.confidence else text
        print(f"{table_path(path)}\t{line}" if several else line)
    if dropped:
        print(
            f"note: {dropped} text(s) less sure than {args.min_confidence} printed as empty", file=sys.stderr
        )
    return texts


def main(argv: list[str] | None = None) -> int:
    """``inferenceModel.py``: 0 on success, 2 with one line on stderr for bad input."""
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
