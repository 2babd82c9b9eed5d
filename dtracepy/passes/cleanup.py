"""Automatic cleanup: zero every thread-local at the end of the call that set it.

A thread-local assigned (a non-zero value) in a clause whose probes are function entries
(``fbt:ip:tcp_conn_request:entry``, ``syscall::accept*:entry``, ``pid$target::f:entry`` — any
description whose name field is ``entry``) is zeroed in the matching ``:return`` probe(s).  The
zeroing clauses are appended after every user clause, so user clauses on the same return probes
fire first and still read the values.  Variables with the same set of return probes share one
multi-description clause.

A thread-local assigned where there is no return probe (BEGIN, profile, sdt, a return probe ...)
needs a clear point named with ``t.clear(self.x, at=...)`` or ``t.keep(self.x)``; otherwise this
pass leaves it alone and the compiler's ``self-clear`` check (:func:`cleanup_problems`) reports it,
located at the assignment.  ``t.clear`` also moves a variable's clear point elsewhere.
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.facts.probes import return_of
from dtracepy.passes.walk import assignments, is_zero

COMMENT = " dtracepy: zero the thread-locals set above, once every other clause has run "


def thread_local_sets(program):
    """name -> [(clause, Assign)] for every non-zero assignment of ``self->name``, in order."""
    sets: dict[str, list] = {}
    for clause in program.clauses:
        for node in assignments(clause.body):
            target = node.target
            if isinstance(target, tree.SelfVar):
                if node.op == "=" and is_zero(node.value):
                    continue
                sets.setdefault(target.name, []).append((clause, node))
            elif isinstance(target, tree.Index) and isinstance(target.base, tree.SelfVar):
                sets.setdefault(target.base.name, []).append((clause, node))
    return sets


def clear_probes(name, uses, clear_points) -> tuple[tuple[str, ...], object, str | None]:
    """Where thread-local ``name`` is zeroed: (probes, None, None), or ((), node, why not) when
    the tracer must say where (the ``self-clear`` check reports it; this pass then leaves the
    variable alone).  Probes are empty for a variable kept on purpose."""
    point = clear_points.get(name)
    if point is not None:
        return point.probes, None, None
    probes: dict[str, None] = {}  # an ordered set
    for clause, node in uses:
        where = node.pos or clause.pos
        if isinstance(node.target, tree.Index):
            return (), where, (
                f"self->{name}[...] is a thread-local associative array: zero each element "
                f"yourself and say so with t.keep(self.{name}), or name where with "
                f"t.clear(self.{name}, at=...)")
        for desc in clause.probes:
            ret = return_of(desc.text)
            if ret is None:
                return (), where, (
                    f"self->{name} is set in {desc.text}, which has no return probe to zero it in: "
                    f"name one with t.clear(self.{name}, at=\"...:return\") or keep it on purpose "
                    f"with t.keep(self.{name})")
            probes[ret] = None
    return tuple(probes), None, None


def cleanup_problems(program, clear_points):
    """(pos, message) for each thread-local this pass cannot place and each clear point that
    names a thread-local never set: the compiler's ``self-clear`` and ``clear-unused`` rules."""
    sets = thread_local_sets(program)
    for name, point in clear_points.items():
        if name not in sets:
            verb = "keep" if not point.probes else "clear"
            yield "clear-unused", point.pos, f"t.{verb}(self.{name}): self->{name} is never set"
    for name, uses in sets.items():
        _probes, where, problem = clear_probes(name, uses, clear_points)
        if problem:
            yield "self-clear", where, problem


def zero_thread_locals(program: tree.Program, ctx) -> tree.Program:
    if not getattr(ctx, "cleanup", True):
        return program  # Tracer(cleanup=False): the program zeroes what it zeroes itself
    clear_points = ctx.clear_points
    sets = thread_local_sets(program)
    groups: dict[tuple[str, ...], list] = {}
    for name, uses in sets.items():
        probes, _where, _problem = clear_probes(name, uses, clear_points)
        if probes:
            groups.setdefault(probes, []).append((name, uses[0][1].pos))
    if not groups:
        return program
    items = list(program.items)
    items.append(tree.Comment(COMMENT))
    for probes, names in groups.items():
        pos = names[0][1]
        body = tuple(
            tree.ExprStmt(tree.Assign("=", tree.SelfVar(n, pos=p), tree.IntLit("0", pos=p), pos=p), pos=p)
            for n, p in names
        )
        items.append(tree.Clause(tuple(tree.ProbeDesc(d, pos=pos) for d in probes), None, body, pos=pos))
    return tree.Program(tuple(items), pos=program.pos)
