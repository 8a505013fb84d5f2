"""Tests of the keras.ops edit-distance code and the CER/WER Keras metrics.

Answers come from hand-worked cases or from the plain functions in
``mltu_ext.evaluation.error_rates`` and ``mltu_ext.ctc.greedy`` on the same data.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from keras import ops

from mltu_ext.ctc.edit_distance_ops import (
    batch_edit_distance,
    compact_labels,
    greedy_ctc_collapse,
    words_as_ids,
)
from mltu_ext.ctc.greedy import greedy_decode, greedy_decode_indices
from mltu_ext.ctc.metrics import CharacterErrorRate, WordErrorRate
from mltu_ext.evaluation.error_rates import cer, edit_distance, wer

CHARS = " abc"  # space is index 0, the blank is index 4 (last)
SPACE = 0
BLANK = len(CHARS)
NUM_CLASSES = len(CHARS) + 1


def _np(x) -> np.ndarray:
    if isinstance(x, keras.Variable):
        x = ops.copy(x)  # np.array(tf.Variable) warns under numpy 2
    return ops.convert_to_numpy(x)


def _steps(paths, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """One-hot (B, T, C) probabilities whose best path is ``paths`` (B, T)."""
    return np.eye(num_classes, dtype="float32")[np.asarray(paths)]


def _pad(rows: list[list[int]], width: int) -> np.ndarray:
    out = np.full((len(rows), width), -1, dtype="int32")
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _encode(texts: list[str], width: int) -> np.ndarray:
    return _pad([[CHARS.index(c) for c in t] for t in texts], width)


def _random_batch(rng: np.random.Generator, batch: int, steps: int, width: int):
    """Best paths (B, T) rich in blanks, repeats and spaces, and labels (B, L)."""
    paths = rng.choice(NUM_CLASSES, size=(batch, steps), p=[0.2, 0.15, 0.15, 0.1, 0.4])
    paths = np.where(rng.random((batch, steps)) < 0.3, np.roll(paths, 1, axis=1), paths)
    texts = ["".join(rng.choice(list(CHARS), size=rng.integers(0, width + 1))) for _ in range(batch)]
    texts[0] = ""  # an empty reference in every batch
    return paths, texts


# --- greedy_ctc_collapse -------------------------------------------------------------


def test_collapse_hand_worked_cases():
    """Repeats merge, a blank between repeats keeps both, all-blank gives nothing."""
    b = BLANK
    paths = [
        [1, 1, 2, 2, 2, 3],  # "aabbbc" -> "abc"
        [1, b, 1, 1, b, b],  # "a-aa--" -> "aa"
        [b, b, b, b, b, b],  # nothing
        [b, 0, 0, b, 0, 2],  # "- space space - space b" -> "  b"
    ]
    tokens, lengths = greedy_ctc_collapse(_steps(paths), BLANK)
    assert _np(lengths).tolist() == [3, 2, 0, 3]
    assert _np(tokens).tolist() == [
        [1, 2, 3, -1, -1, -1],
        [1, 1, -1, -1, -1, -1],
        [-1] * 6,
        [0, 0, 2, -1, -1, -1],
    ]


def test_collapse_agrees_with_numpy_decoder():
    """Same tokens as the plain numpy greedy decoder on random paths."""
    rng = np.random.default_rng(3)
    paths, _ = _random_batch(rng, batch=32, steps=20, width=5)
    probs = _steps(paths) + rng.random((32, 20, NUM_CLASSES), dtype="float32") * 0.1
    tokens, lengths = greedy_ctc_collapse(probs, BLANK)
    tokens, lengths = _np(tokens), _np(lengths)
    expected = greedy_decode_indices(probs, BLANK)
    assert [row[:n].tolist() for row, n in zip(tokens, lengths, strict=True)] == expected
    assert (tokens[np.arange(20)[None, :] >= lengths[:, None]] == -1).all()


def test_compact_labels_drops_padding_anywhere():
    labels, lengths = compact_labels(np.array([[2, -1, 3, 1, -1], [-1, -1, -1, -1, -1]]))
    assert _np(labels).tolist() == [[2, 3, 1, -1, -1], [-1] * 5]
    assert _np(lengths).tolist() == [3, 0]


# --- batch_edit_distance -------------------------------------------------------------


def test_edit_distance_hand_worked_cases():
    """kitten/sitting = 3; empty vs non-empty = length; both empty = 0; past-length junk ignored."""
    words = ["kitten", "", "abc", "", "flaw", "same"]
    others = ["sitting", "abc", "", "", "lawn", "same"]
    alphabet = sorted(set("".join(words + others)))
    a = _pad([[alphabet.index(c) for c in w] for w in words], 9)
    b = _pad([[alphabet.index(c) for c in w] for w in others], 7)
    a[1, :] = 5  # junk past the length must not count
    a_len = [len(w) for w in words]
    b_len = [len(w) for w in others]
    expected = [3, 3, 3, 0, 2, 0]
    assert _np(batch_edit_distance(a, a_len, b, b_len)).tolist() == expected
    assert _np(batch_edit_distance(b, b_len, a, a_len)).tolist() == expected
    empty = np.zeros(2, dtype="int32")
    assert _np(batch_edit_distance(a[:2], empty, b[:2], empty)).tolist() == [0, 0]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_edit_distance_matches_plain_function(seed):
    """Random integer sequences of random lengths and widths, both argument orders."""
    rng = np.random.default_rng(seed)
    batch, width_a, width_b = 40, int(rng.integers(1, 12)), int(rng.integers(1, 12))
    a = rng.integers(0, 4, size=(batch, width_a)).astype("int32")
    b = rng.integers(0, 4, size=(batch, width_b)).astype("int32")
    a_len = rng.integers(0, width_a + 1, size=batch)
    b_len = rng.integers(0, width_b + 1, size=batch)
    expected = [
        edit_distance(list(x[:m]), list(y[:n])) for x, m, y, n in zip(a, a_len, b, b_len, strict=True)
    ]
    assert _np(batch_edit_distance(a, a_len, b, b_len)).tolist() == expected
    assert _np(batch_edit_distance(b, b_len, a, a_len)).tolist() == expected


def test_edit_distance_of_line_length_rows_runs_as_a_scan():
    """Past MAX_UNROLLED_ROWS on both sides the rows are a scan: same distances as the plain function."""
    from mltu_ext.ctc import edit_distance_ops

    rng = np.random.default_rng(5)
    rows = edit_distance_ops.MAX_UNROLLED_ROWS + 13  # not a multiple of ROW_UNROLL
    a = rng.integers(0, 5, size=(6, rows)).astype("int32")
    b = rng.integers(0, 5, size=(6, rows + 30)).astype("int32")
    a_len = np.array([rows, 0, 1, 40, rows - 1, 7])
    b_len = np.array([rows + 30, 3, 0, 40, rows - 20, 70])
    expected = [
        edit_distance(list(x[:m]), list(y[:n])) for x, m, y, n in zip(a, a_len, b, b_len, strict=True)
    ]
    assert _np(batch_edit_distance(a, a_len, b, b_len)).tolist() == expected
    assert _np(batch_edit_distance(b, b_len, a, a_len)).tolist() == expected


def test_edit_distance_with_unknown_widths_in_tf_graph():
    """tf.function with (B, None) inputs takes the dynamic-width path and still agrees."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("graph with unknown widths is a TensorFlow-backend case")
    import tensorflow as tf

    spec = tf.TensorSpec((None, None), tf.int32)
    length_spec = tf.TensorSpec((None,), tf.int32)
    run = tf.function(batch_edit_distance, input_signature=[spec, length_spec] * 2)
    rng = np.random.default_rng(7)
    a = rng.integers(0, 3, size=(16, 9)).astype("int32")
    b = rng.integers(0, 3, size=(16, 6)).astype("int32")
    a_len = rng.integers(0, 10, size=16).astype("int32")
    b_len = rng.integers(0, 7, size=16).astype("int32")
    expected = [
        edit_distance(list(x[:m]), list(y[:n])) for x, m, y, n in zip(a, a_len, b, b_len, strict=True)
    ]
    assert run(a, a_len, b, b_len).numpy().tolist() == expected

    # labels of unknown width inside the metrics (words_as_ids on a dynamic axis)
    paths, texts = _random_batch(rng, batch=16, steps=20, width=9)
    labels, probs = _encode(texts, 9), _steps(paths)
    for metric in (CharacterErrorRate(BLANK), WordErrorRate(BLANK, SPACE)):
        update = tf.function(
            metric.update_state,
            input_signature=[spec, tf.TensorSpec((None, 20, NUM_CLASSES), tf.float32)],
        )
        update(labels, probs)
        plain = cer if metric.name == "CER" else wer
        expected_rate = plain(greedy_decode(probs, CHARS), texts)
        assert float(metric.result()) == pytest.approx(expected_rate, rel=1e-6)


