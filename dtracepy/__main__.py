"""``python -m dtracepy`` is the ``dtracepy`` command.

``python -m`` puts the working directory first on ``sys.path`` (unless ``-P``), where the
``dtracepy`` command has its own directory: an ``attrs.py``, ``lark.py`` or ``typing.py`` in the
working directory would stand in for what dtracepy imports (a traceback from the user's file).
The package itself is already imported from wherever it was found, so the entry is dropped
before anything else is: ``python -m dtracepy`` then imports what the command does.  (A
``dtracepy.py`` in the working directory is what ``python -m dtracepy`` runs, before any of
dtracepy's code: Python's rule; run ``dtracepy`` or ``python -P -m dtracepy`` there.)
"""

import os
import sys

if sys.path and not sys.flags.safe_path:
    try:
        _cwd = os.getcwd()
    except OSError:  # the working directory was removed
        _cwd = None
    if sys.path[0] == "" or (_cwd is not None and sys.path[0] == _cwd):
        del sys.path[0]

try:
    from dtracepy.cli import main  # noqa: E402 - after the working directory is off sys.path
except KeyboardInterrupt:  # Ctrl-C while the command line itself loads: quietly, as main() does
    sys.exit(130)

sys.exit(main())
