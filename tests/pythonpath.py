"""The environment for a test's ``python -m dtracepy`` child: this checkout first on PYTHONPATH."""

from __future__ import annotations

import os


def env_with(root) -> dict:
    """``os.environ`` with ``root`` first on PYTHONPATH.  No empty entry is left when PYTHONPATH
    was unset: an empty entry means the working directory, which the tests of ``python -m``
    keep off sys.path."""
    paths = [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
