"""mltu_ext: handwriting text recognition with Keras 3, CTC and ONNX Runtime.

Importing the package is cheap: submodules are imported where they are used,
so ``mltu_ext.inference.recognizer`` works without TensorFlow installed.
"""

__version__ = "0.1.0"
