"""``parser-stack``: an expression nested deeper than dtrace's parser can hold (part of the rules
family: :func:`dtracepy.checks.rules.run` yields these for a D file).

dtrace reads D with a bison parser whose stack holds at most ``YYMAXDEPTH`` (10,000) states.  A
chain of prefix operators, casts, assignments or conditionals keeps states on that stack until
its innermost operand is read, and past the limit dtrace stops: "memory exhausted near ...".
dtracepy's own parser has no such limit (it reads these chains without recursion), so without
this rule ``check`` passed scripts dtrace refuses (review 9, finding 5).

The states are counted from the tree, as bisection against the real dtrace 2.0 measured them
(``tests/test_check_parser_stack.py`` holds each case at its last accepted length and one more):
an operand one state; a prefix operator (``!``, ``-``, ``*``, ``stringof`` ...) one more than its
operand; a cast three (``(``, the type, ``)``); a binary operator's or an assignment's right side
two more (the left side and the operator wait); a conditional's middle two more, its last
operand four; a call's or an index's first argument two more (the callee and ``(``), each later
one four.  A type written in an expression keeps a state for its specifiers and one for each
``*`` of a run of pointers (``pointer: '*' pointer`` waits for the last one): a cast's type
stands one past its ``(`` (``trace((int`` then 9,991 ``*``, ``)arg0)`` is the last accepted), a
``sizeof``'s, ``offsetof``'s or ``xlate``'s two past the keyword; a declaration's at the top
of the file, two states below a clause's first statement (``int`` then 9,996 ``*``, ``x;``).
Where the statement stands adds to it: two for a statement after the first in its
clause, one for a clause or declaration after the first in the file.  Parentheses the source
wrote beyond those the tree needs are not in the tree (one state each, at most
``lexer.MAX_NESTING`` of them), so the count is a lower bound: what it flags, dtrace refuses.
"""

from __future__ import annotations

import re
from array import array
from itertools import accumulate, islice
from operator import attrgetter, sub

from dtracepy import tree as t
from dtracepy.source import line_and_column, offsets_in

#: The deepest count dtrace 2.0 accepts for the first statement of a file's first clause (or
#: its predicate): ``BEGIN { x = !...!1; }`` with 9,992 ``!`` is 2 + 9,992 + 1.
LIMIT = 9995
#: Fewer characters than this cannot reach the limit: every state but the innermost operand's
#: stands for a token of at least one character.
SHORTEST = LIMIT - 8

_STARS = re.compile(r"\*(?:\s*\*)*")
_GRAMMAR_ITEMS = (t.Clause, t.Declaration, t.Inline, t.Translator, t.Provider)
# Expressions with no parts (see _parts): one state each.
_OPERANDS = frozenset((t.Ident, t.IntLit, t.StringLit, t.CharLit, t.MacroVar, t.AggVar, t.SelfVar, t.ThisVar))


def run(ctx, printed: tuple[list, int] | None = None):
    """``printed``, for a program printed rather than read (``compile``): the offset of each of
    the program's items in its D text (``printer.to_d``'s ``starts``) and the text's length, which
    measure the items as the lines of a D file do."""
    lines = ctx.lines
    if lines is not None and sum(map(len, lines)) + len(lines) < SHORTEST:
        return
    if any(cls in ctx.item_classes for cls in _GRAMMAR_ITEMS[1:]):
        items = [item for item in ctx.program.items if isinstance(item, _GRAMMAR_ITEMS)]
    else:                                         # (the usual file: no pass over its items)
        items = ctx.clauses
    if printed is not None:
        spans = _printed_spans(ctx.program.items, items, *printed)
    else:
        spans = _spans(items, lines, ctx.first_pos.file if ctx.first_pos is not None else None)
    # (the items long enough to be walked, found by a comprehension: most are not)
    for number in [number for number, span in enumerate(spans) if span >= SHORTEST]:
        item = items[number]
        before = 1 if number else 0  # states the file's earlier items leave on the stack (one)
        if isinstance(item, t.Declaration):
            # (the file's top: two states below a clause's first statement, which waits on its
            # probe descriptions and its `{`)
            for declarator in item.declarators:
                states = before - 2 + 1 + _pointer_run(declarator, ctx, item)
                if states > LIMIT:
                    yield _finding(ctx, states, item, item)
        if isinstance(item, t.Clause):
            if item.predicate is not None:
                yield from _judge(ctx, item.predicate, before, item)
            yield from _statements(ctx, item.body, before, item)


