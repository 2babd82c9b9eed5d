"""The D dialects: what differs between the DTrace implementations, as data.

A :class:`Dialect` is resolved once from its name (:func:`dialect_named`), at ``Tracer(...)`` or on
the command line, and passed down to the checks and the compiler.  Code asks the object
(``dialect.has_if_else``, ``name in dialect.keywords``), never compares dialect names.

    >>> dialect_named("oracle").has_if_else
    False
"""

from __future__ import annotations

import attrs

from dtracepy.facts import functions as _functions
from dtracepy.facts import keywords as _keywords
from dtracepy.facts import variables as _variables

NAMES = ("illumos", "freebsd", "macos", "oracle")
DEFAULT = "illumos"


@attrs.frozen
class Dialect:
    name: str
    #: One line saying which DTrace this is.
    title: str
    #: The grammar has ``if (e) s [else s]``; without it the compiler lowers if/else.
    has_if_else: bool
    #: Reserved words (refused as identifiers).
    keywords: frozenset = attrs.field(repr=False)
    #: Built-in variable names.
    variables: frozenset = attrs.field(repr=False)
    #: Action, subroutine and aggregating-function names.
    functions: frozenset = attrs.field(repr=False)

    def __str__(self) -> str:
        return self.name


def _in(dialects, name: str) -> bool:
    return dialects is None or name in dialects


def _make(name: str, title: str, *, has_if_else: bool) -> Dialect:
    return Dialect(
        name=name,
        title=title,
        has_if_else=has_if_else,
        keywords=_keywords.KEYWORDS | _keywords.KEYWORDS_BY_DIALECT[name],
        variables=frozenset(n for n, v in _variables.BUILTINS.items() if _in(v.dialects, name)),
        functions=frozenset(n for n, f in _functions.FUNCTIONS.items() if _in(f.dialects, name)),
    )


_DIALECTS = {
    "illumos": _make("illumos", "illumos (and Solaris) DTrace", has_if_else=True),
    "freebsd": _make("freebsd", "FreeBSD DTrace", has_if_else=True),
    "macos": _make("macos", "macOS DTrace", has_if_else=True),
    "oracle": _make("oracle", "Oracle DTrace for Linux (D 2.0)", has_if_else=False),
}


class UnknownDialect(ValueError):
    pass


def dialect_named(name) -> Dialect:
    """The dialect called ``name`` (a :class:`Dialect` is returned as it is); an unknown name
    raises :class:`UnknownDialect`, whose message lists the known ones."""
    if isinstance(name, Dialect):
        return name
    dialect = _DIALECTS.get(name) if isinstance(name, str) else None
    if dialect is None:
        raise UnknownDialect(f"unknown D dialect {name!r}: {', '.join(NAMES)}")
    return dialect
