"""Character and word error rate as Keras 3 metrics (corpus level, any backend).

They replace mltu's CERMetric/WERMetric, whose raw ``tf.Variable`` state
Keras 3 does not track: there ``reset_state()`` does nothing, so the numbers
pile up across epochs and mix training with validation. Here the state is
made with ``add_weight``, so Keras resets it at the start of every epoch and
of every evaluation.

Both metrics decode ``y_pred`` (B, T, C) greedily (blank at ``blank_index``)
and compare with ``y_true`` (B, L) int labels padded with -1. The result is
total edits / total reference length over everything seen since the last
reset (as ``mltu_ext.evaluation.error_rates.cer``/``wer``), not a mean of per-sample
rates; with no reference characters it is the number of edits.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from mltu_ext.ctc.edit_distance_ops import (
    batch_edit_distance,
    compact_labels,
    greedy_ctc_collapse,
    words_as_ids,
)


class _EditRate(keras.metrics.Metric):
    """Shared state and bookkeeping: edits and reference length, both summed."""

    def __init__(self, blank_index: int, name: str, dtype: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.blank_index = int(blank_index)
        # float32 sums of whole numbers stay exact up to 2**24 (16.7 M) characters
        self.edits = self.add_weight(shape=(), initializer="zeros", dtype="float32", name="edits")
        self.reference_length = self.add_weight(
            shape=(), initializer="zeros", dtype="float32", name="reference_length"
        )

    def _edits_and_lengths(self, y_true, y_pred):
        """(edits (B,), reference lengths (B,)) for one batch."""
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add a batch: ``y_true`` (B, L) int padded with -1, ``y_pred`` (B, T, C).

        ``sample_weight`` (B,) scales each sample's edits and reference length,
        so the result is the weighted corpus rate.
        """
        edits, lengths = self._edits_and_lengths(y_true, y_pred)
        edits = ops.cast(edits, "float32")  # B
        lengths = ops.cast(lengths, "float32")  # B
        if sample_weight is not None:
            weight = ops.reshape(ops.cast(sample_weight, "float32"), (-1,))  # B
            edits = edits * weight
            lengths = lengths * weight
        self.edits.assign_add(ops.sum(edits))
        self.reference_length.assign_add(ops.sum(lengths))

    def result(self):
        """Edits / max(reference length, 1)."""
        return self.edits / ops.maximum(self.reference_length, 1.0)

    def reset_state(self) -> None:
        """Zero both sums (Keras calls this at each epoch and evaluation start)."""
        self.edits.assign(0.0)
        self.reference_length.assign(0.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "blank_index": self.blank_index}


@keras.saving.register_keras_serializable(package="mltu_ext")
class CharacterErrorRate(_EditRate):
    """Corpus-level CER of greedy CTC decoding.

    Args:
        blank_index: class index of the CTC blank (``Vocabulary.blank_index``).
        name: name in the training logs ("CER", so "val_CER" for validation).

    >>> import numpy as np
    >>> cer = CharacterErrorRate(blank_index=2)
    >>> steps = np.eye(3)[[[0, 2, 0, 1]]]  # best path "a - a b" decodes to "aab"
    >>> cer.update_state(np.array([[0, 1, -1]]), steps)  # reference "ab"
    >>> float(cer.result())  # 1 edit / 2 characters
    0.5
    """

    def __init__(self, blank_index: int, name: str = "CER", dtype: str | None = None, **kwargs: Any) -> None:
        super().__init__(blank_index, name=name, dtype=dtype, **kwargs)

    def _edits_and_lengths(self, y_true, y_pred):
        tokens, token_lengths = greedy_ctc_collapse(y_pred, self.blank_index)  # B,T; B
        labels, label_lengths = compact_labels(y_true)  # B,L; B
        return batch_edit_distance(tokens, token_lengths, labels, label_lengths), label_lengths


@keras.saving.register_keras_serializable(package="mltu_ext")
class WordErrorRate(_EditRate):
    """Corpus-level WER of greedy CTC decoding; words split on one or more spaces.

    Args:
        blank_index: class index of the CTC blank.
        space_index: index of the space character, or None when the vocabulary
            has no space (then every non-empty text is one word).
        name: name in the training logs.
    """

    def __init__(
        self,
        blank_index: int,
        space_index: int | None,
        name: str = "WER",
        dtype: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(blank_index, name=name, dtype=dtype, **kwargs)
        self.space_index = None if space_index is None else int(space_index)

    def _edits_and_lengths(self, y_true, y_pred):
        num_symbols = y_pred.shape[-1]
        if num_symbols is None:
            raise ValueError("WordErrorRate needs y_pred with a known number of classes")
        tokens, token_lengths = greedy_ctc_collapse(y_pred, self.blank_index)  # B,T; B
        labels, label_lengths = compact_labels(y_true)  # B,L; B
        # same num_symbols on both sides, so equal words get equal ids
        pred_words, pred_count = words_as_ids(tokens, token_lengths, self.space_index, num_symbols)
        true_words, true_count = words_as_ids(labels, label_lengths, self.space_index, num_symbols)
        return batch_edit_distance(pred_words, pred_count, true_words, true_count), true_count

    def get_config(self) -> dict:
        """The base config and ``space_index``, for saving and loading."""
        return {**super().get_config(), "space_index": self.space_index}