def dereferences(ctx):
    """``dereferences``: a clause holding more pointer dereferences (``p->m``, counted in its
    predicate and body) than a dialect's compiler can jump across
    (:data:`dtracepy.facts.dialects.MAX_CLAUSE_DEREFERENCES`): an error for that dialect, a
    warning when none was chosen.  A ``->`` under ``&``, ``sizeof`` or ``offsetof`` loads nothing
    and is not counted.  Only a program of that many ``->`` in all has a clause walked."""
    from dtracepy.facts.dialects import MAX_CLAUSE_DEREFERENCES

    if ctx.options.dialect_given:
        limit = MAX_CLAUSE_DEREFERENCES.get(ctx.options.dialect.name)
        named, severity = ctx.options.dialect.name, "error"
    else:
        named, limit = min(MAX_CLAUSE_DEREFERENCES.items(), key=lambda item: item[1])
        severity = "warning"
    if limit is None or sum(node.op == "->" for node in ctx.of(t.Member)) <= limit:
        return
    for clause in ctx.clauses:
        found = _dereference(clause, limit + 1)
        if found is not None:
            yield ctx.finding(
                "dereferences", found,
                f"this clause dereferences pointers (->) more than {limit:,} times, which {named} D cannot "
                f"compile: each is a jump to the clause's error exit, and past that many a jump no longer "
                f"reaches it (dtrace aborts: \"dt_as: Assertion `instr.off < dlp->dl_label' failed\"); "
                f"split the work across clauses, or keep a pointer in a clause-local (this->p = x->a->a)",
                severity=severity, fallback=clause)


def _dereference(clause, number):
    """The ``number``-th ``->`` of ``clause`` that loads (predicate and body, in walk order; not
    under ``&``, ``sizeof`` or ``offsetof``), or None.  Without recursion: the chains are long."""
    count = 0
    stack = list(reversed(clause.body))
    if clause.predicate is not None:
        stack.append(clause.predicate)
    while stack:
        node = stack.pop()
        cls = node.__class__
        if cls is t.SizeofExpr or cls is t.SizeofType or cls is t.Offsetof or (
                cls is t.Unary and node.op == "&"):
            continue
        if cls is t.Member and node.op == "->":
            count += 1
            if count == number:
                return node
        stack.extend(reversed(list(node.children())))
    return None


def _spans(items, lines, file) -> list[float]:
    """How many characters each item may span (from its start to the next item's): a clause
    shorter than the shortest chain dtrace refuses is not walked (a dense file's are all short).
    An item placed in another file (an included header, through ``#line``) is not measured."""
    if lines is None:
        return [float("inf")] * len(items)
    # (the usual file: its items' offsets in the parsed text, which has the file's lines)
    offsets = offsets_in([item._at for item in items], file, lines)
    if offsets is None:
        # (each line's start: its length and newline summed in C, not a Python step a line; 8
        # bytes each, not a list's 36: 4 million empty lines)
        starts = array("q", accumulate(map((1).__add__, map(len, lines)), initial=0))
        offsets = [_offset(item, starts, lines, file) for item in items]
    offsets.append(sum(map(len, lines)) + len(lines))  # (the last line's start and newline summed)
    inf = float("inf")
    return [inf if offset is None or after is None or after < offset else after - offset
            for offset, after in zip(offsets, islice(offsets, 1, None))]


def _offset(item, starts, lines, file):
    at = item._at
    if at.__class__ is int:  # a parsed item's position, as stored (tree.Node.pos: no Pos made)
        where = line_and_column(at, file)
        if where is not None:
            line, col = where
            return starts[line - 1] + col - 1 if 0 < line <= len(lines) else None
    pos = item.pos
    return starts[pos.line - 1] + pos.col - 1 \
        if pos is not None and pos.file == file and 0 < pos.line <= len(lines) else None


def _printed_spans(all_items, items, starts: list, length: int) -> list[float]:
    """:func:`_spans` of ``items`` (the grammar's items among ``all_items``, in order) from the
    offsets of ``all_items`` in the printed text (``starts``) and its length: from an item's
    start to the next one's of ``items``."""
    offsets = [start for item, start in zip(all_items, starts) if isinstance(item, _GRAMMAR_ITEMS)]
    if len(offsets) != len(items):   # (not the program printed: measure nothing, walk all)
        return [float("inf")] * len(items)
    offsets.append(length)
    return [after - offset for offset, after in zip(offsets, offsets[1:])]


