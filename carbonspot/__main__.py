"""``python -m carbonspot`` runs the command-line interface."""

import sys

from carbonspot.cli import main

sys.exit(main())
