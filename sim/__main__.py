"""``python -m sim``: the same as the ``spc`` command."""

import sys

from sim.cli import main

sys.exit(main())
