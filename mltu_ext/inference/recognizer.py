"""Recognise handwriting with an exported ONNX model; needs no TensorFlow.

Everything needed to prepare images and decode the output is read from the
JSON metadata inside the ONNX file (parsed with ``json.loads``, never
``eval``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mltu_ext.ctc.greedy import greedy_decode
from mltu_ext.data.images import PAD_VALUE, read_gray, resize_to_height, to_gray
from mltu_ext.errors import ModelLoadError
from mltu_ext.export.metadata import read_metadata
from mltu_ext.inference.model_files import find_model_file


class OnnxRecognizer:
    """Batched handwriting recognition with ONNX Runtime.

    >>> rec = OnnxRecognizer("Models/my_model")          # doctest: +SKIP
    >>> rec.predict_files(["word.png"])                  # doctest: +SKIP
    ['hello']
    """

    def __init__(
        self,
        model_path: str | Path,
        providers: Sequence[str] | None = None,
        decoder: Callable[[np.ndarray, str, int], list[str]] | None = None,
    ):
        """``decoder(probs, vocabulary, blank_index)`` replaces greedy decoding
        (for example ``mltu_ext.ctc.beam_lm.BeamDecoder`` with a language model)."""
        import onnxruntime as ort

        self.decoder = decoder or greedy_decode
        self.path = find_model_file(model_path)
        available = ort.get_available_providers()
        if providers is None:
            # use the GPU when this onnxruntime build has it
            providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
        try:
            self.session = ort.InferenceSession(str(self.path), providers=list(providers))
        except onnxruntime_errors() as error:
            reason = " ".join(str(error).split())  # onnxruntime's messages span lines
            raise ModelLoadError(f"{self.path}: not a loadable ONNX model ({reason})") from error
        self.metadata = read_metadata(self.session, self.path)
        self.vocabulary: str = self.metadata["vocabulary"]
        self.blank_index = int(self.metadata["blank_index"])
        self.height = int(self.metadata["input_height"])
        self.channels = int(self.metadata["channels"])
        self.pad_value = int(self.metadata.get("padding_value", PAD_VALUE))
        self.time_scale = int(self.metadata.get("time_scale", 1))
        self.input_name = self.session.get_inputs()[0].name

    def prepare_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Resize to the model's height and pad to the widest: float32 (B, H, W, C)."""
        resized = [resize_to_height(to_gray(np.asarray(im)), self.height) for im in images]
        # at least a few time steps, and a width the strides divide evenly
        width = max(im.shape[1] for im in resized)
        width = max(width, 4 * self.time_scale)
        width = -(-width // self.time_scale) * self.time_scale
        batch = np.full((len(resized), self.height, width, 1), self.pad_value, dtype=np.float32)
        for row, image in zip(batch, resized, strict=True):
            row[:, : image.shape[1], 0] = image
        if self.channels == 3:
            batch = np.repeat(batch, 3, axis=-1)
        return batch

    def probabilities(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Raw model output (B, T, C) for one batch."""
        return self.session.run(None, {self.input_name: self.prepare_batch(images)})[0]

    def predict(self, images: Sequence[np.ndarray], batch_size: int = 32) -> list[str]:
        """Texts for uint8 grayscale (or BGR) images, in the order given."""
        images = list(images)
        # batch images of similar width together: less padding to compute
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1] / max(images[i].shape[0], 1))
        texts: list[str] = [""] * len(images)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            probs = self.probabilities([images[i] for i in chunk])
            for i, text in zip(chunk, self.decoder(probs, self.vocabulary, self.blank_index), strict=True):
                texts[i] = text
        return texts

    def predict_files(self, paths: Sequence[str | os.PathLike], batch_size: int = 32) -> list[str]:
        """Texts for image files (ImageReadError names a file that cannot be read)."""
        return self.predict([read_gray(str(p)) for p in paths], batch_size)


def onnxruntime_errors() -> tuple[type[BaseException], ...]:
    """The exception types ONNX Runtime raises for a file it cannot load or run.

    Its pybind11 exceptions derive from ``Exception`` directly, not from one
    base of their own, so they are listed.
    """
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("Fail", "InvalidArgument", "NoSuchFile", "NoModel", "InvalidProtobuf", "InvalidGraph")
    names += ("RuntimeException", "NotImplemented", "EPFail")
    found = tuple(getattr(state, name) for name in names if hasattr(state, name))
    return (*found, RuntimeError, OSError)