# --- words_as_ids --------------------------------------------------------------------


def test_words_as_ids_splits_on_runs_of_spaces():
    """Equal words share an id wherever they stand; extra spaces make no empty words."""
    texts = ["ab  ba ab ", "  ba", "", "   ", "abc ab"]
    ids, counts = words_as_ids(_encode(texts, 10), [len(t) for t in texts], SPACE, NUM_CLASSES)
    ids, counts = _np(ids), _np(counts)
    assert ids.shape == (5, 5)
    assert counts.tolist() == [len(t.split()) for t in texts]
    ab, ba = ids[0, 0], ids[0, 1]
    assert ab != ba
    assert ids[0, 2] == ab and ids[1, 0] == ba and ids[4, 1] == ab
    assert ids[4, 0] not in (ab, ba)  # "abc" is not "ab"


def test_words_as_ids_distinct_for_distinct_words():
    """Many distinct random words get distinct ids (ids wrap around int32 freely)."""
    rng = np.random.default_rng(11)
    words = {"".join(rng.choice(list("abc"), size=rng.integers(1, 9))) for _ in range(400)}
    words = sorted(words)
    tokens = _encode(words, 8)
    ids, counts = words_as_ids(tokens, [len(w) for w in words], SPACE, NUM_CLASSES)
    assert (_np(counts) == 1).all()
    assert len(set(_np(ids)[:, 0].tolist())) == len(words)


