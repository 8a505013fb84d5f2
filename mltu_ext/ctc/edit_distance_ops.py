"""Greedy CTC collapse and batched edit distance written with keras.ops only.

Nothing here calls TensorFlow, JAX or PyTorch directly, so the same code runs
inside a compiled train step (tf.function, XLA, jax.jit) under any Keras 3
backend. Sequences are int32 (B, N) arrays whose first ``length`` entries hold
the data; what lies past the length is never read as data. All shapes that
Python loops over are static when the inputs' shapes are.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from keras import ops

from mltu_ext.data.vocabulary import LABEL_PAD

PAD = LABEL_PAD  # fill value after the data in (B, N) sequences
_BIG = 2**30  # "infinity" in int32 distance rows: far above any real distance, no overflow

# Word ids index a fixed table by (position in word, character). Positions wrap
# past this many characters, see words_as_ids.
_WORD_POSITIONS = 64

# A static row axis up to this long is unrolled in Python (words: 16-40 rows); a
# line's 100-odd rows unrolled made the CER/WER part of every compiled step
# several times the size of the rest, compiled once per batch width, so longer
# axes run as a scan of ROW_UNROLL rows a turn (benchmarks/line_model/ctc_speed.py).
MAX_UNROLLED_ROWS = 64
ROW_UNROLL = 8
_WORD_TABLE_SEED = 20240611


def compact(values: Any, keep: Any) -> tuple[Any, Any]:
    """Move the kept entries of each row to the left, in their order.

    Args:
        values: (B, N) tensor of any dtype.
        keep: (B, N) bool mask.

    Returns:
        (packed (B, N) with ``PAD`` after the kept entries, counts (B,) int32).

    >>> packed, n = compact(np.array([[5, 6, 7, 8]]), np.array([[False, True, False, True]]))
    >>> ops.convert_to_numpy(packed).tolist(), ops.convert_to_numpy(n).tolist()
    ([[6, 8, -1, -1]], [2])
    """
    n = _axis_length(values, 1)
    positions = ops.arange(n, dtype="int32")[None, :]  # 1,N
    # Every key is unique (kept: position, dropped: N + position), so any sort,
    # stable or not, puts the kept entries first in their original order.
    key = ops.where(keep, positions, positions + n)  # B,N
    order = ops.argsort(key, axis=1)  # B,N
    packed = ops.take_along_axis(ops.where(keep, values, PAD), order, axis=1)
    return packed, ops.sum(ops.cast(keep, "int32"), axis=1)


def greedy_ctc_collapse(y_pred: Any, blank_index: int) -> tuple[Any, Any]:
    """Best-path CTC tokens: argmax per step, merge repeats, drop blanks.

    Args:
        y_pred: (B, T, C) probabilities or logits.
        blank_index: class index of the CTC blank (C - 1 in this package).

    Returns:
        (tokens (B, T) int32 padded with -1, lengths (B,) int32).

    "a a - a" gives "a a" (the blank separates two letters), "a a a" gives "a".
    """
    best = ops.cast(ops.argmax(y_pred, axis=-1), "int32")  # B,T,C -> B,T
    before = ops.pad(best[:, :-1], [[0, 0], [1, 0]], constant_values=PAD)  # B,T: step t-1
    keep = ops.logical_and(ops.not_equal(best, before), ops.not_equal(best, blank_index))
    return compact(best, keep)


def compact_labels(y_true: Any) -> tuple[Any, Any]:
    """Labels padded with negative values -> (labels (B, L) int32, lengths (B,)).

    Negative entries are padding wherever they are, so a stray -1 inside a
    label is dropped rather than counted as a character.
    """
    y_true = ops.cast(y_true, "int32")
    return compact(y_true, ops.greater_equal(y_true, 0))


def batch_edit_distance(a: Any, a_len: Any, b: Any, b_len: Any) -> Any:
    """Levenshtein distance between ``a[i, :a_len[i]]`` and ``b[i, :b_len[i]]`` per row.

    Args:
        a: (B, Na) ids; entries are compared by equality only (any dtype that
            matches ``b``).
        a_len: (B,) lengths, clipped to [0, Na].
        b: (B, Nb) ids.
        b_len: (B,) lengths, clipped to [0, Nb].

    Returns:
        (B,) int32 distances (unit cost for insert, delete and substitute).

    The table d[i][j] (distance between the first i items of the "row"
    sequence and the first j of the "column" sequence) is built one row at a
    time; each row is computed for all columns and all batch items at once:

        x[0] = i,  x[j] = min(d[i-1][j] + 1, d[i-1][j-1] + cost(i, j))
        d[i][j] = min over k <= j of (x[k] + j - k) = j + cummin_k(x[k] - k)

    (the second line folds in the insertions along the row). The running
    minimum takes log2(Nb + 1) shifted minimums. Row ``a_len`` and column
    ``b_len`` give each batch item's answer.

    A static row axis of up to MAX_UNROLLED_ROWS is unrolled in Python over
    all its rows (rows past an item's length leave its answer alone):
    straight-line code that a GPU runs without the host in the loop; a
    longer one is a scan of ROW_UNROLL rows a turn, which compiles in a
    fraction of the time. A loop that stops at a length computed
    on the device would make the host copy the condition back and wait for it
    at every iteration, and even a fixed-count loop is one launch per row.
    Only an axis whose length is unknown until the graph runs is a loop that
    stops at the longest row.
    """
    # The distance is symmetric: put the longer static axis on the columns,
    # which run in parallel, and the shorter one on the sequential rows.
    if _prefer_as_columns(a, b):
        a, a_len, b, b_len = b, b_len, a, a_len
    rows_max = _axis_length(a, 1)
    cols_max = _axis_length(b, 1)
    a_len = ops.clip(ops.cast(a_len, "int32"), 0, rows_max)  # B
    b_len = ops.clip(ops.cast(b_len, "int32"), 0, cols_max)  # B
    cols = ops.arange(cols_max + 1, dtype="int32")[None, :]  # 1,Nb+1
    first_row = ops.zeros_like(b_len)[:, None] + cols  # B,Nb+1: d[0][j] = j
    b_end = b_len[:, None]  # B,1: column holding each item's answer

    def next_row(i, state):
        row, answer = state  # row: B,Nb+1 holds d[i]; answer: B
        item = ops.take(a, i, axis=1)  # B: item i of the row sequence
        cost = ops.cast(ops.not_equal(item[:, None], b), "int32")  # B,Nb
        from_diagonal = row[:, :-1] + cost  # B,Nb: d[i][j-1] + cost, j = 1..Nb
        from_above = row[:, 1:] + 1  # B,Nb: d[i][j] + 1
        x_first = ops.zeros_like(row[:, :1]) + (i + 1)  # B,1: d[i+1][0]
        x = ops.concatenate([x_first, ops.minimum(from_diagonal, from_above)], axis=1)
        row = cols + _cummin(x - cols)  # B,Nb+1: d[i+1]
        here = ops.take_along_axis(row, b_end, axis=1)[:, 0]  # B
        answer = ops.where(ops.equal(a_len, i + 1), here, answer)
        return row, answer

    # Items with a_len == 0 keep the start value: distance = b_len.
    state = (first_row, b_len)
    if not isinstance(rows_max, int):
        _, answer = ops.fori_loop(0, ops.max(a_len), next_row, state)
        return answer
    if rows_max > MAX_UNROLLED_ROWS:

        def scan_row(state, i):
            return next_row(i, state), None

        state, _ = ops.scan(scan_row, state, ops.arange(rows_max, dtype="int32"), unroll=ROW_UNROLL)
        return state[1]
    for i in range(rows_max):
        state = next_row(i, state)
    return state[1]


def words_as_ids(tokens: Any, lengths: Any, space_index: int | None, num_symbols: int) -> tuple[Any, Any]:
    """Turn character sequences into sequences of word ids.

    Words are runs of non-space characters; several spaces in a row, and
    spaces at either end, make no empty words. Equal words get equal ids, so
    ``batch_edit_distance`` on the ids is the word-level edit distance.

    Args:
        tokens: (B, N) character indices (only the first ``lengths`` are read).
        lengths: (B,) int.
        space_index: index of the space character, or None when the vocabulary
            has none (then each non-empty sequence is one word).
        num_symbols: size of the character index range (characters + blank);
            both sides of a comparison must use the same value.

    Returns:
        (word_ids (B, W) int32 with 0 after the words, word_lengths (B,) int32),
        where W = 1 without a space (one word at most), else (N + 1) // 2
        when N is static (the most words N characters can hold), else N.
        The word-level ``batch_edit_distance`` loops over W.

    A word's id is the int32 sum, wrapping modulo 2**32, of table[k, c] over
    its characters c at positions k (k counted from 0 within the word) in a
    fixed table of uniform random 32-bit values. Two different words of at most
    64 characters differ in at least one (k, c) cell that only one of them
    uses, so over the choice of table their ids are equal with probability
    exactly 2**-32. A sample with Wa predicted and Wb reference words is
    scored wrong with probability at most Wa * Wb * 2**-32 (about 2e-7 for
    32 words each), and then only by being credited with a match it did not
    make. Words longer than 64 characters reuse table rows (k mod 64).
    """
    n = _axis_length(tokens, 1)
    tokens = ops.cast(tokens, "int32")
    positions = ops.arange(n, dtype="int32")[None, :]  # 1,N
    is_char = ops.less(positions, ops.cast(lengths, "int32")[:, None])  # B,N
    if space_index is not None:
        is_char = ops.logical_and(is_char, ops.not_equal(tokens, space_index))
    char_before = ops.pad(is_char[:, :-1], [[0, 0], [1, 0]], constant_values=False)
    char_after = ops.pad(is_char[:, 1:], [[0, 0], [0, 1]], constant_values=False)
    starts = ops.logical_and(is_char, ops.logical_not(char_before))  # B,N
    ends = ops.logical_and(is_char, ops.logical_not(char_after))  # B,N

    # Position inside the word: distance back to the latest word start
    # (a running maximum of start positions, as minus the running minimum).
    last_start = -_cummin(ops.where(starts, -positions, 1))  # B,N
    in_word = ops.mod(positions - last_start, _WORD_POSITIONS)  # B,N
    symbol = ops.clip(tokens, 0, num_symbols - 1)
    table = ops.convert_to_tensor(_word_table(num_symbols))  # 64*C flat, int32
    cells = ops.take(table, in_word * num_symbols + symbol)  # B,N
    cells = ops.where(is_char, cells, 0)
    # Spaces add nothing, so a word's id is the running sum at its last
    # character minus the running sum at the previous word's last character.
    # Differences of wrapped int32 sums are exact modulo 2**32.
    running = ops.cast(ops.cumsum(cells, axis=1), "int32")  # B,N
    at_ends, count = compact(running, ends)  # B,N; first `count` entries valid
    if space_index is None:
        at_ends = at_ends[:, :1]  # B,1
    elif isinstance(n, int):
        at_ends = at_ends[:, : (n + 1) // 2]  # B,W
    before = ops.pad(at_ends[:, :-1], [[0, 0], [1, 0]], constant_values=0)
    word_slots = ops.arange(_axis_length(at_ends, 1), dtype="int32")[None, :]  # 1,W
    ids = ops.where(ops.less(word_slots, count[:, None]), at_ends - before, 0)
    return ids, count


def _cummin(x):
    """Running minimum along axis 1 of an int32 (B, N) tensor (Hillis-Steele scan)."""
    n = x.shape[1]
    if n is None:
        return _cummin_dynamic(x)
    shift = 1
    while shift < n:
        # after this step x[j] = min of the inputs in the window (j - 2*shift, j]
        shifted = ops.pad(x[:, :-shift], [[0, 0], [shift, 0]], constant_values=_BIG)
        x = ops.minimum(x, shifted)
        shift *= 2
    return x


def _cummin_dynamic(x):
    """_cummin for an axis whose length is only known when the graph runs."""
    n = ops.shape(x)[1]
    back = ops.arange(n, dtype="int32")[None, :]  # 1,N
    index_shape = ops.shape(x)

    def step(shift, x):
        source = back - shift  # 1,N
        index = ops.broadcast_to(ops.maximum(source, 0), index_shape)
        shifted = ops.where(source >= 0, ops.take_along_axis(x, index, axis=1), _BIG)
        return shift * 2, ops.minimum(x, shifted)

    _, x = ops.while_loop(lambda shift, x: shift < n, step, (ops.ones((), "int32"), x))
    return x


def _axis_length(x, axis: int):
    """Static length of ``axis`` when known, else a scalar tensor."""
    n = x.shape[axis]
    return n if n is not None else ops.shape(x)[axis]


def _prefer_as_columns(a, b) -> bool:
    """True when ``a`` should run along the columns (the parallel axis)."""
    na, nb = a.shape[1], b.shape[1]
    if na is None or nb is None:
        return nb is None and na is not None  # a static axis keeps the scan unrolled
    return na > nb


@functools.lru_cache(maxsize=8)
def _word_table(num_symbols: int) -> np.ndarray:
    """Fixed uniform random int32 table (64 * num_symbols,), built on first use."""
    rng = np.random.default_rng(_WORD_TABLE_SEED)
    table = rng.integers(0, 2**32, size=_WORD_POSITIONS * num_symbols, dtype=np.uint64)
    return table.astype(np.uint32).view(np.int32)
