"""kraken 7.1.1's own baseline segmenter (blla, its default model) on page images; run with kraken's venv.

    /work/kraken-venv/bin/python kraken_blla.py --pages pages.txt --out DIR [--threads 2]

For each page (one path per line of ``pages.txt``): the line boundaries and baselines that
``kraken.blla.segment`` returns and the seconds it took (model loaded once, as a service would),
written to DIR/kraken_lines.json. The same pages through the command line
(``kraken -i PAGE OUT segment -bl``, start-up included) are timed by ``run_pages.sh``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the script's options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    """Segment each page with blla, timed; write DIR/kraken_lines.json."""
    import torch
    from kraken import blla
    from kraken.lib import vgsl
    from PIL import Image

    torch.set_num_threads(args.threads)
    import importlib.resources

    model_path = importlib.resources.files("kraken") / "blla.mlmodel"
    model = vgsl.TorchVGSLModel.load_model(str(model_path))
    pages = [Path(line) for line in args.pages.read_text(encoding="utf-8").split() if line]
    results = []
    blla.segment(Image.open(pages[0]), model=model)  # warm-up, not timed
    for page in pages:
        image = Image.open(page)
        start = time.perf_counter()
        seg = blla.segment(image, model=model)
        seconds = time.perf_counter() - start
        lines = [
            {
                "boundary": [list(map(float, p)) for p in line.boundary],
                "baseline": [list(map(float, p)) for p in line.baseline],
            }
            for line in seg.lines
            if line.boundary
        ]
        results.append({"page": str(page), "seconds": round(seconds, 3), "lines": lines})
        print(f"{page.name}: {len(lines)} lines in {seconds:.2f} s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "kraken_lines.json").write_text(json.dumps(results) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Segment the pages the options name."""
    run(get_args(argv))


if __name__ == "__main__":
    main()