def _statements(ctx, body, base, clause):
    # (without recursion: a thousand chained `else if`s nest as deep)
    pending = [(body, base)]
    while pending:
        stmts, outer = pending.pop()
        last = len(stmts) - 1
        # A long body of expression statements, each too short to reach the limit (as below), told
        # in C loops: only its last statement is walked (a body of 750,000 `x = y;` took a Python
        # step per statement of each test below).
        first = last if last > 16 and _all_short(stmts, LIMIT - outer - 2) else 0
        for number, stmt in enumerate(stmts[first:] if first else stmts, first):
            extra = outer + (2 if number else 0)
            if isinstance(stmt, t.ExprStmt):
                if stmt.expr.__class__ in _OPERANDS and extra < LIMIT:
                    continue        # (one state: a statement of a lone operand is no chain)
                if number < last:
                    # Too short to reach the limit, told from the parsed offsets alone: the
                    # statement holds fewer characters than there are from its start to the
                    # next statement's, and every state it keeps on the stack but its innermost
                    # operand's stands for a token of at least one character.  (Each statement
                    # of a body of 750,000 `x = y;` was walked: a third of its check.)
                    at, after = stmt._at, stmts[number + 1]._at
                    if at.__class__ is int and after.__class__ is int and 0 < after - at < LIMIT - extra:
                        continue
                if _few_states(stmt.expr, LIMIT - extra):
                    continue        # (a statement built without offsets, the DSL's, told short)
                yield from _judge(ctx, stmt.expr, extra, clause)
            elif isinstance(stmt, t.Block):
                pending.append((stmt.body, extra + 1))
            elif isinstance(stmt, t.If):      # `if (` waits: two states (a lower bound for each part)
                yield from _judge(ctx, stmt.cond, extra + 2, clause)
                pending.extend(((part,), extra + 4) for part in (stmt.then, stmt.otherwise)
                               if part is not None)


_AT = attrgetter("_at")


def _all_short(stmts, most: int) -> bool:
    """Are ``stmts`` all expression statements with parsed offsets, each holding fewer than
    ``most`` characters to the next one's (all but the last: its end is not known here)?"""
    if set(map(type, stmts)) != {t.ExprStmt}:
        return False
    # The offsets are read a part of the body at a time, each part one statement past the next
    # one's start: a list of every offset was 12 MB of check's peak for 1,500,000 ``x;`` (and
    # the gaps streamed, not held: a list of them and two slices of the offsets were 19 MB more
    # for 750,000 ``x = y;``).
    for start in range(0, len(stmts) - 1, _SHORT_PART):
        ats = list(map(_AT, stmts[start : start + _SHORT_PART + 1]))
        if set(map(type, ats)) != {int}:
            return False
        if not (min(map(sub, islice(ats, 1, None), ats)) > 0 and max(map(sub, islice(ats, 1, None), ats)) < most):
            return False
    return True


#: How many statements' offsets :func:`_all_short` holds at a time.
_SHORT_PART = 1 << 14


#: The most states one node of an expression adds to those of its deepest part (:func:`_parts`:
#: an ``xlate``'s operand, five), so that an expression of ``n`` nodes keeps at most
#: ``_MOST_A_NODE * n`` states, a type aside.
_MOST_A_NODE = 5


def _few_states(expr, most: int) -> bool:
    """Whether ``expr`` surely keeps at most ``most`` states, told from its nodes without
    :func:`_deepest`'s walk (a sixth of ``import --exact``'s proof of dense statements, which the
    DSL builds without parsed offsets): an operand keeps one, and a node with parts at most
    :data:`_MOST_A_NODE` more than its deepest part, so ``expr`` keeps at most that many times
    its nodes (counted as a tree: a shared node once for each use, which only adds).  A type (a
    run of pointers) or more nodes than ``most`` allows: not told here (False), walked."""
    Binary, Assign, TypeName, operands, parts_of = t.Binary, t.Assign, t.TypeName, _OPERANDS, _parts
    left = most // _MOST_A_NODE   # (nodes still allowed)
    stack = [expr]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        left -= 1
        if left < 0:
            return False
        cls = node.__class__
        if cls is Binary:
            push(node.left)
            push(node.right)
        elif cls is Assign:
            push(node.target)
            push(node.value)
        elif cls not in operands:
            for _, part in parts_of(node):
                if part.__class__ is TypeName:
                    return False
                push(part)
    return True


