"""``python -m mltu_ext.segment``: see :mod:`mltu_ext.cli.segment`."""

import sys

from mltu_ext.cli.segment import main

sys.exit(main())
