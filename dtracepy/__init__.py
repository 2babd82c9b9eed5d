"""dtracepy: write DTrace tracers as Python modules, compile them to readable, checked D.

The public API, and nothing else:

* the D syntax tree (:mod:`dtracepy.tree`), ``parse`` (D text -> tree) and ``to_d`` (tree -> D);
* the DSL that tracer modules import (``Tracer``, ``self``, ``this``, built-ins, actions ...).
"""

from dtracepy import tree
from dtracepy.errors import CompileError, DSLError, DSyntaxError, DTracePyError, LayoutError
from dtracepy.source import Pos
from dtracepy.tree import same_tree

# --- core: parser and printer (issue 2) ---
from dtracepy.parser import parse  # noqa: E402
from dtracepy.printer import to_d  # noqa: E402

# --- DSL (issue 3): re-exported from dtracepy.dsl ---
from dtracepy import dsl as _dsl  # noqa: E402
from dtracepy.dsl import *  # noqa: E402,F401,F403
from dtracepy.dsl import exit, id, max, min, print, sum  # noqa: E402,F401,A004 - D names, on request

__all__ = [
    "tree", "parse", "to_d", "same_tree", "Pos",
    "DTracePyError", "DSyntaxError", "DSLError", "CompileError", "LayoutError",
    *_dsl.__all__,
]
