"""Render handwriting-style text, or build a rendered dataset of words or whole lines.

python -m mltu_ext.synth "word" -o out.png --seed 3          one word
python -m mltu_ext.synth "une ligne de texte" -o line.png    a handwritten line (text with spaces)
python -m mltu_ext.synth --dataset Datasets/my_synth --num 5000
python -m mltu_ext.synth --lines 20000 -o Datasets/synth_lines --languages fr,de
python -m mltu_ext.synth --list-fonts
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mltu_ext.cli.common import NON_NEGATIVE_INT, POSITIVE_INT, float_in, int_at_least, run_command
from mltu_ext.data.text_forms import normal_text
from mltu_ext.errors import ConfigError, InputFileError, OutputWriteError
from mltu_ext.io.text_files import open_text

if TYPE_CHECKING:
    import numpy as np

# OpenCV's warps stop at 32,767 pixels a side; a rendered character is about a third of the
# height wide, so characters x height up to this bound stay well below it (400 at height 64)
MAX_CHARACTERS_X_HEIGHT = 25_600
# the tallest image rendered, far above any model's input height: the memory and time of a render
# grow with the square of the height, and a word a few times taller takes gigabytes
MAX_HEIGHT = 2048
# the image files a rendered text is written to: OpenCV writes GIF and PPM from colour images
# only, and the rendering is grayscale
WRITABLE_SUFFIXES = tuple(".png .jpg .jpeg .tif .tiff .bmp .webp .jp2 .pgm .pbm .pnm".split())


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    from mltu_ext.synth.line_texts import CAPITALS_SHARE

    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.synth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "text", nargs="?", help="text to render: one word, or a line (words with spaces) in one hand"
    )
    parser.add_argument(
        "-o",
        "--output",
        help="image file to write for a text (default out.png; .png, .jpg, .tif, .webp, ...); "
        "the folder to build for --lines",
    )
    parser.add_argument("--seed", type=NON_NEGATIVE_INT, default=0)
    parser.add_argument("--font", help="font file, part of a font's name (see --list-fonts), or 'hershey'")
    parser.add_argument(
        "--height",
        type=int_at_least(8, MAX_HEIGHT),
        default=64,
        help=f"image height in pixels, from 8 to {MAX_HEIGHT} (default 64)",
    )
    parser.add_argument("--dataset", metavar="DIR", help="build a dataset of rendered words in DIR")
    parser.add_argument("--num", type=POSITIVE_INT, default=1000, help="samples for --dataset (default 1000)")
    parser.add_argument(
        "--lines",
        type=POSITIVE_INT,
        metavar="N",
        help="build a dataset of N rendered handwritten lines in the folder -o (for pretraining)",
    )
    parser.add_argument(
        "--languages",
        type=_languages,
        default=("en", "fr", "de"),
        help="for --lines: comma-separated languages of the texts, from en, fr, de (default all three)",
    )
    parser.add_argument(
        "--capitals",
        type=float_in(0.0, 1.0),
        default=CAPITALS_SHARE,
        metavar="SHARE",
        help=f"for --lines: the share of lines written in capitals, most of them in small capitals "
        f"(default {CAPITALS_SHARE})",
    )
    parser.add_argument(
        "--paper",
        choices=("random", "plain", "page", "ruled"),
        default="random",
        help="paper under a rendered line or --lines: plain, page-like, ruled, or a random one (default)",
    )
    parser.add_argument(
        "--val-fraction",
        type=float_in(0.0, 1.0, open_high=True),
        default=0.1,
        help="held-out share (default 0.1)",
    )
    parser.add_argument(
        "--workers", type=POSITIVE_INT, help="processes for --dataset and --lines (default: all cores)"
    )
    parser.add_argument("--texts", metavar="FILE", help="for --dataset: draw labels from the lines of FILE")
    parser.add_argument("--list-fonts", action="store_true", help="list the handwriting fonts found")
    args = parser.parse_args(argv)
    if args.text is not None and not args.text.strip():
        parser.error("the text to render is empty; give a word, or a line of words with spaces")
    if not (args.text or args.dataset or args.lines or args.list_fonts):
        parser.error("give a text to render, --dataset DIR, --lines N -o DIR or --list-fonts")
    if args.lines and not args.output:
        parser.error("--lines needs the folder to build: -o DIR")
    if args.lines and args.text:
        parser.error("give either a text to render or --lines (its -o is a folder), not both")
    return args


def _languages(text: str) -> tuple[str, ...]:
    """An argparse type: 'en,fr' -> ('en', 'fr'), each one of the line texts' languages."""
    from mltu_ext.synth.line_texts import LANGUAGES

    languages = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if not languages or unknown:
        raise argparse.ArgumentTypeError(f"expected languages from {','.join(LANGUAGES)}, got {text!r}")
    return languages


