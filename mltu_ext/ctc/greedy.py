"""Greedy (best path) CTC decoding on numpy arrays."""

from __future__ import annotations

import numpy as np


def greedy_decode_indices(probs: np.ndarray, blank_index: int) -> list[list[int]]:
    """Best-path label indices for each row of ``probs`` (B, T, C).

    Takes the argmax at each step, merges repeats, then drops blanks, so
    "a a - a" gives "aa" and "a a a" gives "a".
    """
    if probs.ndim != 3:
        raise ValueError(f"expected (batch, time, classes) probabilities, got {probs.shape}")
    best = np.argmax(probs, axis=-1)  # B,T
    # keep a step when it differs from the one before it and is not the blank
    keep = np.ones_like(best, dtype=bool)
    keep[:, 1:] = best[:, 1:] != best[:, :-1]
    keep &= best != blank_index
    return [row[mask].tolist() for row, mask in zip(best, keep, strict=True)]


def greedy_decode(probs: np.ndarray, chars: str, blank_index: int | None = None) -> list[str]:
    """Best-path texts for a batch of CTC outputs (B, T, C).

    ``blank_index`` defaults to ``len(chars)`` (blank last).
    """
    blank = len(chars) if blank_index is None else blank_index
    return [
        "".join(chars[i] if i < blank else chars[i - 1] for i in row)
        for row in greedy_decode_indices(probs, blank)
    ]
