"""Handwriting-style word images rendered by the package itself.

The embedded default training data: English words drawn with handwriting
fonts (installed from Debian packages; OpenCV's Hershey script fonts when
none are there) with random slant, stroke thickness, baseline wobble,
spacing and elastic distortion.

>>> import numpy as np
>>> from mltu_ext.synth import render_text
>>> image = render_text("hello", np.random.default_rng(0))
>>> image.dtype, image.ndim
(dtype('uint8'), 2)
"""

from mltu_ext.synth.render import render_text

__all__ = ["render_text"]