def resolve_font(name: str | None) -> str | None:
    """A font from a file path, a part of an installed font's name, or a Hershey name."""
    from mltu_ext.synth.fonts import find_fonts, font_name, is_hershey

    if name is None or is_hershey(name):
        return name
    if Path(name).is_file():
        from PIL import ImageFont

        try:
            ImageFont.truetype(name, 16)
        except OSError as error:
            raise InputFileError(f"{name}: not a font file that can be read ({error})") from error
        return name
    fonts = find_fonts()
    exact = [f for f in fonts if font_name(f).lower() == name.lower()]
    matches = exact or [f for f in fonts if name.lower() in font_name(f).lower()]
    if not matches:
        raise ConfigError(f"no installed handwriting font matches {name!r} (see --list-fonts)")
    return matches[0]


def read_texts(path: str) -> list[str]:
    """``--texts``: the file's non-empty lines, in the labels' written form.

    Refused when its characters are more than the installed fonts draw (:func:`check_texts_drawn`).
    """
    with open_text(path, error=InputFileError) as handle:
        numbered = [(n, normal_text(line.strip())) for n, line in enumerate(handle, 1) if line.strip()]
    if not numbered:
        raise InputFileError(f"{path}: no text lines")
    check_texts_drawn(path, numbered)
    return [text for _, text in numbered]


def check_texts_drawn(path: str, numbered: list[tuple[int, str]]) -> None:
    """InputFileError naming the file and line of a character that no installed font draws.

    A word dataset is drawn in the fonts that draw every character of its texts (OpenCV's
    fallback fonts, when none is installed, draw ASCII only); else the dataset refuses them
    all at once, naming its output folder, which tells nothing about which line to mend.
    """
    from mltu_ext.synth.fonts import find_fonts, missing_glyphs

    glyphs = "".join(sorted({c for _, text in numbered for c in text} - {" "}))
    if glyphs.isascii() or find_fonts(glyphs):
        return
    fonts = find_fonts("")  # every installed font that opens, whatever it draws
    missing = [set(missing_glyphs(font, glyphs)) for font in fonts]
    undrawn = set.intersection(*missing) if fonts else {c for c in glyphs if not c.isascii()}
    for number, text in numbered:
        lacking = "".join(sorted(set(text) & undrawn))
        if lacking:
            raise InputFileError(
                f"{path}:{number}: no installed handwriting font draws {lacking!r} (in {text!r}); "
                "remove such lines or install a font that draws them"
            )
    raise InputFileError(
        f"{path}: no one installed handwriting font draws every character of its lines ({glyphs!r}), "
        "and a word dataset is drawn in fonts that draw them all"
    )


def check_heights(args: argparse.Namespace, texts: list[str] | None) -> None:
    """ConfigError, before anything is rendered, when the longest text asked for cannot fit one image."""
    from mltu_ext.synth.line_texts import MAX_CHARS
    from mltu_ext.synth.words import MAX_LENGTH

    if args.text:
        check_height(len(args.text), args.height, "the text has", "render longer text line by line")
    if args.dataset:
        longest = max(map(len, texts)) if texts else MAX_LENGTH
        where = f"the longest line of {args.texts} has" if texts else "the dataset's words have up to"
        check_height(longest, args.height, where)
    if args.lines:
        check_height(MAX_CHARS, args.height, "the rendered lines have up to")