def _judge(ctx, expr, base, clause):
    states, node = _deepest(expr, ctx)
    if base + states > LIMIT:
        yield _finding(ctx, base + states, node, clause)


def _finding(ctx, states, node, fallback):
    return ctx.finding(
        "parser-stack", node,
        f"this expression nests {states:,} parser states deep, past the {LIMIT:,} that dtrace's "
        "parser holds (\"memory exhausted\"): a long chain of prefix operators, casts, "
        "assignments or conditionals, or of pointers in a type (int ***...); split it with "
        "clause-local variables (this->x), or a typedef",
        fallback=fallback)


def _pointer_run(declarator, ctx, owner) -> int:
    """The longest run of pointers in ``declarator`` (``* * *``, each waiting on the stack for the
    last), a lower bound: in a read file (``ctx.lines``), at most the first run of ``*`` its
    source line shows from ``owner``'s position on, since parentheses the tree does not keep
    (``int **(*)``) end a run on dtrace's stack; 0 where that line is not at hand."""
    run = best = 0
    while isinstance(declarator, t.Declarator) and not isinstance(declarator, t.NameDecl):
        run = run + 1 if declarator.__class__ is t.PointerDecl else 0
        best = max(best, run)
        declarator = declarator.target
    if best and ctx.lines is not None:
        pos = owner.pos
        text = ctx.line_text(pos, owner) if pos is not None else None
        if text is None or pos.file != (ctx.first_pos.file if ctx.first_pos is not None else None):
            return 0
        start = text.find("*", pos.col - 1)
        if start < 0:
            return 0
        shown = _STARS.match(text, start).group().count("*")
        best = min(best, shown)
    return best


def _deepest(expr, ctx=None) -> tuple[int, object]:
    """The most states ``expr`` keeps on dtrace's parser stack, and the innermost node of the
    deepest chain (where dtrace stops), without recursion (the chains are 10,000 deep) and each
    distinct node once (the DSL shares subtrees: ``x = x + x`` in a loop)."""
    depth: dict[int, tuple[int, object]] = {}     # id(node) -> (states, deepest node)
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in depth:
            continue
        parts = _parts(node)
        for _, part in parts:
            if part.__class__ is t.TypeName and id(part) not in depth:
                # (a type's specifiers, then its run of pointers: no sub-expression to walk)
                depth[id(part)] = (1 + (_pointer_run(part.declarator, ctx, node) if ctx is not None else 0), node)
        if not ready:
            stack.append((node, True))
            stack.extend((part, False) for _, part in parts if id(part) not in depth)
            continue
        best = (1, node)
        for extra, part in parts:
            states, where = depth[id(part)]
            if extra + states > best[0]:
                # (a node without a position, the DSL's arg0, is shown at the innermost one with)
                best = (extra + states, where if where.pos is not None else node)
        depth[id(node)] = best
    return depth[id(expr)]


def _parts(node) -> list[tuple[int, object]]:
    """(states waiting while the part is read, part) for each sub-expression of ``node``."""
    cls = node.__class__
    if cls is t.Unary or cls is t.SizeofExpr or cls is t.Stringof:
        return [(1, node.operand)]
    if cls is t.Binary:
        return [(0, node.left), (2, node.right)]
    if cls is t.Assign:
        return [(0, node.target), (2, node.value)]
    if cls is t.Ternary:
        return [(0, node.cond), (2, node.then), (4, node.otherwise)]
    if cls is t.Cast:                    # ( type ) operand
        return [(1, node.type), (3, node.operand)]
    if cls is t.Xlate:                   # xlate < type > (
        return [(2, node.type), (5, node.operand)]
    if cls is t.SizeofType or cls is t.Offsetof:     # sizeof ( type
        return [(2, node.type)]
    if cls is t.Call:
        return [(0, node.callee)] + [(4 if i else 2, arg) for i, arg in enumerate(node.args)]
    if cls is t.Index:
        return [(0, node.base)] + [(4 if i else 2, key) for i, key in enumerate(node.keys)]
    if cls is t.Postfix or cls is t.Member:
        return [(0, node.operand if cls is t.Postfix else node.base)]
    return []
