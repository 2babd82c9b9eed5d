"""Automatic cleanup: zero every thread-local at the end of the call that set it.

A thread-local assigned (a non-zero value) in a clause whose probes are function entries
(``fbt:ip:tcp_conn_request:entry``, ``syscall::accept*:entry``, ``pid$target::f:entry`` — any
description whose name field is ``entry``) is zeroed in the matching ``:return`` probe(s); one set
where another span begins on the thread is zeroed where it ends (``sched:::off-cpu`` at
``sched:::on-cpu``, ``proc:::exec`` at ``exec-success`` and ``exec-failure``, a USDT
``function-entry`` at ``function-return``): the pairing is :func:`dtracepy.facts.probes.releases_of`,
the one ``self-leak`` uses.  The
zeroing clauses are appended after every user clause, so user clauses on the same return probes
fire first and still read the values.  Variables with the same set of return probes share one
multi-description clause.

The compiler never zeroes a variable where that would change what the program reads, and never
asks for what the user already did:

* A thread-local used (read or set) in a clause outside its entry/return pair — set at
  ``syscall::open:entry``, read at ``syscall::close:entry`` — would read 0 there once zeroed at
  ``open:return``: the compiler's ``self-clear`` check (:func:`cleanup_problems`) reports it at
  the use, asking where to clear it (``t.clear(self.x, at=...)``) or to keep it
  (``t.keep(self.x)``), and this pass leaves the variable alone.
* A thread-local set where there is no return probe (BEGIN, profile, sdt, a return probe ...)
  needs a clear point named with ``t.clear`` or ``t.keep``; otherwise ``self-clear`` reports it,
  located at the assignment.
* In both cases, zeroing it by hand (``self.spec = 0`` after ``commit(self.spec)``) is the user
  naming its clear point: the compiler then neither zeroes it nor asks.
* A thread-local associative array (``self->fd[arg0] = 1``) cannot be zeroed whole in D: its clear
  point names the element, ``t.clear(self.fd[arg0], at="syscall::close:entry")``.

``t.clear`` also moves a variable's clear point elsewhere.
"""

from __future__ import annotations

import functools

from dtracepy import tree
from dtracepy.facts.probes import releases_of, split

COMMENT = " dtracepy: zero the thread-locals set above, once every other clause has run "


def is_zero(node, chains=None) -> bool:
    """0, NULL, a cast of either, or a chained assignment of 0 (``self->a = self->b = 0``)."""
    global is_zero
    from dtracepy.checks.context import is_zero  # (imported on first use; then this name is it)

    return is_zero(node, chains)


def _self_target(target):
    """(name, is_element) when ``target`` is ``self->x`` or ``self->x[k]``, else None."""
    if isinstance(target, tree.SelfVar):
        return target.name, False
    if isinstance(target, tree.Index) and isinstance(target.base, tree.SelfVar):
        return target.base.name, True
    return None


def _all_assignments(clause) -> list:
    """Every Assign of a clause, statement-level or inside an expression (``assign_expr``), in
    predicate and body, in the order of a walk of each.  (A loop of its own, as the compiler's
    ``_nodes_of``: ``Node.walk``'s generator step a node was most of the pass, which runs twice a
    compile, for 10,000 entry/return pairs.)"""
    from dtracepy.checks.context import _LEAVES, push_children

    found: list = []
    stack = list(reversed(clause.body or ()))
    if clause.predicate is not None:
        stack.append(clause.predicate)
    pop, push = stack.pop, stack.append
    Assign, ExprStmt, Binary = tree.Assign, tree.ExprStmt, tree.Binary
    while stack:
        node = pop()
        cls = node.__class__
        if cls in _LEAVES:
            continue
        if cls is ExprStmt:
            push(node.expr)
        elif cls is Assign:
            found.append(node)
            push(node.value)
            push(node.target)
        elif cls is Binary:
            push(node.right)
            push(node.left)
        else:
            push_children(node, stack)
    return found


def thread_local_sets(program):
    """name -> [(clause, Assign)] for every non-zero assignment of ``self->name``, in order."""
    return _sets_and_zeros(program)[0]


def hand_zeroed(program) -> dict[str, object]:
    """name -> the first ``self->name = 0`` (or ``self->name[k] = 0``) the user wrote."""
    return _sets_and_zeros(program)[1]


def _sets_and_zeros(program):
    """:func:`thread_local_sets` and :func:`hand_zeroed` of ``program``, in one walk."""
    sets: dict[str, list] = {}
    zeros: dict[str, object] = {}
    chains: dict = {}  # (is_zero's: each link of self->a = self->b = ... = 0 followed once)
    for clause in program.clauses:
        for node in _all_assignments(clause):
            found = _self_target(node.target)
            if found is None:
                continue
            if node.op == "=" and is_zero(node.value, chains):
                zeros.setdefault(found[0], node)
            else:
                sets.setdefault(found[0], []).append((clause, node))
    return sets, zeros


