"""Write the device copies of the training data under .devdata/ (git-ignored) and the wheels under .whl/.

The GPU machine has no ../shared and no TensorFlow; what a line training there
needs travels in the carry (64 MiB with the tree), so the images are cut small:
    copiste_h64.tar.part_aa, ...   the Copiste lines at height 64, JPEG quality 90 (export-lines),
                     one tar in parts of PART_BYTES, so that each device call carries one
                     beside the tree within the 64 MiB. Quality 50 loses detail that the
                     model reads (RESULTS.md, run 014)
    dhsd_h64.tar.part_aa, ...   DHSD's words of writers 1-27 at height 64, labels corrected,
                     in parts as the lines; writers 28-30 stay out, so the line model's word
                     CER on them is still unseen data
    fonts/           the handwriting-like fonts this machine has (the renderer's font search)
    dict/            25,000 words of each Debian word list the line renderer reads
    .whl/            keras, namex and optree wheels for the device's Python 3.12

    python benchmarks/line_model/prepare_devdata.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import cv2
from tqdm import tqdm

DEV = Path(".devdata")
WHEELS = ("keras==3.15.1", "namex==0.1.0", "optree==0.20.0")
PART_BYTES = 16 * 1024 * 1024
DICTS = ("american-english", "french", "ngerman")
DHSD_TRAIN_WRITERS = {str(w) for w in range(1, 28)}


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", default="../shared", help="the folder with data/copiste and data/dhsd")
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--jpeg-quality", type=int, default=90)
    return parser.parse_args(argv)


def export_copiste(shared: Path, height: int, quality: int) -> None:
    """Cut the Copiste lines with the package's own exporter, then pack them as one tar."""
    out = DEV / "copiste_h64"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mltu_ext.data",
            "export-lines",
            "--dataset",
            str(shared / "data/copiste"),
            "--writer-pattern",
            r"^(.*?)(?:_\d)?$",
            "-o",
            str(out),
            "--height",
            str(height),
            "--jpeg-quality",
            str(quality),
        ],
        check=True,
    )
    pack(out, parts=True)


def pack(folder: Path, parts: bool = False) -> None:
    """``folder`` as ``folder.tar`` (parts ``.part_aa``, ... of PART_BYTES when ``parts``); folder removed."""
    tar_path = folder.with_suffix(".tar")
    with tarfile.open(tar_path, "w") as tar:
        tar.add(folder, arcname=folder.name)
    shutil.rmtree(folder)
    if parts:
        data = tar_path.read_bytes()
        for i in range(0, len(data), PART_BYTES):
            suffix = "part_a" + "abcdefghijklmnopqrstuvwxyz"[i // PART_BYTES]
            tar_path.with_name(f"{tar_path.name}.{suffix}").write_bytes(data[i : i + PART_BYTES])
        tar_path.unlink()


def export_dhsd(shared: Path, height: int, quality: int) -> int:
    """DHSD's training writers' words, resized to ``height``, corrected labels; the count."""
    from mltu_ext.data.corrections import apply_corrections, load_corrections
    from mltu_ext.data.detect import load_dataset

    dataset = load_dataset(shared / "data/dhsd")
    fixes = load_corrections("mltu_ext/data/known_corrections/dhsd.csv")
    samples = apply_corrections(dataset.samples, fixes, dataset.root)
    out = DEV / "dhsd_h64"
    (out / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for i, sample in enumerate(tqdm(samples, desc="DHSD words")):
        if str(sample.writer) not in DHSD_TRAIN_WRITERS:
            continue
        image = cv2.imread(str(sample.path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise SystemExit(f"{sample.path}: cannot be read as an image")
        width = max(1, round(image.shape[1] * height / image.shape[0]))
        name = f"images/{i:05d}.jpg"
        cv2.imwrite(
            str(out / name),
            cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA),
            [cv2.IMWRITE_JPEG_QUALITY, quality],
        )
        rows.append((name, sample.text, f"dhsd_{sample.writer}"))
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "text", "writer_id"])
        writer.writerows(rows)
    pack(out, parts=True)
    return len(rows)


def copy_fonts_and_words() -> None:
    from mltu_ext.synth.fonts import find_fonts

    (DEV / "fonts").mkdir(parents=True, exist_ok=True)
    for font in find_fonts():
        shutil.copy(font, DEV / "fonts")
    (DEV / "dict").mkdir(exist_ok=True)
    for name in DICTS:
        words = Path("/usr/share/dict", name).read_text(encoding="utf-8").splitlines()
        step = max(1, len(words) // 25000)
        (DEV / "dict" / name).write_text("\n".join(words[::step][:25000]) + "\n", encoding="utf-8")


def download_wheels() -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.12",
            "-d",
            ".whl",
            *WHEELS,
        ],
        check=True,
    )


def run(args: argparse.Namespace) -> None:
    shared = Path(args.shared)
    DEV.mkdir(exist_ok=True)
    export_copiste(shared, args.height, args.jpeg_quality)
    print(f"DHSD: {export_dhsd(shared, args.height, args.jpeg_quality)} words of writers 1-27")
    copy_fonts_and_words()
    download_wheels()
    subprocess.run(["du", "-sh", str(DEV), ".whl"], check=True)


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
