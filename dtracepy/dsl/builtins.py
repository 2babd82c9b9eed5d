"""D's built-in variables as DSL values, and macro variables (``$1``, ``$$1``, ``$target``).

Every built-in of ``D-REFERENCE.md`` is here under its D name (``arg0`` ... ``arg9``, ``args``,
``timestamp``, ``execname`` ...), generated from :mod:`dtracepy.facts.variables`.  ``id`` and
``errno`` shadow Python names only where imported.  :func:`builtin` names any other.  A macro's
``doc`` travels on its tree node, so it documents ``$1`` only in the tracers that use that value.
"""

from __future__ import annotations


from dtracepy import tree
from dtracepy.dsl.values import D, plain_int
from dtracepy.errors import DSLError
from dtracepy.facts import keywords as _keywords
from dtracepy.facts import variables as _variables
from dtracepy.source import user_pos

# Generated from dtracepy.facts.variables: every built-in variable of every dialect, and the
# library variables the DSL exports (curpsinfo, cwd ...).
BUILTIN_NAMES = list(_variables.DSL_NAMES)

_MACRO_NAMES = _keywords.MACRO_VARIABLES


def builtin(name: str) -> D:
    """A built-in variable (or any identifier D knows) by name."""
    return D(tree.Ident(name, pos=user_pos()))


def ksym(name: str, module: str = "") -> D:
    """A kernel symbol scoped with a backquote: ``ksym("kmem_flags")`` is `` `kmem_flags``,
    ``ksym("kmem_flags", "genunix")`` is ``genunix`kmem_flags``."""
    pos = user_pos()
    if not tree.is_identifier(name):
        raise DSLError(f"ksym() takes a symbol name (a D identifier), not {name!r}", pos)
    if not isinstance(module, str) or not (module in ("", "`") or tree.is_identifier(module)):
        raise DSLError(f"ksym(): {module!r} is not a kernel module name", pos)
    return D(tree.Ident(name, module, pos=pos))


def _macro_number(n: int) -> None:
    """A macro argument's number is one a command line can give: below 2**31 (dtrace's argument
    count is an int); a larger one is a located error, not Python's own about printing it."""
    if n.bit_length() > 31:
        shown = f"{n}" if n.bit_length() <= 256 else f"of {n.bit_length()} bits"
        raise DSLError(f"no macro argument {shown}: a command line passes fewer than 2**31 arguments",
                       user_pos())


def macro(n, doc: str | None = None) -> D:
    """A macro variable: ``macro(1)`` is ``$1``, ``macro("target")`` is ``$target``.  ``doc`` is
    listed in the emitted D's header comment."""
    if isinstance(n, int) and not isinstance(n, bool) and n >= 0:
        _macro_number(n)
        name = f"${plain_int(n)}"
    elif isinstance(n, str) and n in _MACRO_NAMES:
        name = f"${n}"
    else:
        raise DSLError(f"no macro variable {n!r}: use a number (macro(1) is $1) or one of "
                       + ", ".join(_MACRO_NAMES), user_pos())
    if doc is not None and not isinstance(doc, str):
        raise DSLError(f"macro(): doc is a str, not {type(doc).__name__}", user_pos())
    return D(tree.MacroVar(name, doc=doc or None, pos=user_pos()))


def macro_str(n: int, doc: str | None = None) -> D:
    """``$$1``: macro argument ``n`` always as a string."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise DSLError(f"macro_str takes an argument number, not {n!r}", user_pos())
    _macro_number(n)
    if doc is not None and not isinstance(doc, str):
        raise DSLError(f"macro(): doc is a str, not {type(doc).__name__}", user_pos())
    return D(tree.MacroVar(f"$${n}", doc=doc or None, pos=user_pos()))




_ns = globals()
for _name in BUILTIN_NAMES:
    _ns[_name] = D(tree.Ident(_name))
del _ns, _name
target = D(tree.MacroVar("$target"))

# ``id`` shadows a Python built-in: importable by name, never by a star-import.
__all__ = [n for n in BUILTIN_NAMES if n != "id"] + [
    "BUILTIN_NAMES", "builtin", "ksym", "macro", "macro_str", "target"]
