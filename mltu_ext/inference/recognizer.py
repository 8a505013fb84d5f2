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

from mltu_ext.ctc.calibration import temper
from mltu_ext.ctc.confidence import Reading, read_confidences
from mltu_ext.ctc.greedy import greedy_decode
from mltu_ext.ctc.lm_confidence import recalibrate
from mltu_ext.data.images import PAD_VALUE, read_gray, resize_to_height, to_gray, width_at_height
from mltu_ext.errors import ConfigError, ImageReadError, ModelLoadError
from mltu_ext.export.metadata import check_metadata, read_metadata
from mltu_ext.inference.ink import has_writing
from mltu_ext.inference.model_files import find_model_file, quantises_per_run

# the widest input, in columns after resizing to the model's height: a long
# handwritten line at height 64 is about 1,500; wider inputs are pages or errors
MAX_INPUT_WIDTH = 16384
# "width": batches of similar width, padded to the widest (docs/onnx_model.md, the Node reader);
# "exact": an image reads as it reads alone, whatever is read beside it
BATCHING = ("width", "exact")


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
        check_ink: bool = True,
        max_width: int = MAX_INPUT_WIDTH,
        soften_two_level: bool = True,
        batching: str = "width",
    ):
        """``decoder(probs, vocabulary, blank_index)`` replaces greedy decoding
        (for example ``mltu_ext.ctc.beam_lm.BeamDecoder`` with a language model);
        ``check_ink`` reads images without strokes as "" without running the model;
        ``max_width`` is the widest input (columns after resizing to the model's height);
        ``soften_two_level`` softens the edges of bitonal images after resizing, as training does
        (``mltu_ext.data.images.resize_to_height``);
        ``batching`` "width" (the default, the batches docs/onnx_model.md describes) runs
        ``batch_size`` images of similar width together, padded to the widest: the padding and, in
        int8 files, the activation range shared by the batch change readings a little
        (benchmarks/batch_effects); "exact" runs only images of one padded width together, and in
        a file that quantises its activations per run (int8) each image alone: every image then
        reads as it reads alone."""
        if batching not in BATCHING:
            raise ConfigError(f"batching={batching!r}: must be one of {', '.join(BATCHING)}")
        self.batching = batching
        self.check_ink = check_ink
        self.soften_two_level = soften_two_level
        self.max_width = max_width
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
        check_metadata(self.metadata, self.session, self.path)
        self.vocabulary: str = self.metadata["vocabulary"]
        self.blank_index = int(self.metadata["blank_index"])
        self.height = int(self.metadata["input_height"])
        self.channels = int(self.metadata["channels"])
        self.pad_value = int(self.metadata.get("padding_value", PAD_VALUE))
        self.time_scale = int(self.metadata.get("time_scale", 1))
        # fitted on validation lines by `python -m mltu_ext.cli.calibrate`; 1 leaves the posteriors
        self.temperature = float(self.metadata.get("confidence_temperature", 1.0))
        self.input_name = self.session.get_inputs()[0].name
        # only "exact" batching asks (the file is read once more)
        self.quantises_per_run = batching == "exact" and quantises_per_run(self.path)

    def input_width(self, image: np.ndarray) -> int:
        """The columns an (H, W) image has once resized to the model's height."""
        h, w = np.asarray(image).shape[:2]
        return width_at_height(w, h, self.height)

    def padded_width(self, width: int) -> int:
        """The width a batch of inputs ``width`` columns wide at the model's height is run at."""
        # at least a few time steps, and a width the strides divide evenly
        width = max(width, 4 * self.time_scale)
        return -(-width // self.time_scale) * self.time_scale

    def check_width(self, image: np.ndarray, name: str) -> None:
        """ImageReadError naming ``name`` when the image is wider than ``max_width`` at the model's height."""
        width = self.input_width(image)
        if width > self.max_width:
            raise ImageReadError(
                f"{name}: {width} columns wide at height {self.height}, more than max_width="
                f"{self.max_width}; cut it into lines, read it as a page (--page) or raise max_width"
            )

    def prepare_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Resize to the model's height and pad to the widest: float32 (B, H, W, C)."""
        for number, image in enumerate(images):
            self.check_width(image, f"image {number}")
        soften = self.soften_two_level
        resized = [resize_to_height(to_gray(np.asarray(im)), self.height, soften=soften) for im in images]
        width = self.padded_width(max(im.shape[1] for im in resized))
        batch = np.full((len(resized), self.height, width, 1), self.pad_value, dtype=np.float32)
        for row, image in zip(batch, resized, strict=True):
            row[:, : image.shape[1], 0] = image
        if self.channels == 3:
            batch = np.repeat(batch, 3, axis=-1)
        return batch

    def probabilities(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Raw model output (B, T, C) for one batch."""
        return self.session.run(None, {self.input_name: self.prepare_batch(images)})[0]

    def read(self, images: Sequence[np.ndarray], batch_size: int = 32) -> list[Reading]:
        """Texts with their confidences (per text, word and character), in the order given.

        With ``check_ink`` an image without strokes (blank, ruled or noisy
        paper; ``inference.ink``) reads as "" with confidence 1 and is not run
        through the model at all.
        """
        return self._run(images, batch_size, confidences=True)

    def predict(self, images: Sequence[np.ndarray], batch_size: int = 32) -> list[str]:
        """Texts for uint8 grayscale (or BGR) images, in the order given (as :meth:`read`, faster)."""
        return [reading.text for reading in self._run(images, batch_size, confidences=False)]

    def _run(self, images: Sequence[np.ndarray], batch_size: int, confidences: bool) -> list[Reading]:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size={batch_size!r}: must be a whole number, at least 1")
        for number, image in enumerate(images):
            if isinstance(image, (str, os.PathLike)):
                raise ConfigError(f"image {number}: {image!r} is a path; read_files() reads files")
        images = [to_gray(np.asarray(im)) for im in images]
        for number, image in enumerate(images):  # before any batch runs, naming the image
            self.check_width(image, f"image {number}")
        readings: list[Reading] = [Reading("", 1.0)] * len(images)
        todo = [i for i, im in enumerate(images) if not self.check_ink or has_writing(im)]
        # batch images of similar width together: less padding to compute
        todo.sort(key=lambda i: images[i].shape[1] / max(images[i].shape[0], 1))
        for chunk in self._runs(todo, images, batch_size):
            probs = self.probabilities([images[i] for i in chunk])
            texts = self.decoder(probs, self.vocabulary, self.blank_index)
            if confidences:
                calibrated = temper(probs, self.temperature)  # the arg-max, so the text, stays
                found = read_confidences(calibrated, texts, self.vocabulary, self.blank_index)
                weights = getattr(self.decoder, "word_confidence", None)
                if weights is not None:  # a language model's readings: their own word calibration
                    greedy = greedy_decode(probs, self.vocabulary, self.blank_index)
                    lm = getattr(self.decoder, "lm", None)
                    found = [recalibrate(r, g, weights, lm) for r, g in zip(found, greedy, strict=True)]
            else:  # the confidence is left unknown
                found = [Reading(text, float("nan")) for text in texts]
            for i, reading in zip(chunk, found, strict=True):
                readings[i] = reading
        return readings

    def _runs(self, todo: list[int], images: Sequence[np.ndarray], batch_size: int) -> list[list[int]]:
        """The images (numbers, in the order of ``todo``) run through the model together."""
        if self.batching == "width":
            return [todo[start : start + batch_size] for start in range(0, len(todo), batch_size)]
        # int8 activations take one range over the run: any mate would change them
        size = 1 if self.quantises_per_run else batch_size
        groups: dict[int, list[int]] = {}
        for i in todo:
            groups.setdefault(self.padded_width(self.input_width(images[i])), []).append(i)
        return [
            group[start : start + size] for group in groups.values() for start in range(0, len(group), size)
        ]

    def read_files(self, paths: Sequence[str | os.PathLike], batch_size: int = 32) -> list[Reading]:
        """:meth:`read` for image files (ImageReadError names a file that cannot be read)."""
        return self.read(self._read_checked(paths), batch_size)

    def predict_files(self, paths: Sequence[str | os.PathLike], batch_size: int = 32) -> list[str]:
        """Texts for image files (ImageReadError names a file that cannot be read)."""
        return self.predict(self._read_checked(paths), batch_size)

    def _read_checked(self, paths: Sequence[str | os.PathLike]) -> list[np.ndarray]:
        """The decoded images, each checked against ``max_width`` under its own file name."""
        images = []
        for path in paths:
            image = read_gray(str(path))
            self.check_width(image, str(path))
            images.append(image)
        return images


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
