"""Export a trained recogniser: ONNX with its metadata and parity check, and int8 quantisation."""
