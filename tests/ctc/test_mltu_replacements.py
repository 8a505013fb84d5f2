"""Why mltu_ext replaces parts of mltu 1.2.5, shown on mltu's own code.

Each test runs the mltu piece next to its mltu_ext replacement on the same
data. The mltu behaviour asserted here is the bug being documented: if a
future mltu fixes it, these tests fail and the replacement can be revisited.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from mltu_ext.ctc.greedy import greedy_decode
from mltu_ext.ctc.metrics import CharacterErrorRate
from mltu_ext.evaluation.error_rates import cer, wer

CHARS = " abc"
BLANK = len(CHARS)


def _import_mltu_cer_metric():
    """mltu's CERMetric class, or a skip that records why it cannot be used."""
    pytest.importorskip("mltu")
    try:
        from mltu.tensorflow.metrics import CERMetric
    except ImportError as error:  # pragma: no cover - depends on the installed mltu
        pytest.skip(f"mltu.tensorflow.metrics does not import under Keras 3: {error}")
    return CERMetric


def _batch(paths: list[list[int]], labels: list[list[int]], width: int = 4):
    """One-hot CTC outputs (B, T, C) for best paths, and -1 padded labels (B, L)."""
    y_pred = np.eye(len(CHARS) + 1, dtype="float32")[np.asarray(paths)]
    y_true = np.full((len(labels), width), -1, dtype="int32")
    for i, label in enumerate(labels):
        y_true[i, : len(label)] = label
    return y_true, y_pred


def _zero_loss(y_true, y_pred):
    """Keras needs a loss to evaluate; only the metric matters here."""
    return ops.sum(y_pred, axis=(1, 2)) * 0.0


def _value(x) -> float:
    return float(ops.convert_to_numpy(x))


def test_mltu_cer_metric_state_is_untracked_and_never_reset():
    """Demonstrates the bug: mltu's CERMetric keeps its sums in raw tf.Variables.

    Keras 3 does not see them (``metric.variables`` is empty), so
    ``reset_state()`` leaves the old numbers in place. Ours exposes its two
    sums and returns to zero.
    """
    cer_metric_class = _import_mltu_cer_metric()
    y_true, y_pred = _batch([[1, BLANK, 2, 2], [3, 3, BLANK, BLANK]], [[1, 2, 3], [3]])
    theirs, ours = cer_metric_class(CHARS), CharacterErrorRate(BLANK)
    for metric in (theirs, ours):
        metric.update_state(y_true, y_pred)
        assert _value(metric.result()) > 0

    before = _value(theirs.result())
    theirs.reset_state()
    assert theirs.variables == []
    assert _value(theirs.result()) == before  # still there after the "reset"

    assert len(ours.variables) == 2
    ours.reset_state()
    assert _value(ours.result()) == 0.0


def test_mltu_cer_metric_mixes_earlier_evaluations_into_later_ones():
    """Demonstrates the consequence inside Keras' own loop (model.evaluate).

    Evaluating set A and then set B with mltu's metric reports a number that
    still contains A; a fresh metric on B alone reports another. Ours reports
    the plain corpus CER of B both times.
    """
    cer_metric_class = _import_mltu_cer_metric()
    set_a = _batch([[1, 2, 3, BLANK]] * 4, [[1, 2, 3]] * 4)  # all correct
    set_b = _batch([[1, BLANK, BLANK, BLANK]] * 4, [[1, 2, 3]] * 4)  # 2 of 3 deleted

    def evaluate(metric, *datasets) -> float:
        model = keras.Sequential([keras.Input((4, len(CHARS) + 1)), keras.layers.Identity()])
        model.compile(loss=_zero_loss, metrics=[metric], jit_compile=False)
        for y_true, y_pred in datasets:
            logs = model.evaluate(y_pred, y_true, batch_size=2, verbose=0, return_dict=True)
        return logs[metric.name]

    b_after_a = evaluate(cer_metric_class(CHARS), set_a, set_b)
    b_alone = evaluate(cer_metric_class(CHARS), set_b)
    assert b_alone == pytest.approx(2 / 3)
    assert b_after_a == pytest.approx((4 * 0 + 4 * 2 / 3) / 8)  # the A samples are still in it

    plain_b = cer(greedy_decode(set_b[1], CHARS), ["abc"] * 4)
    assert plain_b == pytest.approx(2 / 3)
    assert evaluate(CharacterErrorRate(BLANK), set_a, set_b) == pytest.approx(plain_b)
    assert evaluate(CharacterErrorRate(BLANK), set_b) == pytest.approx(plain_b)


def test_mltu_cer_metric_is_a_mean_of_sample_rates():
    """A second difference: mltu averages per-sample rates; ours is corpus level.

    "ab" for "abc" (1 of 3 wrong) and "c" for "c": mltu says (1/3 + 0) / 2,
    the corpus CER is 1 edit / 4 characters.
    """
    cer_metric_class = _import_mltu_cer_metric()
    y_true, y_pred = _batch([[1, BLANK, 2, 2], [3, 3, BLANK, BLANK]], [[1, 2, 3], [3]])
    theirs, ours = cer_metric_class(CHARS), CharacterErrorRate(BLANK)
    theirs.update_state(y_true, y_pred)
    ours.update_state(y_true, y_pred)
    assert _value(theirs.result()) == pytest.approx((1 / 3 + 0) / 2)
    assert _value(ours.result()) == pytest.approx(cer(["ab", "c"], ["abc", "c"])) == 0.25


def test_mltu_get_cer_and_get_wer_agree_on_ordinary_data():
    """Agreement: on non-empty references mltu's plain functions equal ours."""
    text_utils = pytest.importorskip("mltu.utils.text_utils")
    rng = np.random.default_rng(0)
    alphabet = list("ab c")
    references = ["".join(rng.choice(alphabet, size=rng.integers(1, 12))) for _ in range(50)]
    references = [r if r.strip() else "a" for r in references]  # at least one word each
    predictions = ["".join(rng.choice(alphabet, size=rng.integers(0, 12))) for _ in range(50)]
    pairs = (predictions, references)
    assert text_utils.get_cer(*pairs) == pytest.approx(cer(*pairs))
    assert text_utils.get_wer(*pairs) == pytest.approx(wer(*pairs))
    assert cer(*pairs) > 0.1  # there are errors to agree on


def test_mltu_plain_functions_on_empty_references():
    """Where ours defines a value and mltu does not.

    With no reference characters, mltu's get_cer returns 0.0 even when the
    prediction has characters (every insertion is hidden), and get_wer raises
    ZeroDivisionError. Ours counts the insertions: 3 characters, 2 words.
    """
    text_utils = pytest.importorskip("mltu.utils.text_utils")
    assert text_utils.get_cer(["abc"], [""]) == 0.0
    assert cer(["abc"], [""]) == 3.0
    with pytest.raises(ZeroDivisionError):
        text_utils.get_wer(["a b"], [""])
    assert wer(["a b"], [""]) == 2.0
