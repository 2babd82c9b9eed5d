"""Lower ``if``/``else`` to predicated clauses, for a dialect without them (Oracle's D).

A clause whose body holds an ``if`` becomes a group of clauses on the same probe descriptions, one
per *part* of the body: the straight-line statements before the first ``if``, each branch, and
what follows each ``if``, in the order they are written.  One clause-local, ``this->_next``, says
which part runs next: a clause-local lives for one firing of a probe across all the clauses that
probe runs, in order, which is what lets the parts hand over to each other::

    BEGIN /P/ {                 BEGIN { this->_next = 0; }
        a();                    BEGIN /P/ { a(); this->_next = C ? 2 : 3; }
        if (C) {                BEGIN /this->_next == 2/ { b(); this->_next = 4; }
            b();                BEGIN /this->_next == 3/ { c(); this->_next = 4; }
        } else {        -->     BEGIN /this->_next == 4/ { d(); }
            c();
        }
        d();
    }

Exactly the original's behaviour, statement by statement:

* the clause's predicate ``P`` is evaluated once, as the first part's predicate; every later part
  tests ``this->_next`` only, so what the body changes does not change which parts run;
* each condition is evaluated once, where the ``if`` stands (at the end of the part before it);
  an ``else if`` chain is one nested ``?:``, so a condition is evaluated only if the ones before it
  were false;
* the first clause, with no predicate and nothing that can fail, sets ``this->_next`` to 0, so a
  value left by an earlier firing (clause-locals keep their storage) or an earlier group never
  counts.  Parts are numbered in the order they are written and every assignment names a later
  part, so when a statement fails (a bad address), ``this->_next`` still holds the failing part's
  own number, and no later part runs: the rest of the clause is abandoned, as it would be in one
  clause.  0 means "nothing more".

What it cannot keep: when a statement fails, DTrace discards the output of the clause it is in.
One clause loses everything it printed; the lowered clause loses only its failing part's output,
and what earlier parts printed stays (variables are the same either way).

``speculate()`` applies to the clause it is in, so a clause that calls it is not split: its ``if``
stays, and the ``dialect-if`` check reports it at its line (passes only rewrite trees).
"""

from __future__ import annotations

import attrs

from dtracepy import tree
from dtracepy.errors import CompileError
from dtracepy.facts.dialects import dialect_named

#: The clause-local that holds the number of the part to run next; a digit is appended if the
#: program already uses the name.
NEXT = "_next"

# ----------------------------------------------------------------------------------------------
# A clause body as parts


@attrs.define(eq=False)
class _Part:
    """Straight-line statements, then a jump: ``end`` is None (nothing more), another part, or a
    :class:`_Cond` choosing between two jumps."""

    stmts: list = attrs.field(factory=list)
    end: object = None
    number: int = 0


@attrs.frozen(eq=False)
class _Cond:
    cond: tree.Expr
    then: object  # a jump: None, a _Part or a _Cond
    otherwise: object
    pos: object = None


def _branch_stmts(stmt) -> tuple:
    if isinstance(stmt, tree.Block):
        return stmt.body
    return (stmt,)


def _split(body) -> list[_Part]:
    """The parts of ``body``, in the order they are written; the first is where it starts."""
    parts: list[_Part] = []

    def new() -> _Part:
        part = _Part()
        parts.append(part)
        return part

    def seq(stmts, current: _Part) -> _Part:
        """Add ``stmts`` from ``current`` on; return the part where what follows them goes."""
        for stmt in stmts:
            if isinstance(stmt, tree.Block):
                current = seq(stmt.body, current)
            elif isinstance(stmt, tree.If):
                then_start = new()
                then_end = seq(_branch_stmts(stmt.then), then_start)
                else_start = else_end = None
                if stmt.otherwise is not None:
                    else_start = new()
                    else_end = seq(_branch_stmts(stmt.otherwise), else_start)
                join = new()
                current.end = _Cond(stmt.cond, then_start, else_start or join, pos=stmt.pos)
                then_end.end = join
                if else_end is not None:
                    else_end.end = join
                current = join
            else:
                current.stmts.append(stmt)
        return current

    seq(body, new())
    return parts


def _simplify(parts: list[_Part]) -> list[_Part]:
    """Jump past empty parts, then drop the parts nothing jumps to.

    An empty part that only jumps on is replaced by where it jumps; an empty part ending in a
    choice is folded into the one jump that reaches it (an ``else if`` becomes a nested ``?:``),
    but not copied into several, which would repeat its condition in the text."""
    start = parts[0]

    def refs():
        counts: dict[int, int] = {}

        def count(jump):
            if isinstance(jump, _Part):
                counts[id(jump)] = counts.get(id(jump), 0) + 1
            elif isinstance(jump, _Cond):
                count(jump.then)
                count(jump.otherwise)

        for part in parts:
            count(part.end)
        return counts

    def thread(jump, counts):
        if isinstance(jump, _Cond):
            return attrs.evolve(jump, then=thread(jump.then, counts),
                                otherwise=thread(jump.otherwise, counts))
        passed: list[_Part] = []  # empty parts that only jump on, to point at the end of the chain
        seen = set()
        folded = None
        while isinstance(jump, _Part) and jump is not start and not jump.stmts and id(jump) not in seen:
            seen.add(id(jump))
            if isinstance(jump.end, _Cond):
                if counts.get(id(jump), 0) <= 1:
                    folded = jump.end
                break
            passed.append(jump)
            jump = jump.end
        for part in passed:  # path compression: chains of joins are walked once, not per jump
            part.end = jump
        return jump if folded is None else thread(folded, counts)

    changed = True
    while changed:
        counts = refs()
        changed = False
        for part in parts:
            new_end = thread(part.end, counts)
            if not _same_jump(new_end, part.end):
                part.end = new_end
                changed = True
        counts = refs()
        kept = [p for p in parts if p is start or counts.get(id(p))]
        if len(kept) != len(parts):
            parts = kept
            changed = True
    return parts


