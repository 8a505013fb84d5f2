"""``python -m mltu_ext.data``: the dataset command (:mod:`mltu_ext.cli.data`)."""

import sys

from mltu_ext.cli.data import main

sys.exit(main())