@functools.lru_cache(maxsize=1 << 16)  # asked for each description of each clause using a variable
def _normal(text: str) -> tuple:
    """A description's fields, with ``*`` spelled as the empty field it means."""
    return tuple("" if f == "*" else f for f in split(text))


def _in_pair(clause, pair: frozenset) -> bool:
    """Do all of ``clause``'s probes belong to ``pair`` (normalised descriptions)?"""
    return all(_normal(d.text) in pair for d in clause.probes)


def self_accesses(program, per_clause=None) -> dict[str, list]:
    """name -> [(clause, Access)] for every use of ``self->name``, in program order (one walk).
    ``per_clause``: the clauses' accesses if already known (the checks' context has them)."""
    from dtracepy.checks.context import clause_accesses

    clauses = program.clauses
    if per_clause is None:
        per_clause = [clause_accesses(clause, tree.SelfVar) for clause in clauses]
    by_name: dict[str, list] = {}
    for clause, found in zip(clauses, per_clause):
        for access in found:
            by_name.setdefault(access.name, []).append((clause, access))
    return by_name


def _outside_use(accesses, name, pair):
    """The first read or non-zero set of ``self->name`` in a clause outside ``pair``: (clause,
    node, kind), or None.  ``accesses`` is :func:`self_accesses` of the program."""
    inside = None  # the last clause found inside the pair (a clause uses a variable many times)
    for clause, access in accesses.get(name, ()):
        if not (access.kind == "write" and access.zero) and clause is not inside:
            if not _in_pair(clause, pair):
                return clause, access.node, access.kind
            inside = clause
    return None


def _set_where_zeroed(uses, probes):
    """A description of a clause that sets the variable which ``probes`` (a clear point) names
    too, spelled the same (``*`` as an empty field), or None."""
    cleared = {_normal(text) for text in probes}
    for clause, _node in uses:
        for desc in clause.probes:
            if _normal(desc.text) in cleared:
                return desc.text
    return None


def _desc_list(texts) -> str:
    return ", ".join(texts)


def _at_value(texts) -> str:
    """``at=``'s value in a suggestion, as t.clear takes it: one description, or a list of them
    (a description holding a comma is refused)."""
    texts = list(texts)
    quoted = [f'"{text}"' for text in texts]
    return quoted[0] if len(quoted) == 1 else "[" + ", ".join(quoted) + "]"


class _Problem(Exception):
    def __init__(self, where, message):
        super().__init__(message)
        self.where = where
        self.message = message


def clear_probes(name, uses, clear_points, accesses=None, zeros=None):
    """Where thread-local ``name`` is zeroed: (probes, None, None), or ((), where, why not) when
    the tracer must say where (the ``self-clear`` check reports it; this pass then leaves the
    variable alone).  Probes are empty for a variable kept on purpose or zeroed by hand."""
    try:
        return _clear_probes(name, uses, clear_points, accesses, zeros), None, None
    except _Problem as problem:
        return (), problem.where, problem.message


