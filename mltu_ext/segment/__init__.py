"""Line segmentation of whole pages: targets from layout files, a small U-Net, post-processing into
line outlines and baselines, and the ONNX Runtime segmenter that needs no TensorFlow."""
