"""D's named constants as DSL values: ``NULL``, ``B_READ``, ``EPERM``, ``SIGKILL``, ``PROT_READ`` ...

Every constant of :mod:`dtracepy.facts.translated` (the D libraries' ``inline`` constants, D's own
``NULL``, and the portable ones the compiler declares when used) is importable by name:
``from dtracepy import NULL, B_READ``.  They stay out of ``from dtracepy import *`` (but ``NULL``),
so a star-import does not bring in hundreds of capitals.  :func:`const` names any other constant
(``const("MY_FLAG")``, defined by an ``#include`` or ``t.inline``).
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.dsl.values import D
from dtracepy.errors import DSLError
from dtracepy.facts import translated
from dtracepy.source import user_pos

#: Every constant importable by name.
CONSTANT_NAMES = translated.ALL_CONSTANTS


def const(name: str) -> D:
    """The named constant ``name`` (``const("O_CREAT")`` prints ``O_CREAT``)."""
    from dtracepy.facts import keywords

    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise DSLError(f"const() takes a D identifier such as \"B_READ\", not {name!r}", user_pos())
    if name in keywords.KEYWORDS:
        raise DSLError(f"{name!r} is a D keyword, not a constant", user_pos())
    return D(tree.Ident(name, pos=user_pos()))


def constant(name: str) -> D:
    """The DSL value of the known constant ``name`` (an AttributeError when there is none)."""
    if name not in CONSTANT_NAMES:
        raise AttributeError(name)
    return D(tree.Ident(name))


NULL = constant("NULL")


def __getattr__(name: str) -> D:
    try:
        return constant(name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
