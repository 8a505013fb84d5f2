"""Segment pages into text lines with the exported segmenter and ONNX Runtime; needs no TensorFlow."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mltu_ext.data.images import to_gray
from mltu_ext.errors import ModelLoadError
from mltu_ext.export.metadata import read_metadata
from mltu_ext.inference.recognizer import onnxruntime_errors
from mltu_ext.pages.layout import LineOnPage
from mltu_ext.segment.file_format import SEGMENTER_FORMAT, SEGMENTER_KIND
from mltu_ext.segment.postprocess import PostSettings, maps_to_lines

REQUIRED_KEYS = ("kind", "long_side", "size_multiple")


class OnnxSegmenter:
    """Finds the text lines of a page image: outlines and baselines in the page's pixels.

    >>> seg = OnnxSegmenter("Models/line_segmenter")       # doctest: +SKIP
    >>> lines = seg.segment(cv2.imread("page.jpg", 0))     # doctest: +SKIP
    """

    def __init__(self, path: str | Path, post: PostSettings | None = None, threads: int | None = None):
        import onnxruntime as ort

        path = Path(path)
        self.path = path / "segmenter.onnx" if path.is_dir() else path
        if path.is_dir() and not self.path.is_file() and (path / "model.onnx").is_file():
            self.path = path / "model.onnx"  # a recogniser's folder: its metadata says so below
        if not self.path.is_file():
            raise ModelLoadError(f"{self.path}: segmenter not found")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except onnxruntime_errors() as error:
            reason = " ".join(str(error).split())
            raise ModelLoadError(f"{self.path}: not a loadable ONNX segmenter ({reason})") from error
        self.metadata = read_metadata(self.session, self.path, required=())
        if self.metadata.get("kind") is None and "vocabulary" in self.metadata:
            raise ModelLoadError(
                f"{self.path}: this is a text recogniser, not a line segmenter; "
                "use a segmenter's folder, such as Models/line_segmenter"
            )
        missing = [key for key in REQUIRED_KEYS if key not in self.metadata]
        if missing:
            raise ModelLoadError(f"{self.path}: metadata lacks {', '.join(missing)}")
        if self.metadata.get("kind") != SEGMENTER_KIND:
            raise ModelLoadError(f"{self.path}: not a line segmenter (kind {self.metadata.get('kind')!r})")
        if int(self.metadata.get("format_version", 0)) > SEGMENTER_FORMAT:
            raise ModelLoadError(
                f"{self.path}: segmenter format {self.metadata['format_version']} is newer than this "
                f"package reads ({SEGMENTER_FORMAT}); update mltu_ext"
            )
        self.long_side = int(self.metadata["long_side"])
        self.multiple = int(self.metadata["size_multiple"])
        self.post = post or PostSettings()
        self.input_name = self.session.get_inputs()[0].name

    def maps(self, page: np.ndarray) -> tuple[np.ndarray, float]:
        """The probability maps (h, w, 3) of ``page`` at the segmenter's scale, and that scale."""
        gray = to_gray(np.asarray(page))
        height, width = gray.shape
        scale = self.long_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        rows = -(-small.shape[0] // self.multiple) * self.multiple
        cols = -(-small.shape[1] // self.multiple) * self.multiple
        batch = np.full((1, rows, cols, 1), 255.0, np.float32)  # paper beyond the page
        batch[0, : small.shape[0], : small.shape[1], 0] = small
        maps = self.session.run(None, {self.input_name: batch})[0][0]  # rows,cols,3
        return maps[: small.shape[0], : small.shape[1]], scale

    def segment(self, page: np.ndarray) -> list[LineOnPage]:
        """The text lines of a page (uint8 grayscale or BGR), not yet in reading order."""
        maps, scale = self.maps(page)
        return maps_to_lines(maps, scale, self.post)
