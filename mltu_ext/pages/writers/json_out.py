"""A read page as JSON: per line its outline, baseline, text and confidence, its words and characters."""

from __future__ import annotations

import json

from mltu_ext.pages.layout import LineOnPage, PageText

JSON_VERSION = 1


def line_dict(line: LineOnPage) -> dict:
    """One line as plain JSON values (coordinates in page pixels)."""
    return {
        "id": line.line_id,
        "block": line.block_id,
        "polygon": [list(p) for p in line.polygon],
        "baseline": [list(p) for p in line.baseline] if line.baseline else None,
        "text": line.text,
        "confidence": round(line.confidence, 4),
        "words": [
            {"text": w.text, "confidence": round(w.confidence, 4), "box": list(w.box)} for w in line.words
        ],
        "chars": [
            {"char": c.char, "confidence": round(c.confidence, 4), "x": c.x, "y": c.y} for c in line.chars
        ],
    }


def page_dict(page: PageText) -> dict:
    """The whole page as plain JSON values, its lines in reading order."""
    return {
        "format": "mltu_ext page",
        "version": JSON_VERSION,
        "image": page.image,
        "width": page.width,
        "height": page.height,
        "text": page.text,
        "notes": list(page.notes),  # why the page may have read badly (pages/page_checks.py)
        "lines": [line_dict(line) for line in page.lines],
    }


def page_json(page: PageText) -> str:
    """``page`` as indented JSON text (UTF-8 characters kept as they are)."""
    return json.dumps(page_dict(page), ensure_ascii=False, indent=1) + "\n"
