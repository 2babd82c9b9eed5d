"""``user_pos`` for the DSL's hot path: :func:`dtracepy.source.user_pos` with its per-file work
(``abspath``, ``relpath``) cached by code file name, since every D node the DSL builds asks for
it.  Same answers: the first frame outside dtracepy's package directory, as ``file:line``."""

from __future__ import annotations

import os
import sys

from dtracepy import source
from dtracepy.source import Pos

_INTERNAL: dict[str, bool] = {}
_DISPLAY: dict[str, str] = {}


def user_pos(skip: int = 1) -> Pos | None:
    try:
        frame = sys._getframe(skip)
    except ValueError:
        return None
    package = source._PACKAGE_DIR + os.sep
    while frame is not None:
        filename = frame.f_code.co_filename
        internal = _INTERNAL.get(filename)
        if internal is None:
            internal = _INTERNAL[filename] = os.path.abspath(filename).startswith(package)
        if not internal:
            shown = _DISPLAY.get(filename)
            if shown is None:
                shown = _DISPLAY[filename] = source._display_name(filename)
            return Pos(shown, frame.f_lineno)
        frame = frame.f_back
    return None