def test_words_as_ids_without_space_is_one_word():
    tokens = _encode(["a b", "a b", ""], 3)
    ids, counts = words_as_ids(tokens, [3, 3, 0], None, NUM_CLASSES)
    assert _np(counts).tolist() == [1, 1, 0]
    assert _np(ids)[0, 0] == _np(ids)[1, 0]
    assert _np(ids).shape == (3, 1)  # one word slot, so the word distance loops once


LOOP_CHECK = """
import jax, numpy as np
from mltu_ext.ctc.metrics import CharacterErrorRate, WordErrorRate
labels = np.full((8, 12), -1, np.int32); labels[:, :5] = 1
probs = np.full((8, 64, 5), 0.25, np.float32)
for metric in (CharacterErrorRate(4), WordErrorRate(4, 0), WordErrorRate(4, None)):
    text = str(jax.make_jaxpr(metric._edits_and_lengths)(labels, probs))
    print(metric.name, text.count("while["), text.count("scan["))
"""


@pytest.mark.jax
def test_metric_loops_are_straight_line_under_jax(tmp_path):
    """Under jax.jit the edit distances of CER and WER have no loop left.

    A while loop whose stop is computed on the device makes the host read the
    condition back at every iteration on a GPU (a wait each time), and a scan
    is still one launch per iteration.
    """
    from tests.conftest import run_jax

    stdout = run_jax(["-c", LOOP_CHECK], timeout=300)
    lines = [line.split() for line in stdout.splitlines()]
    assert [name for name, *_ in lines] == ["CER", "WER", "WER"]
    for name, whiles, scans in lines:
        assert int(whiles) == 0 and int(scans) == 0, (name, whiles, scans)


LONG_ROWS_CHECK = """
import json, sys
import jax, numpy as np
from mltu_ext.ctc.edit_distance_ops import batch_edit_distance
case = np.load(sys.argv[1])
run = jax.jit(batch_edit_distance)
text = str(jax.make_jaxpr(batch_edit_distance)(case["a"], case["a_len"], case["b"], case["b_len"]))
print(json.dumps({
    "distances": np.asarray(run(case["a"], case["a_len"], case["b"], case["b_len"])).tolist(),
    "scans": text.count("scan["),
}))
"""


