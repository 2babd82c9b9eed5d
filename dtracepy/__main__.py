"""``python -m dtracepy`` is the ``dtracepy`` command."""

import sys

from dtracepy.cli import main

sys.exit(main())