def check_height(characters: int, height: int, what: str, hint: str = "lower --height") -> None:
    """ConfigError when ``characters`` at ``height`` pixels are wider than one image can be."""
    most = MAX_CHARACTERS_X_HEIGHT // height
    if characters > most:
        raise ConfigError(
            f"{what} {characters} characters; one image {height} pixels high holds at most {most} ({hint})"
        )


def check_image_name(output: str) -> None:
    """ConfigError, before anything is rendered, for an image file name OpenCV cannot write here."""
    suffix = Path(output).suffix.lower()
    if suffix not in WRITABLE_SUFFIXES:
        found = f"{suffix!r} files" if suffix else "a name without an extension"
        raise ConfigError(
            f"-o {output}: cannot write {found}; name one ending in {', '.join(WRITABLE_SUFFIXES)}"
        )


def write_image(output: str, image: np.ndarray) -> None:
    """Write ``image`` to ``output`` whole, or leave no file (a previous one as it was)."""
    import cv2

    from mltu_ext.io.atomic import replacing

    # a temporary name with the same extension, which picks OpenCV's writer
    with replacing(output) as tmp:
        if not cv2.imwrite(str(tmp), image):
            raise OutputWriteError(f"{output}: OpenCV could not write the image")


def run(args: argparse.Namespace) -> None:
    """List the fonts, build the word and line datasets, or render one text, as the options ask."""
    import numpy as np

    if args.text:
        check_image_name(args.output or "out.png")
        # in the labels' written form: a font draws "é", not always "e" + a combining accent
        args.text = normal_text(args.text)

    from mltu_ext.synth.dataset import build_synthetic_dataset
    from mltu_ext.synth.fonts import font_family, font_name, scan_fonts
    from mltu_ext.synth.line_dataset import build_line_dataset
    from mltu_ext.synth.line_render import choose_font, render_handwritten_line
    from mltu_ext.synth.render import render_text

    if args.list_fonts:
        fonts, skipped = scan_fonts()
        for path in fonts:
            print(f"{font_name(path):24s} {font_family(path):18s} {path}")
        for path, why in skipped:
            print(f"skipped: {path}: {why}")
        if not fonts:
            print("no handwriting fonts found: OpenCV's Hershey script fonts are used")
    # what the word and the line datasets are both built with
    common = {
        "seed": args.seed,
        "val_fraction": args.val_fraction,
        "height": args.height,
        "workers": args.workers,
    }
    texts = read_texts(args.texts) if args.dataset and args.texts else None
    check_heights(args, texts)
    if args.dataset:
        folder = build_synthetic_dataset(args.dataset, args.num, texts=texts, **common)
        print(f"dataset: {folder / 'labels.csv'}")
    if args.lines:
        folder = build_line_dataset(
            args.output,
            args.lines,
            languages=args.languages,
            paper=args.paper,
            capitals=args.capitals,
            **common,
        )
        print(f"line dataset: {folder / 'labels.csv'}")
    if args.text:
        rng, font = np.random.default_rng(args.seed), resolve_font(args.font)
        output = args.output or "out.png"
        words = args.text.split()
        if len(words) > 1:
            image = render_handwritten_line(" ".join(words), rng, font, args.height, args.paper)
        else:  # a font that lacks one of its characters would draw a box in its place
            word = args.text.strip()
            image = render_text(word, rng, choose_font(word, rng, font), args.height)
        write_image(output, image)
        print(f"wrote {output} ({image.shape[1]}x{image.shape[0]})")


def main(argv: list[str] | None = None) -> int:
    """``python -m mltu_ext.synth``: 0 on success, 2 with one line on stderr for bad input."""
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
