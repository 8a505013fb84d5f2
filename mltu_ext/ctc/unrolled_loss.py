"""CTC loss as ``keras.ops`` code: the time loop unrolled in Python, or in chunks of a scan.

Keras' JAX ``ctc_loss`` runs its forward recursion as a ``lax.scan`` over the
time steps. On a GPU each scan iteration is a separate launch from the host
(forward and again backward), which made the CTC loss the largest host cost
of this recogniser's training step (``benchmarks/gpu_training/GPU_NOTES.md``). With the
loop unrolled, the compiler sees one straight block that it fuses and
launches as a whole. ``CTCLoss`` uses it under the JAX backend, where the
time axis is static; TensorFlow keeps its native CTC kernel. Line-length
outputs take ``ctc_loss_scan``: the same recursion as a scan that runs
several frames a turn, which compiles in seconds at any length.

The recursion runs over the usual extended label (a blank before, between
and after the characters: S = 2L + 1 states) in log space, with a large
finite negative number instead of minus infinity so that gradients stay
finite for unreachable states.
"""

from __future__ import annotations

from typing import Any

from keras import ops

_NEG = -1e30  # log of "impossible": finite, so exp and gradients stay defined


def _logsumexp3(a, b, c):
    """log(exp(a) + exp(b) + exp(c)) elementwise, stable for very negative inputs."""
    top = ops.maximum(ops.maximum(a, b), c)
    return top + ops.log(ops.exp(a - top) + ops.exp(b - top) + ops.exp(c - top))


def _shift_right(x, by: int):
    """x[:, s - by] at state s (B, S); the first ``by`` states get _NEG."""
    return ops.pad(x[:, :-by], [[0, 0], [by, 0]], constant_values=_NEG)


def _ctc_start(labels, label_length, log_probs, blank_index: int):
    """What both forms of the recursion need: per-frame emissions, skips and frame 0's alpha.

    Returns (emit (B, T, S), skip (B, S) bool, alpha (B, S) for frame 0), S = 2L + 1.
    """
    steps = log_probs.shape[1]
    labels = ops.cast(labels, "int32")
    batch = ops.shape(labels)[0]
    width = labels.shape[1]
    blanks = ops.full((batch, width), blank_index, dtype="int32")
    # B,2L: blank, c1, blank, c2, ...; then the closing blank: B,S
    extended = ops.reshape(ops.stack([blanks, labels], axis=2), (batch, 2 * width))
    extended = ops.concatenate([extended, blanks[:, :1]], axis=1)  # B,S
    # log-probability of each state's symbol at every frame: B,T,S
    emit = ops.take_along_axis(
        log_probs, ops.broadcast_to(extended[:, None, :], (batch, steps, 2 * width + 1)), axis=2
    )
    # a character state may skip the blank before it unless it repeats the character two states back
    states = ops.arange(2 * width + 1, dtype="int32")[None, :]  # 1,S
    before = ops.pad(extended[:, :-2], [[0, 0], [2, 0]], constant_values=blank_index)  # B,S
    skip = ops.logical_and(ops.equal(states % 2, 1), ops.not_equal(extended, before))  # B,S
    # frame 0: only the leading blank or the first character
    alpha = ops.where(ops.less(states, 2), emit[:, 0, :], _NEG)  # B,S
    return emit, skip, alpha


def _ctc_advance(alpha, emit_t, skip):
    """Alpha of the next frame (B, S) from this frame's (B, S) and the next frame's emissions."""
    stay = alpha
    step = _shift_right(alpha, 1)
    jump = ops.where(skip, _shift_right(alpha, 2), _NEG)
    return _logsumexp3(stay, step, jump) + emit_t


def _ctc_finish(alpha, label_length):
    """-log p(label) (B,) from the last alpha: a path ends on the last character or the blank after."""
    label_length = ops.cast(label_length, "int32")
    last = (2 * label_length)[:, None]  # B,1
    end_blank = ops.take_along_axis(alpha, last, axis=1)[:, 0]
    end_char = ops.take_along_axis(alpha, ops.maximum(last - 1, 0), axis=1)[:, 0]
    end_char = ops.where(ops.greater(label_length, 0), end_char, _NEG)
    return -ops.logaddexp(end_blank, end_char)


def ctc_loss_unrolled(labels: Any, label_length: Any, log_probs: Any, blank_index: int) -> Any:
    """Per-sample CTC loss -log p(label | frames), every sample using all T frames.

    Args:
        labels: (B, L) int class indices; entries at or past ``label_length``
            are ignored (any valid index).
        label_length: (B,) int number of characters per row, 0..L.
        log_probs: (B, T, C) float32 log-probabilities; T must be static.
        blank_index: class index of the CTC blank.

    Returns:
        (B,) float32 losses.
    """
    steps = log_probs.shape[1]
    if steps is None:
        raise ValueError("ctc_loss_unrolled needs a static number of time steps")
    emit, skip, alpha = _ctc_start(labels, label_length, log_probs, blank_index)
    for t in range(1, steps):
        alpha = _ctc_advance(alpha, emit[:, t, :], skip)
    return _ctc_finish(alpha, label_length)


def ctc_loss_scan(labels: Any, label_length: Any, log_probs: Any, blank_index: int, unroll: int = 16) -> Any:
    """The same loss as ``ctc_loss_unrolled``, its time loop a scan unrolled ``unroll`` frames a turn.

    For line-length outputs (hundreds of frames), where the fully unrolled
    graph takes minutes to compile and Keras' ``ctc_loss`` (a scan of one
    frame a turn) launches each frame separately on a GPU, forward and
    backward. Arguments and result as for ``ctc_loss_unrolled``.
    """
    steps = log_probs.shape[1]
    if steps is None:
        raise ValueError("ctc_loss_scan needs a static number of time steps")
    emit, skip, alpha = _ctc_start(labels, label_length, log_probs, blank_index)
    if steps > 1:
        frames = ops.transpose(emit[:, 1:, :], (1, 0, 2))  # T-1,B,S: the scan runs over the first axis

        def advance(carry, emit_t):
            new = _ctc_advance(carry, emit_t, skip)
            return new, None

        alpha, _ = ops.scan(advance, alpha, frames, unroll=max(1, min(int(unroll), steps - 1)))
    return _ctc_finish(alpha, label_length)