@pytest.mark.jax
def test_edit_distance_of_line_length_rows_under_jax(tmp_path):
    """Under jax.jit a line's 100 rows are one scan, and the distances are the plain function's."""
    from tests.conftest import run_jax

    rng = np.random.default_rng(6)
    a = rng.integers(0, 5, size=(5, 100)).astype("int32")
    b = rng.integers(0, 5, size=(5, 256)).astype("int32")
    a_len = np.array([100, 0, 37, 99, 64])
    b_len = np.array([256, 12, 0, 120, 70])
    np.savez(tmp_path / "case.npz", a=a, a_len=a_len, b=b, b_len=b_len)
    result = json.loads(
        run_jax(["-c", LONG_ROWS_CHECK, str(tmp_path / "case.npz")], timeout=300).splitlines()[-1]
    )
    expected = [
        edit_distance(list(x[:m]), list(y[:n])) for x, m, y, n in zip(a, a_len, b, b_len, strict=True)
    ]
    assert result["distances"] == expected
    assert result["scans"] == 1


# --- metrics against the plain corpus functions ---------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_plain_corpus_rates(seed):
    """Over several batches CER/WER equal text_metrics.cer/wer on decoded strings.

    Lengths vary between samples, so a mean of per-sample rates would differ.
    """
    rng = np.random.default_rng(seed)
    char_metric, word_metric = CharacterErrorRate(BLANK), WordErrorRate(BLANK, SPACE)
    predictions: list[str] = []
    references: list[str] = []
    for _ in range(3):
        paths, texts = _random_batch(rng, batch=12, steps=24, width=12)
        probs = _steps(paths)
        labels = _encode(texts, 12)
        char_metric.update_state(labels, probs)
        word_metric.update_state(labels, probs)
        predictions += greedy_decode(probs, CHARS)
        references += texts
    assert float(char_metric.result()) == pytest.approx(cer(predictions, references), rel=1e-6)
    assert float(word_metric.result()) == pytest.approx(wer(predictions, references), rel=1e-6)
    per_sample = np.mean([cer([p], [r]) for p, r in zip(predictions, references, strict=True)])
    assert float(char_metric.result()) != pytest.approx(per_sample)


def test_metric_with_no_reference_characters_counts_edits():
    """Empty references: the result is the number of edits, as text_metrics.cer gives."""
    metric = CharacterErrorRate(BLANK)
    metric.update_state(_pad([[], []], 3), _steps([[1, 2, BLANK], [BLANK] * 3]))
    assert float(metric.result()) == cer(["ab", ""], ["", ""]) == 2.0


def test_sample_weight_scales_edits_and_lengths():
    """Weighted corpus CER: sum(w * edits) / sum(w * length)."""
    metric = CharacterErrorRate(BLANK)
    labels = _encode(["ab", "abc"], 3)
    probs = _steps([[1, BLANK, 3], [1, 2, 3]])  # "ac" vs "ab": 1 edit; "abc" exact
    metric.update_state(labels, probs, sample_weight=np.array([3.0, 1.0]))
    assert float(metric.result()) == pytest.approx(3 * 1 / (3 * 2 + 1 * 3))


def test_reset_state_zeroes_tracked_state():
    """The state is Keras-tracked (metric.variables) and reset_state() zeroes it."""
    for metric in (CharacterErrorRate(BLANK), WordErrorRate(BLANK, SPACE)):
        assert len(metric.variables) == 2
        metric.update_state(_encode(["ab c"], 4), _steps([[1, BLANK, 2]]))
        assert float(metric.result()) > 0
        metric.reset_state()
        assert [float(_np(v)) for v in metric.variables] == [0.0, 0.0]
        assert float(metric.result()) == 0.0


def test_get_config_round_trip():
    for metric in (CharacterErrorRate(7, name="cer_x"), WordErrorRate(7, None)):
        clone = type(metric).from_config(metric.get_config())
        assert clone.get_config() == metric.get_config()
    assert WordErrorRate(7, 2).get_config()["space_index"] == 2
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(WordErrorRate(4, 0)))
    assert isinstance(restored, WordErrorRate) and restored.space_index == 0


# --- inside model.fit ------------------------------------------------------------------

