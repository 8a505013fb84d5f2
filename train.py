"""Train a handwriting recogniser and export it to ONNX (``python train.py --help``).

A front to :mod:`mltu_ext.cli.train`, in the place where mltu's tutorials keep
their ``train.py``; with no option it trains on the embedded rendered words.
"""

import sys

from mltu_ext.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
