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
    to ``program``'s shape.  The last answer is kept: a run asks it for each line of dtrace's
    that names a line of the script, and each parsed the whole script again (review 28: a stand-in
    dtrace's 2,000 such lines about a 300-clause script, 13 s; 8,000, minutes)."""
    last = _last_origins[0]
    if last is not None and last[0] is program and last[1] is text:
        return last[2]
    origins: dict[int, Pos] = {}
    for _, theirs, where in _side_by_side(program, text):
        if theirs.pos is not None and where is not None:
            origins.setdefault(theirs.pos.line, where)
    _last_origins[0] = (program, text, origins)
    return origins


_last_origins: list = [None]    # (program, text, its line_origins) of the last call


def _side_by_side(program: tree.Program, text: str) -> list:
    """(node of ``program``, the same node parsed from ``text``, the user's position of the first
    or of its nearest ancestor that has one), in the order of a walk; [] when ``text`` does not
    parse back to ``program``'s shape."""
    from dtracepy.parser import parse

    try:
        printed = parse(text, "<printed>")
    except DTracePyError:
        return []
    pairs = []
    stack = [(program, printed, None)]
    while stack:
        mine, theirs, inherited = stack.pop()
        if mine.__class__ is not theirs.__class__:
            return []
        where = mine.pos if mine.pos is not None else inherited
        pairs.append((mine, theirs, where))
        children, printed_children = list(mine.children()), list(theirs.children())
        if len(children) != len(printed_children):
            return []
        stack.extend((a, b, where) for a, b in reversed(list(zip(children, printed_children))))
    return pairs


# The expressions that name a type: a cast to an unknown typedef name (``(tcp_t *)x``) is a
# syntax error to dtrace ("syntax error near ")""), sizeof and offsetof of one too.
_TYPED = (tree.Cast, tree.SizeofType, tree.Offsetof)


def types_on_line(program: tree.Program | None, text: str, number: int, name: str) -> list[tuple[str, Pos | None]]:
    """The typedef names (``tcp_t``, ``genunix`kthread_t``) the casts, sizeof and offsetof on line
    ``number`` of ``text`` name, each with where the user wrote that expression (``program``: the
    tree printed as ``text``; None when ``text`` is the user's file ``name`` as written)."""
    if program is None:
        from dtracepy.parser import parse

        try:
            pairs = [(node, node, node.pos) for node in parse(text, name).walk()]
        except DTracePyError:
            return []
    else:
        pairs = _side_by_side(program, text)
    declared = {decl for _, theirs, _ in pairs if theirs.__class__ is tree.Declaration
                and "typedef" in theirs.specifiers for decl in map(_declared_name, theirs.declarators)}
    found: list[tuple[str, Pos | None]] = []
    for _, theirs, where in pairs:
        if theirs.__class__ in _TYPED and theirs.pos is not None and theirs.pos.line == number:
            for spec in theirs.type.specifiers:
                if isinstance(spec, tree.TypeRef):
                    spelled = spec.name if spec.module is None else f"{spec.module}`{spec.name}"
                    if spelled not in declared and all(spelled != seen for seen, _ in found):
                        found.append((spelled, where))
    return found


def _declared_name(decl) -> str | None:
    while decl is not None and not isinstance(decl, tree.NameDecl):
        decl = getattr(decl, "target", None) or getattr(decl, "declarator", None)
    return decl.name if decl is not None else None


def compile_error_line(line: str, script: str) -> tuple[int, str] | None:
    """(the line number, the message) of dtrace's compile error ``line`` about ``script``, else None."""
    m = _COMPILE_ERROR.fullmatch(line)
    if m is None or m.group("script") != script:
        return None
    return int(m.group("line")), m.group("message")


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


# the lines under a compile error that name another line of the script: "\tprevious: @c =
# count( ) : line 2" (an aggregation redefined)
_CONTINUED = re.compile(r"(?P<head>\t.*) : line (?P<line>\d+)")


def locate_continuation(line: str, program: tree.Program | None, text: str) -> str | None:
    """A line under dtrace's compile error (:func:`locate_compile_error`) that names a line of
    the temporary script (``\tprevious: @c = count( ) : line 10``) with the user's position of
    that line instead (``... : tracer.py:6``); None for another line, or when the user's file ran
    as written (its lines are the user's)."""
    m = _CONTINUED.fullmatch(line)
    if m is None or program is None:
        return None
    number = int(m.group("line"))
    where = line_origins(program, text).get(number)
    return f"{m.group('head')} : {where if where is not None else f'line {number} of the D it ran'}"


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
