"""``python -m workbench`` runs the command line, like the ``workbench`` script."""

import sys

from workbench.cli import main

sys.exit(main())
