"""What tracer modules import: ``Tracer``, the scopes, built-ins, actions and expression helpers.

See :mod:`dtracepy.dsl.values` for how Python operators map to D and how ``.`` and ``->`` are
chosen, :mod:`dtracepy.dsl.tracer` for clauses, records, options and clear points.
"""

from dtracepy.dsl import actions as _actions
from dtracepy.dsl.actions import *  # noqa: F401,F403 - D's actions, subroutines, aggregating functions
from dtracepy.dsl.actions import exit, max, min, print, sum  # noqa: F401,A004 - explicit imports only
from dtracepy.dsl import builtins as _builtins
from dtracepy.dsl.builtins import *  # noqa: F401,F403 - D's built-in variables (dtracepy.facts.variables)
from dtracepy.dsl.builtins import id  # noqa: F401,A004 - explicit imports only
from dtracepy.dsl.constants import NULL, const  # noqa: F401 - and every constant by name (below)
from dtracepy.dsl.control import elif_, else_, if_  # noqa: F401
from dtracepy.dsl.exprs import (  # noqa: F401
    addr, and_, arrow, assign, assign_expr, at, cast, char, charlit, comma, cond, deref, dot, hexint, lit, not_, num,
    offsetof, or_, postdec, postinc, predec, preinc, sizeof, stringof, xlate, xor,
)
from dtracepy.dsl.records import Record  # noqa: F401
from dtracepy.dsl.scopes import agg, anon_agg, glob, self, this  # noqa: F401
from dtracepy.dsl.structs import View, view  # noqa: F401
from dtracepy.dsl.tracer import Tracer  # noqa: F401
from dtracepy.dsl.values import D, expr  # noqa: F401

__all__ = [
    "Tracer", "Record", "D", "expr", "View", "view", "self", "this", "glob", "agg",
    "if_", "elif_", "else_",
    "addr", "and_", "arrow", "assign", "at", "cast", "char", "charlit", "comma", "cond", "deref", "dot",
    "hexint", "lit", "num", "not_", "offsetof", "or_", "postdec", "postinc", "predec", "preinc", "sizeof",
    "stringof", "xlate", "xor",
    "assign_expr", "anon_agg", "const", "NULL",
    *_builtins.__all__,
    *_actions.__all__,
]


def __getattr__(name: str):
    """D's named constants (``B_READ``, ``EPERM`` ...): importable by name, not by ``*``."""
    from dtracepy.dsl import constants

    try:
        return constants.constant(name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
