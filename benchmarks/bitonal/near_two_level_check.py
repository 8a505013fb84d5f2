"""Which images does the package take for black-and-white scans saved as JPEG (``is_near_two_level``)?

A bitonal scan saved as JPEG is no longer two-level, so without ``snap_near_two_level`` it would be
read with hard edges, as if it were grayscale. The test must catch such images and leave grayscale
ones alone. For each set this counts the images it catches, and gives the smallest and the
median share of the ink (pixels darker than light) that lies between dark and light, the figure
the test compares with ``MAX_MID_SHARE``:
- grayscale images the package trains on and reads: all DHSD words, all Copiste pages, and words
  and lines rendered by ``mltu_ext.synth`` (seed 0);
- the Copiste validation pages (``benchmarks/copiste_lines/split.json``) made bitonal by Otsu's
  threshold and by dithering (``bitonal_check.py``), each saved as JPEG by OpenCV at qualities
  40 to 95 and decoded again in memory.
Results: ``RESULTS.md``, run 002.

    python benchmarks/bitonal/near_two_level_check.py \
        --out benchmarks/bitonal/runs/002-near-two-level/near.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
QUALITIES = (40, 50, 60, 75, 90, 95)


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--rendered", type=int, default=300, help="rendered words and lines, each")
    return parser.parse_args(argv)


def mid_share(image: np.ndarray) -> float:
    """The share of the ink between dark and light, as ``is_near_two_level`` counts it (1 when the
    image has no dark or no light pixel: nothing to catch)."""
    from mltu_ext.data.images import ink_between_share

    share = ink_between_share(image)
    return 1.0 if share is None else share


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("OpenCV could not encode the image as JPEG")
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def summary(images) -> dict:
    """How many of ``images`` the test catches, and the smallest and median share between."""
    from mltu_ext.data.images import is_near_two_level

    shares, caught, count = [], 0, 0
    for image in images:
        shares.append(mid_share(image))
        caught += is_near_two_level(image)
        count += 1
    return {
        "images": count,
        "near_two_level": caught,
        "min_mid_share": round(min(shares), 4),
        "median_mid_share": round(float(np.median(shares)), 4),
    }


def rendered(kind: str, count: int):
    """``count`` words or lines rendered by the package's command (seed 0), as gray arrays."""
    import subprocess

    from mltu_ext.data.images import read_gray

    with tempfile.TemporaryDirectory() as work:
        option = (
            ["--dataset", work, "--num", str(count)]
            if kind == "words"
            else ["--lines", str(count), "-o", work]
        )
        subprocess.run(
            [sys.executable, "-m", "mltu_ext.synth", *option, "--seed", "0"], check=True, capture_output=True
        )
        for path in sorted(Path(work).rglob("*.png")):
            yield read_gray(str(path))


def run(args: argparse.Namespace) -> dict:
    from bitonal_check import dithered, otsu
    from tqdm import tqdm

    from mltu_ext.data.images import IMAGE_SUFFIXES, MAX_MID_SHARE, read_gray

    def files(folder: Path) -> list[Path]:
        return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)

    split = json.loads((REPO / "benchmarks" / "copiste_lines" / "split.json").read_text(encoding="utf-8"))
    pages = files(DATA / "copiste")
    val_pages = [p for p in pages if p.stem in set(split["val_pages"])]
    sets = {
        "dhsd_words": summary(read_gray(str(p)) for p in tqdm(files(DATA / "dhsd"), desc="dhsd")),
        "copiste_pages": summary(read_gray(str(p)) for p in tqdm(pages, desc="copiste")),
        "rendered_words": summary(rendered("words", args.rendered)),
        "rendered_lines": summary(rendered("lines", args.rendered)),
    }
    bitonal = {name: [] for name in ("otsu", "dithered")}
    for path in tqdm(val_pages, desc="bitonal pages"):
        gray = read_gray(str(path))
        bitonal["otsu"].append(otsu(gray))
        bitonal["dithered"].append(dithered(gray))
    for name, images in bitonal.items():
        for quality in QUALITIES:
            sets[f"{name}_jpeg{quality}"] = summary(jpeg(image, quality) for image in images)
    result = {"max_mid_share": MAX_MID_SHARE, "val_pages": len(val_pages), "sets": sets}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for name, row in sets.items():
        print(
            f"{name:18s} {row['near_two_level']:5d} of {row['images']:5d} caught; mid share min "
            f"{row['min_mid_share']:.4f} median {row['median_mid_share']:.4f}"
        )
    return result


def main(argv: list[str] | None = None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    run(get_args(argv))


if __name__ == "__main__":
    main()
