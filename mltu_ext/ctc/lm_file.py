"""A model folder's own language model: a character n-gram and the beam-search settings to use it with.

``python -m mltu_ext.cli.language_model`` writes ``language_model.json.gz`` beside a model's
ONNX file; ``model_decoder(model)`` reads it back as a ``BeamDecoder``, which
``inferenceModel.py --lm`` decodes with. The file holds the n-gram counts (not
the texts they were counted from), the order and the decoder's weights, so a model and the
decoding it was measured with travel together.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Sequence
from pathlib import Path

from mltu_ext.ctc.beam_lm import END, BeamDecoder, CharNgramLM, lm_from_labels
from mltu_ext.ctc.lm_confidence import full_weights
from mltu_ext.errors import ConfigError, ModelLoadError
from mltu_ext.io.atomic import write_bytes

LM_FILE = "language_model.json.gz"
FORMAT = "mltu_ext character n-gram"
VERSION = 1
# the settings that read Copiste lines best, chosen by writer-held-out cross-validation
# (benchmarks/lm_decoding, run 003)
DEFAULT_ORDER = 6
DEFAULT_WEIGHT = 0.6
DEFAULT_BONUS = 1.5
DEFAULT_BEAM = 16


def build_decoder(
    texts: Sequence[str],
    order: int = DEFAULT_ORDER,
    beam: int = DEFAULT_BEAM,
    alpha: float = DEFAULT_WEIGHT,
    beta: float = DEFAULT_BONUS,
) -> BeamDecoder:
    """A beam search with a character n-gram of ``texts``, at the settings chosen for lines."""
    return BeamDecoder(lm_from_labels(texts, order), beam=beam, alpha=alpha, beta=beta)


def save_language_model(path: str | Path, decoder: BeamDecoder, source: str = "") -> Path:
    """Write ``decoder`` (its n-gram model and beam settings) to ``path`` as gzipped JSON."""
    if decoder.lm is None:
        raise ConfigError("the decoder has no language model to save")
    lm = decoder.lm
    document = {
        "format": FORMAT,
        "version": VERSION,
        "order": lm.order,
        "alphabet": "".join(sorted(lm.alphabet - {END})),
        "beam": decoder.beam,
        "alpha": decoder.alpha,
        "beta": decoder.beta,
        "source": source,
        "word_confidence": list(decoder.word_confidence) if decoder.word_confidence is not None else None,
        # context -> {next character: count}; sorted so that the same texts give the same file
        "counts": {context: dict(sorted(lm.counts[context].items())) for context in sorted(lm.counts)},
    }
    _write_document(path, document)
    return Path(path)


def _write_document(path: str | Path, document: dict) -> None:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # mtime 0: the same model gives byte-identical files
    write_bytes(path, gzip.compress(text.encode("utf-8"), mtime=0))


def _read_document(path: Path) -> object:
    try:
        with gzip.open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError as error:
        raise ModelLoadError(f"{path}: language model file not found") from error
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelLoadError(f"{path}: not a readable language model ({error})") from error


def load_language_model(path: str | Path) -> BeamDecoder:
    """Read a file of :func:`save_language_model`; ModelLoadError names the file and what is wrong."""
    path = Path(path)
    document = _read_document(path)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelLoadError(f"{path}: not a {FORMAT} file")
    if document.get("version") != VERSION:
        raise ModelLoadError(f"{path}: version {document.get('version')} (this package reads {VERSION})")
    try:
        order = int(document["order"])
        counts = _counts(document["counts"])
        lm = CharNgramLM(order, counts, set(document["alphabet"]))
        weights = document.get("word_confidence")
        decoder = BeamDecoder(
            lm,
            beam=int(document["beam"]),
            alpha=float(document["alpha"]),
            beta=float(document["beta"]),
            word_confidence=None if weights is None else tuple(float(w) for w in weights),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ModelLoadError(f"{path}: incomplete language model ({error!r})") from error
    if order < 1 or decoder.beam < 1 or "" not in counts:
        raise ModelLoadError(f"{path}: order {order}, beam {decoder.beam}: not a usable language model")
    # a nan or infinite weight makes every reading's score the same, and the beam keeps any
    if not (math.isfinite(decoder.alpha) and decoder.alpha >= 0 and math.isfinite(decoder.beta)):
        raise ModelLoadError(
            f"{path}: weight {decoder.alpha}, bonus {decoder.beta}: the weight must be a number >= 0 "
            "and the bonus a number (write it again with python -m mltu_ext.cli.language_model)"
        )
    if decoder.word_confidence is not None:
        try:
            decoder.word_confidence = full_weights(decoder.word_confidence)
        except ConfigError as error:
            raise ModelLoadError(f"{path}: {error}") from error
    return decoder


def _counts(found: object) -> dict[str, dict[str, int]]:
    """The file's ``counts`` as they are parsed: context -> {next character: count}.

    Kept as JSON's dicts, which the model only reads: making a Counter of each
    of the shipped model's 170,000 contexts took 0.25 s, half of loading it.
    TypeError for anything but a dict of dicts.
    """
    if not isinstance(found, dict) or not all(isinstance(followers, dict) for followers in found.values()):
        raise TypeError("counts must map each context to a dict of next characters and their counts")
    return found


def language_model_path(model: str | Path) -> Path:
    """Where a model's language model lives: beside its ONNX file (``model`` is the folder or the file)."""
    model = Path(model)
    return (model if model.is_dir() else model.parent) / LM_FILE


def model_decoder(model: str | Path) -> BeamDecoder | None:
    """The beam-search decoder of a model's own language model, or None when it has none."""
    path = language_model_path(model)
    return load_language_model(path) if path.is_file() else None


def set_word_confidence(path: str | Path, weights: Sequence[float]) -> None:
    """Store fitted word-confidence weights in an existing language model file, the rest unchanged."""
    load_language_model(path)  # refuses a file that is not one
    document = _read_document(Path(path))
    document["word_confidence"] = list(full_weights(weights))
    _write_document(path, document)