def _clear_probes(name, uses, clear_points, accesses, zeros) -> tuple[str, ...]:
    point = clear_points.get(name)
    element = any(_self_target(node.target)[1] for _, node in uses)
    if point is not None:
        if point.probes and element and not point.keys:
            raise _Problem(point.pos, f"self->{name} is a thread-local associative array: D cannot zero it whole "
                f"(self->{name} = 0 is \"may not be referenced as scalar\"); name the element to "
                f"zero, t.clear(self.{name}[key], at=...), or zero each element yourself and say so "
                f"with t.keep(self.{name})")
        if point.keys and not element:
            raise _Problem(point.pos, f"t.clear(self.{name}[...]): self->{name} is not an associative array; "
                               f"write t.clear(self.{name}, at=...)")
        same = _set_where_zeroed(uses, point.probes)
        if same is not None:
            # the zeroing clause comes after every clause of the firing that set it: the
            # variable is 0 before any other probe can read it (a tracer that never fires)
            later = same[: -len("entry")] + "return" if same.endswith(":entry") else None
            raise _Problem(point.pos, f"t.clear(self.{name}, at=...) zeroes self->{name} at {same}, where it is "
                f"set: the zeroing runs once every clause of that firing has run, so every other probe "
                f"reads 0; name where it is no longer needed"
                + (f" (at=\"{later}\", the matching return?)" if later else "")
                + ", or use a clause-local (this." + name + ") for a value of one firing")
        return point.probes
    # Zeroed by hand somewhere: where the compiler would have to ask, the user has answered.
    managed = name in (zeros or {})
    returns: dict[str, None] = {}  # an ordered set
    entries: dict[str, None] = {}
    no_return = None
    for clause, node in uses:
        for desc in clause.probes:
            ends = releases_of(desc.text)
            if not ends:
                no_return = no_return or (clause, node, desc.text)
            else:
                entries[desc.text] = None
                returns.update(dict.fromkeys(ends))
    if no_return is not None:
        if managed:
            return ()
        clause, node, text = no_return
        if element:
            raise _Problem(node.pos or clause.pos, f"self->{name}[...] is a thread-local associative array set in {text}, which has no "
                f"return probe: zero each element yourself (self.{name}[key] = 0) or name the "
                f"element and where, t.clear(self.{name}[key], at=...)")
        raise _Problem(node.pos or clause.pos, f"self->{name} is set in {text}, which has no return probe to zero it in: name one "
            f"with t.clear(self.{name}, at=\"...:return\"), zero it yourself (self.{name} = 0) where "
            f"it is no longer needed, or say it lives as long as the thread with t.keep(self.{name})")
    if accesses is not None:
        outside = _outside_use(accesses, name, frozenset(map(_normal, [*entries, *returns])))
        if outside is not None:
            if managed:
                return ()
            clause, node, kind = outside
            where = _desc_list(d.text for d in clause.probes)
            verb = "read" if kind == "read" else "set"
            # D cannot zero an associative array whole: its clear point names an element.
            cleared = f"self.{name}[key]" if element else f"self.{name}"
            raise _Problem(node.pos or clause.pos, f"self->{name} is set at {_desc_list(entries)} and {verb} at {where}, outside that "
                f"entry/return pair: zeroing it at {_desc_list(returns)} would make {where} see 0 "
                f"(or lose the value) whenever it fires after the return. Say where it may be "
                f"zeroed with t.clear({cleared}, at=...) (at={_at_value(returns)} if {where} "
                f"only fires inside the call), zero it yourself where it is no longer needed, or "
                f"keep it with t.keep(self.{name})")
    from dtracepy.checks.lifecycle import guarded_by_own_negation

    for clause, node in uses:
        if not managed and guarded_by_own_negation(clause.predicate, name):
            raise _Problem(node.pos or clause.pos, f"self->{name} is set only while it is unset (the clause's predicate tests "
                f"!self->{name}): zeroing it at {_desc_list(returns)} would make that test always "
                f"true. Keep it per thread with t.keep(self.{name}), or say where it may be zeroed "
                f"with t.clear(self.{name}, at=...)")
    if element:
        clause, node = uses[0]
        raise _Problem(node.pos or clause.pos, f"self->{name}[...] is a thread-local associative array: D cannot zero it whole; name "
            f"the element to zero at the return, t.clear(self.{name}[key], at={_at_value(returns)}), "
            f"or zero each element yourself (self.{name}[key] = 0)")
    return tuple(returns)


def cleanup_problems(program, clear_points, per_clause=None):
    """(check, pos, message) for each thread-local this pass cannot place and each clear point
    that names a thread-local never set: the compiler's ``self-clear`` and ``clear-unused`` rules.
    ``per_clause``: as for :func:`self_accesses`."""
    sets, zeros = _sets_and_zeros(program)
    accesses = self_accesses(program, per_clause) if sets else {}
    for name, point in clear_points.items():
        if name not in sets:
            verb = "keep" if not point.probes else "clear"
            yield "clear-unused", point.pos, f"t.{verb}(self.{name}): self->{name} is never set"
    for name, uses in sets.items():
        _probes, where, problem = clear_probes(name, uses, clear_points, accesses, zeros)
        if problem:
            yield "self-clear", where, problem


def zero_thread_locals(program: tree.Program, ctx) -> tree.Program:
    if not getattr(ctx, "cleanup", True):
        return program  # Tracer(cleanup=False): the program zeroes what it zeroes itself
    clear_points = ctx.clear_points
    sets, zeros = _sets_and_zeros(program)
    accesses = self_accesses(program) if sets else {}
    groups: dict[tuple[str, ...], list] = {}
    for name, uses in sets.items():
        probes, _where, _problem = clear_probes(name, uses, clear_points, accesses, zeros)
        if probes:
            point = clear_points.get(name)
            keys = point.keys if point is not None else ()
            groups.setdefault(probes, []).append((name, keys, uses[0][1].pos))
    if not groups:
        return program
    items = list(program.items)
    items.append(tree.Comment(COMMENT))
    for probes, names in groups.items():
        pos = names[0][2]
        body = []
        for n, keys, p in names:
            target = tree.SelfVar(n, pos=p)
            if keys:
                target = tree.Index(target, keys, pos=p)
            body.append(tree.ExprStmt(tree.Assign("=", target, tree.IntLit("0", pos=p), pos=p), pos=p))
        items.append(tree.Clause(tuple(tree.ProbeDesc(d, pos=pos) for d in probes), None, tuple(body), pos=pos))
    return tree.Program(tuple(items), pos=program.pos)
