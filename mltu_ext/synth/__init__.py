"""Handwriting-style word and line images rendered by the package itself.

The embedded default training data: English words drawn with handwriting
fonts (installed from Debian packages; OpenCV's Hershey script fonts when
none are there) with random slant, stroke thickness, baseline wobble,
spacing and elastic distortion. ``render_handwritten_line`` draws whole
lines of English, French or German text (``line_texts.line_texts``) on paper, for
pretraining a line recogniser.

>>> import numpy as np
>>> from mltu_ext.synth import render_text
>>> image = render_text("hello", np.random.default_rng(0))
>>> image.dtype, image.ndim
(dtype('uint8'), 2)
"""

from mltu_ext.synth.line_render import render_handwritten_line
from mltu_ext.synth.render import render_text

# line_texts is a module here (mltu_ext.synth.line_texts.line_texts makes the texts)
__all__ = ["render_handwritten_line", "render_text"]
