"""Recognise a page's lines: cut each by its outline, read it, put its words and characters on the page."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.data.line_crop import crop_bounds, crop_polygon
from mltu_ext.pages.layout import LineOnPage, PageText
from mltu_ext.pages.positions import place_reading
from mltu_ext.pages.reading_order import reading_order

if TYPE_CHECKING:
    from mltu_ext.inference.recognizer import OnnxRecognizer


def crop_box(page: np.ndarray, line: LineOnPage) -> tuple[float, float, float, float]:
    """The box :func:`crop_polygon` cuts for ``line`` (its outline's box clipped to the page)."""
    x0, y0, x1, y1 = crop_bounds(page.shape, line.polygon)
    return (float(x0), float(y0), float(x1), float(y1))


def read_lines(
    page: np.ndarray, lines: Sequence[LineOnPage], recognizer: OnnxRecognizer, batch_size: int = 16
) -> list[LineOnPage]:
    """``lines`` of the grayscale ``page`` (H, W) with their texts, words and characters.

    ``recognizer`` is an :class:`~mltu_ext.inference.recognizer.OnnxRecognizer`
    (its ``read``, ``height`` and ``time_scale`` are used).
    """
    crops = [crop_polygon(page, line.polygon) for line in lines]
    readings = recognizer.read(crops, batch_size=batch_size)
    done = []
    for line, reading in zip(lines, readings, strict=True):
        chars, words = place_reading(
            reading, crop_box(page, line), line.baseline, recognizer.height, recognizer.time_scale
        )
        done.append(
            dataclasses.replace(
                line, text=reading.text, confidence=reading.confidence, words=words, chars=chars
            )
        )
    return done


def read_page(
    page: np.ndarray,
    lines: Sequence[LineOnPage],
    recognizer: OnnxRecognizer,
    image_name: str,
    batch_size: int = 16,
) -> PageText:
    """The page's lines read and put in reading order."""
    read = read_lines(page, lines, recognizer, batch_size)
    height, width = page.shape[:2]
    return PageText(image_name, int(width), int(height), tuple(reading_order(read)))
