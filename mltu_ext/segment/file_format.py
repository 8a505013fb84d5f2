"""What a segmenter file promises its readers: the metadata's kind, format version and output maps.

Kept apart from the export code so that the ONNX Runtime segmenter reads it without Keras.
"""

SEGMENTER_KIND = "line_segmenter"
SEGMENTER_FORMAT = 1  # the metadata's format_version; docs/onnx_model.md describes the file
MAPS = ("region", "core", "baseline")  # the output's channels, in order
