"""Recognition with an exported ONNX model through ONNX Runtime; needs no TensorFlow.

>>> from mltu_ext.inference import OnnxRecognizer   # doctest: +SKIP
>>> OnnxRecognizer("Models/my_model").predict_files(["word.png"])  # doctest: +SKIP
['hello']
"""

from mltu_ext.inference.recognizer import OnnxRecognizer

__all__ = ["OnnxRecognizer"]
