"""The environment for a test's ``python -m dtracepy`` child: this checkout first on PYTHONPATH."""

from __future__ import annotations

import os


def env_with(root) -> dict:
    """``os.environ`` with ``root`` first on PYTHONPATH.  No empty entry is left when PYTHONPATH
    was unset: an empty entry means the working directory, which the tests of ``python -m``
    keep off sys.path."""
    paths = [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


def generated_source(root, generator: str, *args) -> str:
    """What ``python -c generator args`` prints, run in ``root`` with this checkout first on
    PYTHONPATH: the fresh text of a generated module (``regex_codes.py``, ``attrs_codes.py``)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", generator, *map(str, args)], capture_output=True, text=True,
                            env=env_with(root), cwd=root)
    assert result.returncode == 0, result.stderr
    return result.stdout