def _same_jump(a, b) -> bool:
    if isinstance(a, _Cond) and isinstance(b, _Cond):
        return a.cond is b.cond and _same_jump(a.then, b.then) and _same_jump(a.otherwise, b.otherwise)
    return a is b


# ----------------------------------------------------------------------------------------------
# Parts as clauses


def _next_var(name, pos):
    return tree.ThisVar(name, pos=pos)


def _jump_expr(jump, pos):
    if jump is None:
        return tree.IntLit("0", pos=pos)
    if isinstance(jump, _Part):
        return tree.IntLit(str(jump.number), pos=pos)
    where = jump.pos or pos
    return tree.Ternary(jump.cond, _jump_expr(jump.then, where), _jump_expr(jump.otherwise, where),
                        pos=where)


def _set_next(name, value, pos):
    return tree.ExprStmt(tree.Assign("=", _next_var(name, pos), value, pos=pos), pos=pos)


def _where(pos) -> str:
    # (a path may hold "*/" or "dtracepy:")
    return tree.comment_safe(f" at {pos.file}:{pos.line}") if pos is not None and getattr(pos, "file", None) else ""


def _comment(clause, count, name, dialect) -> tree.Comment:
    import textwrap

    label = _TITLES.get(dialect.name, dialect.name)
    text = (f"dtracepy: {label} D has no if/else, so the clause{_where(clause.pos)} runs as the "
            f"{count} clauses below, on the same probes and in order. this->{name} holds the "
            "number of the part to run next (0: none): each condition is evaluated once, and a "
            "statement that fails stops the rest, as it would in one clause.")
    lines = textwrap.wrap(text, 92, break_long_words=False, break_on_hyphens=False)
    return tree.Comment("".join(f"\n * {line}" for line in lines) + "\n ", pos=clause.pos)


_TITLES = {"oracle": "Oracle", "illumos": "illumos", "freebsd": "FreeBSD", "macos": "macOS"}


def _lower_clause(clause: tree.Clause, name: str, dialect) -> list[tree.TopLevel]:
    parts = _simplify(_split(clause.body))
    for number, part in enumerate(parts, 1):
        part.number = number
    pos = clause.pos
    out: list[tree.TopLevel] = [_comment(clause, len(parts) + 1, name, dialect)]
    out.append(tree.Clause(clause.probes, None, (_set_next(name, tree.IntLit("0", pos=pos), pos),),
                           pos=pos))
    for part in parts:
        body = list(part.stmts)
        if part.end is not None:
            where = part.end.pos if isinstance(part.end, _Cond) and part.end.pos else pos
            body.append(_set_next(name, _jump_expr(part.end, where), where))
        if part.number == 1:
            predicate = clause.predicate
        else:
            predicate = tree.Binary("==", _next_var(name, pos), tree.IntLit(str(part.number), pos=pos),
                                    pos=pos)
        out.append(tree.Clause(clause.probes, predicate, tuple(body), pos=pos))
    return out


def _has_if(clause) -> bool:
    return any(isinstance(node, tree.If) for stmt in clause.body or () for node in stmt.walk())


def speculates(clause) -> bool:
    """Does ``clause`` call ``speculate()``?  Speculation covers the clause it is in, so such a
    clause is not split; the ``dialect-if`` check then reports its ``if``."""
    return any(isinstance(node, tree.Call) and node.name == "speculate"
               for stmt in clause.body or () for node in stmt.walk())


def _lowered(item) -> bool:
    return isinstance(item, tree.Clause) and _has_if(item) and not speculates(item)


def _free_name(program) -> str:
    used = {node.name for node in program.walk() if isinstance(node, tree.ThisVar)}
    name, n = NEXT, 1
    while name in used:
        n += 1
        name = f"{NEXT}{n}"
    return name


def lower_if_else(program: tree.Program, ctx) -> tree.Program:
    """The pass: every clause with an ``if`` split into predicated clauses, where the dialect has
    no ``if``/``else``; the program unchanged elsewhere.  Splitting recurses along nested ifs and
    ``else if`` chains: a very deep one (a thousand ``elif_``) is retried with room to recurse, as
    the printer does."""
    import sys

    try:
        return _lower_program(program, ctx)
    except RecursionError:
        pass
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 8 * sum(1 for _ in program.walk()) + 10_000))
    try:
        return _lower_program(program, ctx)
    finally:
        sys.setrecursionlimit(old)


def _lower_program(program: tree.Program, ctx) -> tree.Program:
    dialect = dialect_named(getattr(ctx, "dialect", None) or "illumos")
    if dialect.has_if_else or not any(_lowered(i) for i in program.items):
        return program
    name = _free_name(program)
    items: list[tree.TopLevel] = []
    for item in program.items:
        if _lowered(item):
            items += _lower_clause(item, name, dialect)
        else:
            items.append(item)
    return attrs.evolve(program, items=tuple(items))
