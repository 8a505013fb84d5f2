"""Whole pages: text lines with their outlines and baselines, reading order, recognition in page
coordinates, and the JSON, ALTO v4 and PAGE XML 2019 writers."""
