"""Source positions.

Every tree node may carry a :class:`Pos`: the ``file:line:col`` of a parsed ``.d`` file, or the
``file:line`` of the user's Python code that built the node through the DSL.  Positions take no
part in tree equality (see :mod:`dtracepy.tree`).
"""

from __future__ import annotations

import os
import sys

import attrs


@attrs.frozen
class Pos:
    """Where something came from: a file name, a 1-based line and an optional 1-based column."""

    file: str
    line: int
    col: int | None = None

    def __str__(self) -> str:
        if self.col is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"


# Frames in these directories belong to dtracepy itself; the user's position is the first frame
# outside them.  Tests may add to it.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_pos(skip: int = 1) -> Pos | None:
    """The position of the innermost caller that is not dtracepy's own code.

    Used by the DSL so that errors about a tracer point at the tracer's ``.py`` file and line,
    as Amaranth does with ``sys._getframe``.  Every node the DSL builds asks, so the per-file work
    (``abspath``, ``relpath``) is cached by code file name (and working directory).
    """
    try:
        frame = sys._getframe(skip)
    except ValueError:
        return None
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed: no caching, same answers as before
        cwd = None
    package = _PACKAGE_DIR
    shown_in = _SHOWN.get((cwd, package)) if cwd is not None else None
    if shown_in is None:
        shown_in = {}
        if cwd is not None:
            _SHOWN[(cwd, package)] = shown_in
    while frame is not None:
        filename = frame.f_code.co_filename
        shown = shown_in.get(filename, _UNKNOWN)
        if shown is _UNKNOWN:
            shown = shown_in[filename] = None if _internal(filename, package) else _display_name(filename)
        if shown is not None:
            # Pos is immutable: one object per user line (the DSL asks for each node it builds)
            key = (shown, frame.f_lineno)
            pos = _POSITIONS.get(key)
            if pos is None:
                if len(_POSITIONS) >= 1 << 16:
                    _POSITIONS.clear()
                pos = _POSITIONS[key] = Pos(shown, frame.f_lineno)
            return pos
        frame = frame.f_back
    return None


# (working directory, package directory) -> {code file name -> the name user_pos shows for it, or
# None for dtracepy's own files}
_SHOWN: dict[tuple, dict[str, str | None]] = {}
_UNKNOWN = object()
# (shown file name, line) -> its Pos, shared (a bounded cache)
_POSITIONS: dict[tuple, Pos] = {}


def _internal(filename: str, package: str) -> bool:
    """Is code from ``filename`` dtracepy's own: its package, or the methods attrs generates for
    the tree's node classes (``<attrs generated init dtracepy.tree.Ident>``)?"""
    if filename.startswith("<"):
        return filename.startswith(("<attrs generated", "<dtracepy."))
    return os.path.abspath(filename).startswith(package + os.sep)


def _display_name(filename: str) -> str:
    """A file name as a user would type it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if rel.startswith(".." + os.sep) else rel