SEQ_STEPS, LABEL_WIDTH = 16, 8


def _frame_targets(y_true):
    """(B, L) labels -> (B, 2L) frames: each character then a blank (padding -> blank)."""
    chars = ops.where(y_true >= 0, y_true, BLANK)
    frames = ops.stack([chars, ops.full_like(chars, BLANK)], axis=-1)  # B,L,2
    return ops.reshape(frames, (-1, 2 * LABEL_WIDTH))


def _frame_loss(y_true, y_pred):
    """Cross-entropy against fixed frames: cheap, XLA-friendly, and it changes the model."""
    target = ops.one_hot(_frame_targets(ops.cast(y_true, "int32")), NUM_CLASSES)
    return keras.losses.categorical_crossentropy(target, y_pred)


def _data(rng: np.random.Generator, count: int, noise: float):
    texts = ["".join(rng.choice(list(CHARS), size=rng.integers(1, LABEL_WIDTH + 1))) for _ in range(count)]
    labels = _encode(texts, LABEL_WIDTH)
    frames = _np(_frame_targets(labels))
    x = np.eye(NUM_CLASSES, dtype="float32")[frames]
    x += rng.normal(0, noise, x.shape).astype("float32")
    return x, labels, texts


class _PlainRatesAtEpochEnd(keras.callbacks.Callback):
    """Records logged val_CER/val_WER and the plain rates from model.predict."""

    def __init__(self, x_val, texts_val):
        super().__init__()
        self.x_val, self.texts_val = x_val, texts_val
        self.rows: list[tuple[float, float, float, float]] = []

    def on_epoch_end(self, epoch, logs=None):
        decoded = greedy_decode(self.model.predict(self.x_val, verbose=0), CHARS)
        self.rows.append(
            (
                logs["val_CER"],
                cer(decoded, self.texts_val),
                logs["val_WER"],
                wer(decoded, self.texts_val),
            )
        )


# Keras' own model.save() converts tf.Variables with np.array(), which numpy 2 flags
KERAS_SAVE_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword"


@pytest.mark.slow
@pytest.mark.filterwarnings(KERAS_SAVE_WARNING)
@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_logs_per_epoch_validation_rates(jit_compile, tmp_path):
    """Logged val_CER/val_WER each epoch equal the plain corpus rates of model.predict.

    An accumulating metric (mltu's) would mix earlier epochs and the training
    batches into the validation number. jit_compile=True runs the metric under
    XLA with the TensorFlow backend. Without jit the model also saves and
    reloads with its compiled metrics and evaluates to the same numbers.
    """
    if jit_compile and keras.backend.backend() != "tensorflow":
        pytest.skip("jit_compile=True is checked with the TensorFlow backend")
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    x_train, y_train, _ = _data(rng, 32, noise=1.5)
    x_val, y_val, texts_val = _data(rng, 24, noise=1.0)
    model = keras.Sequential(
        [
            keras.Input((SEQ_STEPS, NUM_CLASSES)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=_frame_loss,
        metrics=[CharacterErrorRate(BLANK), WordErrorRate(BLANK, SPACE)],
        jit_compile=jit_compile,
    )
    recorder = _PlainRatesAtEpochEnd(x_val, texts_val)
    model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        batch_size=8,
        epochs=2,
        callbacks=[recorder],
        verbose=0,
    )
    assert len(recorder.rows) == 2
    for logged_cer, plain_cer, logged_wer, plain_wer in recorder.rows:
        assert logged_cer == pytest.approx(plain_cer, rel=1e-5)
        assert logged_wer == pytest.approx(plain_wer, rel=1e-5)
    # the model changed between epochs, so "equal each epoch" is a real check
    assert recorder.rows[0][1] != recorder.rows[1][1]
    if jit_compile:
        return  # the save/load round trip below needs no second XLA compile

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"_frame_loss": _frame_loss})
    expected = model.evaluate(x_val, y_val, batch_size=8, verbose=0, return_dict=True)
    again = loaded.evaluate(x_val, y_val, batch_size=8, verbose=0, return_dict=True)
    assert again["CER"] == pytest.approx(expected["CER"]) == pytest.approx(recorder.rows[-1][1])
    assert again["WER"] == pytest.approx(expected["WER"])
