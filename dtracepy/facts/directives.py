"""Preprocessor control lines: which there are, and which of them need the C preprocessor.

dtrace's lexer (dt_lex.l) reads a few control lines itself, without cpp: a line marker
(``# 12 "file"``), ``#line``, ``#ident``, ``#pragma`` (a node of its own, not a directive here),
a ``#!`` line below the first (skipped) and ``#error`` (where it stops: "#error: stop").  Any
other it refuses without ``-C`` ("invalid control directive").  Judged by the real dtrace in
tests/test_check_preprocessor.py and tests/test_leftovers24.py.  The compiler's ``#!`` line
(``-C`` or not), ``check``'s and ``compile``'s reading of a program (under cpp a macro may stand
for anything), ``run`` and ``import`` all ask :func:`needs_cpp`.
"""

from __future__ import annotations

#: Preprocessor directives (C's, and the control lines D reads without cpp); ``""`` is a line
#: marker (``# 12 "file"``), a ``#!`` line below the first, or the null directive.
DIRECTIVES = frozenset(
    "include include_next import define undef if ifdef ifndef elif else endif line error warning "
    "ident sccs assert unassert".split()) | {""}

#: The control lines D reads itself and compiles on, without the C preprocessor (``#pragma``
#: aside): a line marker, ``#line`` and ``#ident``.  dtrace does not continue them at a backslash.
DIRECTIVES_WITHOUT_CPP = frozenset(("", "line", "ident"))



def needs_cpp(name: str) -> bool:
    """Whether a script with the directive ``#name`` is meant for ``dtrace -C``: any but those D
    reads itself and compiles on.  (``#error`` dtrace reads itself too, but only to stop there,
    as cpp does: a program's ``#error`` stands under cpp's ``#if``.)"""
    return name not in DIRECTIVES_WITHOUT_CPP


def refused_without_cpp(name: str) -> bool:
    """Whether dtrace without ``-C`` refuses ``#name`` as "invalid control directive" (``#error``
    it reads, and stops: "#error: stop")."""
    return name not in DIRECTIVES_WITHOUT_CPP and name != "error"


#: The predicates (``#assert``'s, a deprecated GCC extension dtrace -C's cpp still reads) that
#: gcc's cpp predefines from the machine it runs on: ``#if #machine(x86_64)``, ``#system(linux)``,
#: ``#cpu(x86_64)`` hold under dtrace -C on x86-64 Linux, ``#machine(i386)`` does not (dtrace -C
#: -e, this session).  Their answers differ between machines, so ``check -C`` tells an answer
#: only when the script settles it (``#assert machine(x)``, ``#unassert machine``).
MACHINE_PREDICATES = frozenset(("system", "cpu", "machine"))
