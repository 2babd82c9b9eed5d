"""Where a line of the D that dtracepy ran came from: dtrace's compile errors name a line of the
script it was given (the framed program, printed into a temporary file), which is not a line the
user wrote.  dtracepy maps it back to the user's ``tracer.py:LINE`` or ``script.d:LINE:COL``; and
Oracle's runtime errors name a clause by its number (``dt_clause_2``), mapped the same way.

The map is made only when dtrace reports such an error: the printed text is parsed back, which
gives the same tree as the one printed (``parse(to_d(t)) == t``) with positions in the printed
text, and the two trees are walked side by side.  A printed line maps to the position of the
outermost node that starts on it, or, when that node has none (the framing's own nodes), of its
nearest ancestor that has one.
"""

from __future__ import annotations

import re

from dtracepy import tree
from dtracepy.errors import DTracePyError
from dtracepy.source import Pos, shown_name

# Oracle's and illumos' dtrace(1): "dtrace: failed to compile script x.d: line 4: message"
_COMPILE_ERROR = re.compile(r"dtrace: failed to compile script (?P<script>.+?): line (?P<line>\d+): "
                            r"(?P<message>.*)")


def line_origins(program: tree.Program, text: str) -> dict[int, Pos]:
    """Printed line number -> the position of what printed there (lines of nodes without any
    position, such as a framing clause, are absent).  Empty when ``text`` does not parse back
    to ``program``'s shape."""
    from dtracepy.parser import parse

    try:
        printed = parse(text, "<printed>")
    except DTracePyError:
        return {}
    origins: dict[int, Pos] = {}
    stack = [(program, printed, None)]
    while stack:
        mine, theirs, inherited = stack.pop()
        if mine.__class__ is not theirs.__class__:
            return {}
        where = mine.pos if mine.pos is not None else inherited
        if theirs.pos is not None and where is not None:
            origins.setdefault(theirs.pos.line, where)
        children, printed_children = list(mine.children()), list(theirs.children())
        if len(children) != len(printed_children):
            return {}
        stack.extend((a, b, where) for a, b in reversed(list(zip(children, printed_children))))
    return origins


def locate_compile_error(line: str, program: tree.Program | None, text: str, script: str,
                         name: str) -> str | None:
    """dtrace's compile error ``line`` about the temporary ``script`` as a located error
    (``tracer.py:8: error: ... [dtrace]``), or None when it is not one.  ``program`` is the
    tree printed as ``text`` (None when the user's file ran as written: its lines are the
    user's, in file ``name``)."""
    m = _COMPILE_ERROR.fullmatch(line)
    if m is None or m.group("script") != script:
        return None
    number = int(m.group("line"))
    if program is None:
        where = Pos(name, number)
    else:
        where = line_origins(program, text).get(number)
        if where is None:
            return f"{shown_name(name)}: error: {m.group('message')} [dtrace, line {number} of the D it ran]"
    return f"{where}: error: {m.group('message')} [dtrace]"


def clause_origins(program: tree.Program | None):
    """``n -> Pos`` of the ``n``-th clause (from 0) of ``program``, or None: Oracle's dtrace names
    the clause a runtime error happened in (``dt_clause_2``) in that order."""
    if program is None:
        return None
    clauses = [item for item in program.items if isinstance(item, tree.Clause)]

    def origin(n: int) -> Pos | None:
        return clauses[n].pos if 0 <= n < len(clauses) else None

    return origin


def clause_of_probe(program: tree.Program | None, probe: str) -> Pos | None:
    """Where the user's clause for the probe dtrace names (``syscall:vmlinux:read:entry``) is:
    the one clause whose description matches it; else, when the probe is none of dtrace's own
    (BEGIN, END, ERROR) and the program has only one clause for other probes (Oracle's dtrace
    names the probe it runs the clause on, ``rawtp:sched::sched_process_exit`` for
    ``proc:::exit``), that clause; else None.  The framing's clauses have no position."""
    from dtracepy.facts import probes

    if program is None:
        return None
    clauses = [i for i in program.items if isinstance(i, tree.Clause) and i.pos is not None]
    matching = [c for c in clauses if any(probes.matches(d.text, probe) for d in c.probes)]
    if len(matching) == 1:
        return matching[0].pos
    if matching or probes.split(probe)[-1] in probes.SPECIAL_PROBES:
        return None
    others = [c for c in clauses
              if not all(probes.split(d.text)[-1] in probes.SPECIAL_PROBES for d in c.probes)]
    return others[0].pos if len(others) == 1 else None
