"""Segment pages into text lines with the exported segmenter and ONNX Runtime; needs no TensorFlow."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from mltu_ext.data.images import to_gray
from mltu_ext.errors import ModelLoadError
from mltu_ext.export.metadata import METADATA_KEY, read_metadata
from mltu_ext.inference.recognizer import onnxruntime_errors
from mltu_ext.pages.layout import LineOnPage
from mltu_ext.segment.file_format import MAPS, SEGMENTER_FORMAT, SEGMENTER_KIND
from mltu_ext.segment.postprocess import PostSettings, maps_to_lines

if TYPE_CHECKING:
    import onnxruntime as ort

REQUIRED_KEYS = ("kind", "long_side", "size_multiple")


def read_segmenter_metadata(session: ort.InferenceSession, path: Path) -> dict:
    """A segmenter's metadata, its fields checked; ModelLoadError names the file and the field."""
    if METADATA_KEY not in session.get_modelmeta().custom_metadata_map:
        raise ModelLoadError(
            f"{path}: ONNX file has no '{METADATA_KEY}' metadata (kind, long_side, size_multiple); "
            "export a trained segmenter with `python -m mltu_ext.segment export`"
        )
    metadata = read_metadata(session, path, required=())
    if metadata.get("kind") is None and "vocabulary" in metadata:
        raise ModelLoadError(
            f"{path}: this is a text recogniser, not a line segmenter; "
            "use a segmenter's folder, such as Models/line_segmenter"
        )
    missing = [key for key in REQUIRED_KEYS if key not in metadata]
    if missing:
        raise ModelLoadError(f"{path}: metadata lacks {', '.join(missing)}")
    if metadata["kind"] != SEGMENTER_KIND:
        raise ModelLoadError(f"{path}: not a line segmenter (kind {metadata['kind']!r})")
    version = _whole(metadata, "format_version", path) if "format_version" in metadata else 1
    if version > SEGMENTER_FORMAT:
        raise ModelLoadError(
            f"{path}: segmenter format {version} is newer than this package reads "
            f"({SEGMENTER_FORMAT}); update mltu_ext"
        )
    long_side, multiple = _whole(metadata, "long_side", path), _whole(metadata, "size_multiple", path)
    if long_side < multiple:
        raise ModelLoadError(
            f"{path}: metadata field 'long_side'={long_side} is less than its 'size_multiple'={multiple}"
        )
    # the post-processing reads the maps by their place: another order would find other lines
    if "maps" in metadata and metadata["maps"] != list(MAPS):
        raise ModelLoadError(
            f"{path}: metadata field 'maps' is {metadata['maps']!r}; this package reads {list(MAPS)!r}"
        )
    return metadata


def _whole(metadata: dict, name: str, path: Path) -> int:
    """The metadata's ``name``, which must be a whole number of at least 1."""
    value = metadata.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelLoadError(
            f"{path}: metadata field {name!r} must be a whole number of at least 1, got {value!r}"
        )
    return value


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
        if path.is_dir() and not self.path.is_file() and (path / "segmenter.keras").is_file():
            raise ModelLoadError(
                f"{path}: no segmenter.onnx, only the trained segmenter.keras; make it with "
                f"`python -m mltu_ext.segment export {path}`"
            )
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
        self.metadata = read_segmenter_metadata(self.session, self.path)
        self.long_side = self.metadata["long_side"]
        self.multiple = self.metadata["size_multiple"]
        self.input_name = self.session.get_inputs()[0].name
        self._check_multiple()
        self.post = post or PostSettings()

    def _check_multiple(self) -> None:
        """Refuse a network that cannot take a page of the metadata's size multiple, or gives no 3 maps.

        Checked on one blank square of that size at load: otherwise only the pages whose scaled
        size happens not to be a multiple of what the network needs would fail, as they are read.
        """
        import onnxruntime as ort

        shape = self.session.get_inputs()[0].shape  # a segmenter's: (batch, height, width, 1)
        if len(shape) != 4 or isinstance(shape[1], int) or isinstance(shape[2], int) or shape[3] != 1:
            raise ModelLoadError(
                f"{self.path}: its network takes images of shape {shape}, not pages of any height "
                "and width (batch, height, width, 1): not a line segmenter"
            )
        side = self.multiple
        blank = np.full((1, side, side, 1), 255.0, np.float32)
        quiet = ort.RunOptions()
        quiet.log_severity_level = 4  # the failure is told in one line below, not also in ONNX Runtime's log
        try:
            shape = self.session.run(None, {self.input_name: blank}, quiet)[0].shape
        except onnxruntime_errors() as error:
            reason = " ".join(str(error).split())
            raise ModelLoadError(
                f"{self.path}: metadata field 'size_multiple'={side} does not fit its network, which "
                f"fails on a {side}x{side} page ({reason})"
            ) from error
        if tuple(shape) != (1, side, side, len(MAPS)):
            raise ModelLoadError(
                f"{self.path}: gives maps of shape {tuple(shape)} for a {side}x{side} page, not "
                f"(1, {side}, {side}, {len(MAPS)}): not a line segmenter"
            )

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
