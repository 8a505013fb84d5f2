"""Recognise handwriting with a trained ONNX model (``python inferenceModel.py --help``).

A front to :mod:`mltu_ext.cli.recognize`, in the place where mltu's tutorials
keep their ``inferenceModel.py``; it needs ONNX Runtime, not TensorFlow.
"""

import sys

from mltu_ext.cli.recognize import main

if __name__ == "__main__":
    sys.exit(main())
