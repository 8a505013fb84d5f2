"""``python -m mltu_ext.synth``: the renderer's command (:mod:`mltu_ext.cli.synth`)."""

import sys

from mltu_ext.cli.synth import main

sys.exit(main())
