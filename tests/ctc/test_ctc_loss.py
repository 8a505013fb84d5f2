"""CTC loss: the unrolled and the chunked-scan recursions against TensorFlow's CTC and Keras' JAX CTC."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from mltu_ext.ctc.unrolled_loss import ctc_loss_scan, ctc_loss_unrolled
from tests.conftest import run_jax

BLANK = 4


def _case(seed: int = 0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(6, 20, 5)).astype("float32")  # B,T,C
    labels = rng.integers(0, BLANK, size=(6, 6)).astype("int32")  # B,L
    labels[0, :3] = [1, 1, 2]  # a doubled character needs a blank between
    lengths = np.array([6, 3, 1, 0, 5, 2], "int32")  # full, short, one, empty
    return logits, labels, lengths


def test_unrolled_ctc_matches_tensorflow_values_and_gradients():
    logits, labels, lengths = _case()
    z = tf.Variable(logits)
    with tf.GradientTape(persistent=True) as tape:
        log_probs = tf.nn.log_softmax(z)
        ours = ctc_loss_unrolled(labels, lengths, log_probs, BLANK)
        native = ops.ctc_loss(labels, log_probs, lengths, np.full(6, 20, "int32"), mask_index=BLANK)
        ours_sum, native_sum = tf.reduce_sum(ours), tf.reduce_sum(native)
    np.testing.assert_allclose(ours.numpy(), native.numpy(), rtol=1e-5)
    # gradients with respect to the logits before the softmax, as in the model
    np.testing.assert_allclose(tape.gradient(ours_sum, z), tape.gradient(native_sum, z), atol=1e-5)


@pytest.mark.parametrize("unroll", [1, 3, 8, 64])
def test_scan_ctc_matches_tensorflow_values_and_gradients(unroll):
    """Chunks that divide the 19 later frames or not, and one longer than all of them."""
    logits, labels, lengths = _case(2)
    z = tf.Variable(logits)
    with tf.GradientTape(persistent=True) as tape:
        log_probs = tf.nn.log_softmax(z)
        ours = ctc_loss_scan(labels, lengths, log_probs, BLANK, unroll=unroll)
        native = ops.ctc_loss(labels, log_probs, lengths, np.full(6, 20, "int32"), mask_index=BLANK)
        ours_sum, native_sum = tf.reduce_sum(ours), tf.reduce_sum(native)
    np.testing.assert_allclose(ours.numpy(), native.numpy(), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(ours_sum, z), tape.gradient(native_sum, z), atol=1e-5)


def test_unrolled_ctc_impossible_label_is_huge_not_nan():
    """A label longer than the frames allow has no path: a huge finite loss, finite gradients."""
    z = tf.Variable(np.zeros((1, 3, 5), "float32"))
    with tf.GradientTape() as tape:
        loss = ctc_loss_unrolled(np.array([[1, 1, 1]]), np.array([3]), tf.nn.log_softmax(z), BLANK)
    assert float(loss[0]) > 1e20
    assert np.isfinite(tape.gradient(loss, z).numpy()).all()


def test_unrolled_ctc_needs_static_time_steps():
    run = tf.function(
        lambda x: ctc_loss_unrolled(np.zeros((1, 2), "int32"), np.array([2]), x, BLANK),
        input_signature=[tf.TensorSpec((1, None, 5), tf.float32)],
    )
    with pytest.raises(ValueError, match="static number of time steps"):
        run.get_concrete_function()


JAX_CHECK = """
import json, re, sys
import jax, jax.numpy as jnp, numpy as np
from keras import ops
from mltu_ext.ctc.loss import CTCLoss
case = np.load(sys.argv[1])
logits, labels, lengths = case["logits"], case["labels"], case["lengths"]
padded = np.where(np.arange(labels.shape[1])[None, :] < lengths[:, None], labels, -1)
loss = CTCLoss(blank_index=4, reduction=None)

def ours(z):
    return loss(padded, jax.nn.softmax(z)).sum()

def keras_scan(z):  # Keras' own JAX CTC (a lax.scan over time)
    log_probs = jnp.log(jnp.clip(jax.nn.softmax(z), 1e-7, 1.0))
    return ops.ctc_loss(labels, log_probs, lengths, np.full(len(z), z.shape[1]), mask_index=4).sum()

text = str(jax.make_jaxpr(jax.grad(ours))(logits))
result = {
    "loss": [float(ours(logits)), float(keras_scan(logits))],
    "grad_diff": float(jnp.abs(jax.grad(ours)(logits) - jax.grad(keras_scan)(logits)).max()),
    "scans": text.count("scan["),
}
# a line-length output (past MAX_UNROLLED_STEPS): the chunked scan
long = np.tile(logits, (1, 8, 1))  # B,160,C
long_text = str(jax.make_jaxpr(jax.grad(ours))(long))
result.update(
    long_loss=[float(ours(long)), float(keras_scan(long))],
    long_grad_diff=float(jnp.abs(jax.grad(ours)(long) - jax.grad(keras_scan)(long)).max()),
    long_scans=long_text.count("scan["),
    long_unroll=[int(n) for n in re.findall(r"unroll=(\\d+)", long_text)],
)
print(json.dumps(result))
"""


@pytest.mark.slow
@pytest.mark.jax
def test_ctc_loss_under_jax_is_unrolled_and_agrees_with_keras(tmp_path):
    logits, labels, lengths = _case(1)
    np.savez(tmp_path / "case.npz", logits=logits, labels=labels, lengths=lengths)
    stdout = run_jax(["-c", JAX_CHECK, str(tmp_path / "case.npz")], timeout=300)
    result = json.loads(stdout.strip().splitlines()[-1])
    ours, keras_scan = result["loss"]
    assert ours == pytest.approx(keras_scan, rel=1e-4)
    assert result["grad_diff"] < 1e-4
    assert result["scans"] == 0  # no loop over time left in the loss or its gradient
    # 160 frames: one scan forward (and its transpose backward), 16 frames a turn
    ours, keras_scan = result["long_loss"]
    assert ours == pytest.approx(keras_scan, rel=1e-4)
    assert result["long_grad_diff"] < 1e-4
    assert result["long_scans"] >= 1
    assert set(result["long_unroll"]) == {16}
