"""What every check needs to know about one program: its clauses in order, positions, and a walk
that classifies each use of a variable as a read, a write, a zeroing or an update."""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property
from itertools import chain
from operator import attrgetter

import attrs

from dtracepy import tree as t
from dtracepy.checks import Finding, source_line_of  # (the package's __init__ imports no check module at its top)
from dtracepy.checks.registry import BY_NAME
from dtracepy.source import line_marks_at, text_line
from dtracepy.facts import command_line, probes
from dtracepy.source import Pos


@attrs.define  # (not frozen: a frozen class's __init__ costs twice as much, and checks make many)
class Access:
    """One use of a variable.

    kind: ``read``; ``write`` (``x = v``, ``zero`` says v is 0); ``update`` (``x += v``, ``x++``:
    a read and a write); ``partial`` (``x[k] = v`` or ``x.m = v``: a write of part of x).
    """

    kind: str
    node: t.Node
    name: str
    zero: bool = False
    in_predicate: bool = False
    guarded: bool = False  # inside an if whose condition mentions a variable of the same class


def is_zero(expr, chains=None) -> bool:
    """Is ``expr`` the constant 0 (through casts and chained assignments)?

    ``chains`` (a dict, kept by a caller that asks about each link of one chain ``a = b = ... =
    v``): the answers for the assignments already followed, by id, so that asking about every
    link follows the chain once (following it whole for each link took 9.5 s for 8,000 links)."""
    cls = expr.__class__
    if cls is t.IntLit:
        text = expr.text
        if text == "0":  # the usual spelling
            return True
        if "1" <= text[:1] <= "9":
            # (a decimal constant, whatever its suffix, is not 0: answered without converting it,
            # which 226,000 ``self->vN = 1;`` each did)
            return False
    if cls is t.Ident:  # (a name: what _is_zero_leaf answers, without the loop and its call)
        return expr.name == "NULL"
    followed = []
    while True:
        if isinstance(expr, t.Cast):
            expr = expr.operand
        elif isinstance(expr, t.Assign) and expr.op == "=":
            if chains is not None:
                known = chains.get(id(expr))
                if known is not None:
                    break
                followed.append(id(expr))
            expr = expr.value
        else:
            known = None
            break
    if known is None:
        known = _is_zero_leaf(expr)
    for link in followed:
        chains[link] = known
    return known


def _is_zero_leaf(expr) -> bool:
    if isinstance(expr, t.IntLit):
        try:
            return expr.value == 0
        except ValueError:
            return False
    if isinstance(expr, t.Ident) and expr.name == "NULL":
        return True
    return False


def _var_name(node, cls):
    return node.name if isinstance(node, cls) else None


def _base_var(node, cls):
    """The variable under ``x[k]``, ``x.m``, ``x->m`` (for partial writes)."""
    while isinstance(node, (t.Index, t.Member)):
        if isinstance(node, t.Member) and node.op == "->":
            return None  # a write through a pointer reads the pointer
        node = node.base
    return node.name if isinstance(node, cls) else None


# Node classes that hold no nodes (their fields are strings the constructors check), so the walk
# below steps over them without asking for their children.
_LEAVES = frozenset((t.Ident, t.IntLit, t.StringLit, t.CharLit, t.MacroVar, t.AggVar, t.SelfVar,
                     t.ThisVar))
# (and for the whole-program index, probe descriptions, empty statements, a declaration's names
# and type names (4 MiB of ``struct sN { int a; char b; };`` holds 250,000 NameDecls) and the
# top-level lines, which hold strings only: 500,000 `#line 5` lines were each taken apart field by
# field)
_INDEX_LEAVES = _LEAVES | {t.ProbeDesc, t.EmptyStmt, t.NameDecl, t.TypeRef, t.Directive, t.Pragma, t.Comment,
                           t.Shebang}
# The index records a clause body of at least _BULK statements that are all lone operands of these
# classes (not thread-locals) in C loops (see Context._by_class).
_BULK = 16


def _all_leaves(nodes, leaves=_INDEX_LEAVES) -> bool:
    """Are all of ``nodes`` of the index's leaf classes (see Context._by_class)?"""
    for node in nodes:
        if node.__class__ not in leaves:
            return False
    return True
_BULK_LEAVES = _LEAVES - {t.SelfVar}


def _declaration_nodes(node, str=str, TypeRef=t.TypeRef, StructSpec=t.StructSpec, FieldDecl=t.FieldDecl,
                       FieldDeclarator=t.FieldDeclarator, NameDecl=t.NameDecl, PointerDecl=t.PointerDecl) -> list | None:
    """The nodes below a Declaration in the order of a walk (as Context._by_class's general steps
    reach them), where it is the usual declaration: its specifiers words, type names and structs
    or unions whose members' specifiers are words, type names and tags, each member's declarators
    a name under pointers, and its own declarators too (``typedef int t;``, ``struct s { int a;
    char b; };``, ``struct s *p;``).
    Else None (the walk takes it apart step by step).  In one loop, with no push and pop of each
    node and of each word (a struct's steps were two fifths of the index of 4 MiB of them)."""
    out: list = []
    add = out.append
    for spec in node.specifiers:
        kind = spec.__class__
        if kind is str:
            continue
        add(spec)
        if kind is TypeRef:
            continue
        if kind is not StructSpec:
            return None
        for field in spec.members or ():
            if field.__class__ is not FieldDecl:
                return None
            add(field)
            for inner in field.specifiers:
                kind = inner.__class__
                if kind is str:
                    continue
                if kind is not TypeRef and (kind is not StructSpec or inner.members is not None):
                    return None
                add(inner)
            for fd in field.declarators:
                if fd.__class__ is not FieldDeclarator or fd.width is not None:
                    return None
                add(fd)
                declarator = fd.declarator
                if declarator is not None:
                    while declarator.__class__ is PointerDecl:
                        add(declarator)
                        declarator = declarator.target
                    if declarator.__class__ is not NameDecl:
                        return None
                    add(declarator)
    for declarator in node.declarators:
        while declarator.__class__ is PointerDecl:
            add(declarator)
            declarator = declarator.target
        if declarator.__class__ is not NameDecl:
            return None
        add(declarator)
    return out


def _translator_nodes(node, str=str, TypeName=t.TypeName, TypeRef=t.TypeRef, StructSpec=t.StructSpec,
                      PointerDecl=t.PointerDecl, NameDecl=t.NameDecl, TranslatorMember=t.TranslatorMember,
                      Unary=t.Unary, leaves=_INDEX_LEAVES) -> list | None:
    """As :func:`_declaration_nodes`, for a Translator whose output and input are words, type
    names and tags under pointers, and whose members' values are leaves under prefix operators
    (``translator struct o < int *p > { a = *p; };``); else None."""
    out: list = []
    add = out.append
    for type_name in (node.output, node.input):
        if type_name.__class__ is not TypeName:
            return None
        add(type_name)
        for spec in type_name.specifiers:
            kind = spec.__class__
            if kind is str:
                continue
            if kind is not TypeRef and (kind is not StructSpec or spec.members is not None):
                return None
            add(spec)
        declarator = type_name.declarator
        while declarator.__class__ is PointerDecl:
            add(declarator)
            declarator = declarator.target
        if declarator.__class__ is not NameDecl:
            return None
        add(declarator)
    for member in node.members:
        if member.__class__ is not TranslatorMember:
            return None
        add(member)
        value = member.value
        while value.__class__ is Unary:
            add(value)
            value = value.operand
        if value.__class__ not in leaves:
            return None
        add(value)
    return out
_EXPR = attrgetter("expr")
_NAME = attrgetter("name")


_TARGET, _VALUE = attrgetter("target"), attrgetter("value")


class _Operands:
    """The targets and values of the assignments of a list, each target then its value (the
    walk's order), read from the assignments when iterated: an entry of the index (see
    :meth:`Context.of`: a reader iterates it, asks its length or makes a list of it).  A list of
    them was 8 bytes a node, 12 MB of the peak of ``check`` of 750,000 ``x=y;``, read twice."""

    __slots__ = ("assignments", "count")

    def __init__(self, assignments: list):
        # (the list is the index's own list of assignments, which grows as the walk finds more:
        # these are its first ``count``)
        self.assignments, self.count = assignments, len(assignments)

    def __len__(self) -> int:
        return 2 * self.count

    def __iter__(self):
        assignments = self.assignments
        if len(assignments) != self.count:  # (grown since: a copy of the first, while read)
            assignments = assignments[:self.count]
        # (C loops: zip reuses its pair, which chain lets go before asking for the next)
        return chain.from_iterable(zip(map(_TARGET, assignments), map(_VALUE, assignments)))

    def __getitem__(self, index):
        return list(self)[index]


def _assignments_in_bulk(exprs) -> list | None:
    """(class, its nodes in the walk's order: a new list, or the targets and values of ``exprs``
    when both are of one class, :class:`_Operands`) for the nodes of ``exprs``, a new list
    of assignments, when their targets are all of one class of lone operand and their values of
    one (not thread-locals: see Context._by_class), made without a Python step a statement; None
    otherwise.  (750,000 ``x=y;`` were recorded a statement at a time, four nodes each.)  Read by
    comprehensions: in CPython 3.11 half the instructions of ``map(attrgetter(...))``.  Only the
    lists kept are made (a list of the targets and one of the values beside the list of both were
    12 MB more at the peak of check's memory for 750,000 ``x=y;``)."""
    target_kinds = {expr.target.__class__ for expr in exprs}
    value_kinds = {expr.value.__class__ for expr in exprs}
    if len(target_kinds) != 1 or len(value_kinds) != 1 or not (target_kinds | value_kinds) <= _BULK_LEAVES:
        return None
    (target_kind,), (value_kind,) = target_kinds, value_kinds
    if target_kind is value_kind:  # (each statement's target, then its value)
        return [(t.Assign, exprs), (target_kind, _Operands(exprs))]
    return [(t.Assign, exprs), (target_kind, [expr.target for expr in exprs]),
            (value_kind, [expr.value for expr in exprs])]


def accesses(expr, cls, in_predicate=False, guarded=False, out=None):
    """Every use of a variable of class ``cls`` (``t.SelfVar``, ``t.ThisVar`` ...) in ``expr``, in
    evaluation order (an assignment's value before its target); appended to ``out`` if given."""
    if out is None:
        out = []
    _gather([expr], cls, in_predicate, guarded, out)
    return out


class _PredicateEnds:
    """On :func:`_gather`'s stack between a clause's predicate and its body: what follows is not
    in the predicate."""


_PREDICATE_ENDS = _PredicateEnds()


class _ClauseEnds:
    """On :func:`_gather`'s stack after each clause of several gathered in one call
    (:func:`clauses_accesses`): the accesses gathered since the last one are the clause's, and go
    to ``outs``; the next clause starts in its predicate."""

    __slots__ = ("outs",)

    def __init__(self, outs: list):
        self.outs = outs


def _gather(stack, cls, in_predicate, guarded, out, *, Assign=t.Assign, Binary=t.Binary, Call=t.Call,
            Index=t.Index, Member=t.Member, ExprStmt=t.ExprStmt, Unary=t.Unary, Postfix=t.Postfix,
            leaves=_LEAVES):
    """:func:`accesses` of the expressions on ``stack``, the last one first: those of several
    expressions in a row are gathered in one call (a clause's predicate and statements: one call
    for each was a fifth of the work, setting up this loop; the node classes are bound as
    defaults for the same reason)."""
    emit = out.append
    # an explicit stack of nodes to evaluate and ready Accesses to emit.  The hot loop of the
    # lifecycle checks: the common node classes are taken apart here, the rest by children().
    # (Accesses are made with positional arguments: kind, node, name, zero, in_predicate, guarded.)
    pop, push = stack.pop, stack.append
    chains: dict = {}  # (is_zero's answers for the links of a = b = ... = v)
    while stack:
        node = pop()
        kind = node.__class__
        if kind is cls:
            emit(Access("read", node, node.name, False, in_predicate, guarded))
        elif kind in leaves:
            continue
        elif kind is Binary:
            push(node.right)
            push(node.left)
        elif kind is Call:
            stack.extend(reversed(node.args))
            push(node.callee)
        elif kind is Access:
            emit(node)
        elif kind is Assign:
            target = node.target
            if target.__class__ is cls:
                # the target's access comes after the value's
                if node.op == "=":
                    push(Access("write", node, target.name, is_zero(node.value, chains), in_predicate, guarded))
                else:
                    push(Access("update", node, target.name, False, in_predicate, guarded))
            else:
                later = []
                base = _base_var(target, cls)
                if base is not None:
                    later.append(Access("partial" if node.op == "=" else "update", node, base, False,
                                        in_predicate, guarded))
                    # the keys / subscripts of the target are read
                    while isinstance(target, (Index, Member)):
                        if target.__class__ is Index:
                            later.extend(reversed(target.keys))
                        target = target.base
                else:
                    later.append(target)
                # evaluate value first, then the target (stack: push in reverse)
                stack.extend(reversed(later))
            push(node.value)
        elif (kind is Unary or kind is Postfix) and node.op in ("++", "--"):
            name = _var_name(node.operand, cls) or _base_var(node.operand, cls)
            if name is not None:
                emit(Access("update", node, name, False, in_predicate, guarded))
                if node.operand.__class__ is not cls:  # x[k]++: the keys are read
                    target = node.operand
                    while isinstance(target, (Index, Member)):
                        if target.__class__ is Index:
                            stack.extend(reversed(target.keys))
                        target = target.base
            else:
                push(node.operand)
        elif kind is Index:
            stack.extend(reversed(node.keys))
            push(node.base)
        elif kind is Member or kind is Unary or kind is Postfix:
            push(node.base if kind is Member else node.operand)
        elif kind is ExprStmt:
            push(node.expr)
        elif kind is _PredicateEnds:
            in_predicate = False
        elif kind is _ClauseEnds:
            node.outs.append(out)
            out = []
            emit = out.append
            in_predicate = True
        elif isinstance(node, t.Node):
            stack.extend(reversed(list(node.children())))


def stmt_exprs(stmts, guard_cls=None, guarded=False):
    """(expression, guarded) for each expression statement and if-condition, in order.

    Iterative (an explicit stack), so a thousand nested or chained ``if`` statements are fine."""
    stack = [(stmt, guarded) for stmt in reversed(tuple(stmts or ()))]
    while stack:
        stmt, guarded = stack.pop()
        if isinstance(stmt, t.ExprStmt):
            yield stmt.expr, guarded
        elif isinstance(stmt, t.Block):
            stack.extend((inner, guarded) for inner in reversed(tuple(stmt.body or ())))
        elif isinstance(stmt, t.If):
            yield stmt.cond, guarded
            inner = guarded or (guard_cls is not None and mentions(stmt.cond, guard_cls))
            if stmt.otherwise is not None:
                stack.append((stmt.otherwise, guarded))
            stack.append((stmt.then, inner))


def mentions(expr, cls) -> bool:
    return expr is not None and any(isinstance(n, cls) for n in expr.walk())


def clause_accesses(clause, cls):
    """Predicate accesses, then body accesses, for one clause."""
    out = []
    predicate, body = clause.predicate, clause.body or ()
    ExprStmt = t.ExprStmt
    plain = [stmt.expr for stmt in body if stmt.__class__ is ExprStmt]
    if len(plain) == len(body):  # the usual clause (no if, no block): one walk of it all
        plain.reverse()
        if predicate is not None:
            plain += (_PREDICATE_ENDS, predicate)
        _gather(plain, cls, predicate is not None, False, out)
        return out
    if predicate is not None:
        _gather([predicate], cls, True, False, out)
    plain = []  # a run of expression statements (the usual ones: stmt_exprs' answer, made directly)
    for stmt in clause.body or ():
        if stmt.__class__ is ExprStmt:
            plain.append(stmt.expr)
            continue
        if plain:
            plain.reverse()
            _gather(plain, cls, False, False, out)
            plain = []
        for expr, guarded in stmt_exprs((stmt,), cls):
            accesses(expr, cls, False, guarded, out)
    if plain:
        plain.reverse()
        _gather(plain, cls, False, False, out)
    return out


def clauses_accesses(clauses, cls) -> list:
    """:func:`clause_accesses` of each of ``clauses`` (a clause, its :class:`_ClauseParts`, or
    None for a clause with nothing to gather: no access), in order.

    The usual clause, whose predicate (if any) is a name or a literal and whose statements are
    such leaves or assignments of a leaf to a leaf (``self->ts = timestamp``), has its accesses
    made here, in the order :func:`_gather` gives them, without a walk.  The other clauses whose
    bodies are expression statements only are gathered in one :func:`_gather` call, a
    :class:`_ClauseEnds` after each (a call for each was a tenth of the work on a script of
    one-statement clauses); a clause with an ``if`` or a block on its own."""
    found: list = []
    ends = _ClauseEnds(found)
    run: list = []  # the expressions of the clauses since the last call, in the order gathered
    PREDICATE_ENDS, ExprStmt, Assign, leaves = _PREDICATE_ENDS, t.ExprStmt, t.Assign, _LEAVES
    for clause in clauses:
        if clause is None:
            if run:
                run.append(ends)
            else:
                found.append([])
            continue
        body = clause.body
        predicate = clause.predicate
        if predicate is None or predicate.__class__ in leaves:
            made = [] if predicate is None or predicate.__class__ is not cls else \
                [Access("read", predicate, predicate.name, False, True, False)]
            for stmt in body or ():
                if stmt.__class__ is not ExprStmt:
                    break
                expr = stmt.expr
                kind = expr.__class__
                if kind is Assign:
                    value, target = expr.value, expr.target
                    if value.__class__ not in leaves or target.__class__ not in leaves:
                        break
                    if value.__class__ is cls:  # (the value is evaluated first)
                        made.append(Access("read", value, value.name, False, False, False))
                    if target.__class__ is cls:
                        if expr.op == "=":
                            made.append(Access("write", expr, target.name, is_zero(value), False, False))
                        else:
                            made.append(Access("update", expr, target.name, False, False, False))
                elif kind in leaves:
                    if kind is cls:
                        made.append(Access("read", expr, expr.name, False, False, False))
                else:
                    break
            else:
                if run:
                    run.reverse()
                    _gather(run, cls, True, False, [])
                    run = []
                found.append(made)
                continue
        if body:
            plain = [stmt.expr for stmt in body if stmt.__class__ is ExprStmt]
            if len(plain) != len(body):  # (an if, a block: the clause on its own)
                if run:
                    run.reverse()
                    _gather(run, cls, True, False, [])
                    run = []
                found.append(clause_accesses(clause, cls))
                continue
        else:
            plain = ()
        if predicate is not None:
            run.append(predicate)
        run.append(PREDICATE_ENDS)
        run += plain
        run.append(ends)
    if run:
        run.reverse()
        _gather(run, cls, True, False, [])
    return found


class _ClauseParts:
    """What :func:`clause_accesses` reads of a clause (its predicate and body), with the parts that
    hold no variable of the class asked for left out (:func:`_parts_holding`)."""

    __slots__ = ("predicate", "body")

    def __init__(self, predicate, body):
        self.predicate = predicate
        self.body = body


def _parts_holding(clause, holding):
    """``clause``, or its :class:`_ClauseParts` without the predicate and expression statements
    whose ids are not in ``holding`` (they give no access: every access is of a node of the class
    under the expression), or None when nothing is left.  A statement of another kind (an ``if``,
    a block) is always kept."""
    predicate, body = clause.predicate, clause.body
    kept_predicate = predicate if predicate is not None and id(predicate) in holding else None
    ExprStmt = t.ExprStmt
    kept = [stmt for stmt in body if stmt.__class__ is not ExprStmt or id(stmt) in holding] if body else ()
    if kept_predicate is None and not kept:
        return None
    if kept_predicate is predicate and len(kept) == len(body or ()):
        return clause
    return _ClauseParts(kept_predicate, kept)


# --- probe descriptions, indexed (so checks stay linear in clauses and descriptions) ------------


def _concrete(field: str) -> bool:
    """A field that only matches itself: not empty and without glob characters."""
    found = _CONCRETE.get(field)
    if found is None:
        found = bool(field) and not probes.is_glob(field)
        if len(_CONCRETE) >= 200_000:  # (bounded: a long-lived process checks many programs)
            _CONCRETE.clear()
        _CONCRETE[field] = found
    return found


_CONCRETE: dict = {}  # field -> _concrete(field): asked for every field of every description


class DescIndex:
    """Probe descriptions used as patterns, each with a value, looked up by a description they may
    match (``probes.matches(pattern, query)``) without trying every pattern.

    A pattern can only match a query whose fields equal the pattern's concrete fields (neither
    empty nor globbed: see :func:`dtracepy.facts.probes.matches`), so patterns are bucketed by
    which fields are concrete and their values; a query tries at most 16 buckets, and within a
    bucket only patterns that differ in their globbed or empty fields.  This keeps the checks
    linear in the number of probe descriptions (a clause may name thousands).
    """

    def __init__(self):
        self._buckets: dict[tuple, dict[tuple, dict[str, object]]] = {}  # mask -> key -> text -> value
        self._odd: dict[str, object] = {}  # descriptions of more than four fields: equal text only

    def add(self, text: str, value) -> None:
        """Record ``value`` for ``text`` (for a text seen before, the smaller value is kept)."""
        fields = probes.split(text)
        if len(fields) != 4:
            slot = self._odd
        else:
            mask = tuple(_concrete(f) for f in fields)
            key = tuple(f for f, c in zip(fields, mask) if c)
            slot = self._buckets.setdefault(mask, {}).setdefault(key, {})
        slot[text] = value if text not in slot else min(slot[text], value)

    def matching(self, query: str):
        """The values of every pattern ``p`` with ``probes.matches(p, query)``."""
        fields = probes.split(query)
        if len(fields) != 4:
            if query in self._odd:
                yield self._odd[query]
            return
        for mask, by_key in self._buckets.items():
            key = []
            for f, c in zip(fields, mask):
                if c:
                    if not _concrete(f):  # a concrete pattern field never matches "" or a glob
                        break
                    key.append(f)
            else:
                for text, value in by_key.get(tuple(key), {}).items():
                    if probes.matches(text, query):
                        yield value


class DescSet:
    """Probe descriptions, each with a value, looked up by a pattern that may match them
    (``probes.matches(pattern, d)``): the converse of :class:`DescIndex`.  A pattern's concrete
    fields must equal the description's, so the descriptions are indexed, lazily, by their fields
    at the positions a pattern has concrete."""

    def __init__(self):
        self._items: list[tuple[str, tuple, object]] = []
        self._by_mask: dict[tuple, dict[tuple, list]] = {}

    def add(self, text: str, value) -> None:
        self._items.append((text, probes.split(text), value))
        self._by_mask.clear()

    def matched_by(self, pattern: str):
        """The values of every description ``d`` with ``probes.matches(pattern, d)``."""
        fields = probes.split(pattern)
        if len(fields) != 4:
            yield from (value for text, _, value in self._items if text == pattern)
            return
        mask = tuple(_concrete(f) for f in fields)
        index = self._by_mask.get(mask)
        if index is None:
            index = self._by_mask[mask] = {}
            for item in self._items:
                if len(item[1]) == 4:
                    index.setdefault(tuple(f for f, c in zip(item[1], mask) if c), []).append(item)
        for text, _, value in index.get(tuple(f for f, c in zip(fields, mask) if c), ()):
            if probes.matches(pattern, text):
                yield value


class EarlierWrites:
    """Which clauses assign which variables, for "is ``name`` assigned by an earlier clause that
    fires for the probe ``desc`` too?" in time independent of the number of clauses.

    A name assigned under at most :data:`_FEW_WRITES` probe descriptions in all (the usual: a
    thread-local set at its entry, zeroed at its return) is answered by trying those descriptions
    (``probes.matches``, as the index would after its buckets); only a name assigned under more
    gets a :class:`DescIndex`, made when first asked about (one for each of 34,000 thread-locals
    was a third of the lifecycle checks of 34,000 entry/return pairs)."""

    def __init__(self, clauses, per_clause):
        self._clauses = clauses
        writers: dict[str, list[int]] = {}  # name -> the indexes of the clauses assigning it, in order
        for index, acc in enumerate(per_clause):
            for name in {a.name for a in acc if a.kind != "read"}:
                found = writers.get(name)
                if found is None:
                    writers[name] = [index]
                else:
                    found.append(index)
        self._writers = writers
        self._by_name: dict[str, DescIndex | list] = {}  # name -> its index, or its (text, index) pairs

    def _of(self, name: str):
        """``name``'s :class:`DescIndex`, or its few (description, clause index) pairs, in order."""
        clauses = self._clauses
        pairs = [(d.text, index) for index in self._writers[name] for d in clauses[index].probes]
        if len(pairs) > _FEW_WRITES:
            found = DescIndex()
            for text, index in pairs:
                found.add(text, index)
            pairs = found
        self._by_name[name] = pairs
        return pairs

    def before(self, index: int, name: str, desc: str) -> bool:
        writers = self._writers.get(name)
        if writers is None or writers[0] >= index:
            return False  # (no clause before this one assigns it)
        found = self._by_name.get(name)
        if found is None:
            found = self._of(name)
        if found.__class__ is list:
            for text, j in found:
                if j < index and probes.matches(text, desc):
                    return True
            return False
        return any(j < index for j in found.matching(desc))


#: See :class:`EarlierWrites`.
_FEW_WRITES = 8


# node class -> a function giving a node's field values (those Node.walk reads), last field first
_FIELD_GETTERS: dict = {}


def _field_getter(cls):
    from operator import attrgetter

    names = tuple(reversed(t._field_names(cls)))
    if len(names) > 1:
        getter = attrgetter(*names)
    elif names:
        one = attrgetter(names[0])

        def getter(node):
            return (one(node),)
    else:
        def getter(node):
            return ()
    _FIELD_GETTERS[cls] = getter
    return getter


def push_children(node, stack: list) -> None:
    """Push ``node``'s child nodes on ``stack``, the last first (popped, they come in the order of
    ``Node.walk``): the general step of the walks that take the common classes apart themselves."""
    cls = node.__class__
    Node = t.Node
    for value in (_FIELD_GETTERS.get(cls) or _field_getter(cls))(node):
        if value.__class__ is str or value is None:
            continue  # most fields that are not nodes: names, operators, spellings
        if isinstance(value, Node):
            stack.append(value)
        elif isinstance(value, tuple):
            for item in reversed(value):
                if isinstance(item, Node):
                    stack.append(item)
                elif isinstance(item, tuple):  # e.g. Translator members
                    stack.extend(x for x in reversed(item) if isinstance(x, Node))


# What a Context knows of its program alone, whatever its options (shared by ``index_of``): the
# clauses, the index by class and what its walk notes, the clauses' accesses (a dict both add to).
_PROGRAM_FACTS = ("clauses", "_by_class", "_holders", "_root_count", "_accesses", "assignments", "call_names",
                  "ident_names", "item_classes")


class Context:
    """One program and options, with the facts checks share, computed once."""

    def __init__(self, program, options, lines=None, index_of: "Context | None" = None):
        """``index_of``: a context of the same program (under other options) whose facts about the
        program alone (:data:`_PROGRAM_FACTS`: the index by class, the clauses' accesses...) this
        one shares, made once for both: ``compile`` reads the program through three contexts (its
        refusals, the checks, the operands' rules), and each walked it whole."""
        self.program = program
        self.options = options
        self.lines = lines
        if index_of is None:
            self.clauses = list(program.clauses)
            return
        assert index_of.program is program
        index_of._by_class  # (made in the one context: then read by both)
        index_of.__dict__.setdefault("_accesses", {})
        mine, theirs = self.__dict__, index_of.__dict__
        for name in _PROGRAM_FACTS:
            if name in theirs:
                mine[name] = theirs[name]

    # --- findings ---
    _last_node = _last_pos = None  # (the node of the last finding and its position: see finding)

    def finding(self, check: str, node, message: str, severity: str | None = None, fallback=None):
        if node is self._last_node:  # (a second finding at one node: its position made once)
            pos = self._last_pos
        else:
            pos = getattr(node, "pos", None) if node is not None else None
            self._last_node, self._last_pos = node, pos
        if pos is None and fallback is not None:
            pos = getattr(fallback, "pos", None)
        if pos is None:
            pos = self.first_pos
        # (the finding's source line is given here, not by check_program's attrs.evolve of each:
        # a copy per finding was a tenth of checking a file of 85,000 one-line clauses)
        lines = self.lines
        if lines is not None and self.marks is not None:
            line = text_line(getattr(node, "_at", None)) if node is not None and pos is self._last_pos \
                and self.text_lines_are_files else None
            return Finding(severity or BY_NAME[check].severity, message, check, pos,
                           lines[line - 1] if line is not None and 1 <= line <= len(lines) else self.line_text(pos))
        line = pos.line if pos is not None and lines is not None else 0
        return Finding(severity or BY_NAME[check].severity, message, check, pos,
                       lines[line - 1] if 1 <= line <= len(lines) else None)

    @cached_property
    def marks(self):
        """How the program's ``#line`` directives name its lines (:class:`dtracepy.source.LineMarks`),
        when it was read from a text that has one (under ``-C``, cpp's way); else None."""
        at = self._first_at
        return line_marks_at(at) or line_marks_at(at, preprocessed=True)

    @cached_property
    def _first_at(self):
        """The stored position of the program's first item that holds an offset (under ``-C`` a
        directive holds its ``Pos``: see ``lexer.Lexer._node_at``)."""
        items = self.program.items
        if items and items[0]._at.__class__ is int:  # (the usual case, without a walk of the items)
            return items[0]._at
        return next((item._at for item in items if item._at.__class__ is int), None)

    @cached_property
    def text_lines_are_files(self) -> bool:
        """Is each line of the parsed text the source's line of its number (though a ``#line``
        names it otherwise)?  Not so for a preprocessed text that holds a header's lines."""
        return line_marks_at(self._first_at) is not None

    def line_text(self, pos, node=None) -> "str | None":
        """The text of the source line ``pos`` names (through the ``#line`` directives: the line
        they name so); None when there is no source or no one line of it is named so.  ``node``:
        the parsed node at ``pos``, whose line is then read from where it was parsed."""
        lines = self.lines
        if self.marks is not None and node is not None and lines is not None and self.text_lines_are_files:
            line = text_line(getattr(node, "_at", None))
            if line is not None:
                return lines[line - 1] if 1 <= line <= len(lines) else None
        return source_line_of(lines, self.marks, pos)

    @cached_property
    def first_pos(self):
        pos = self.program.pos
        if pos is None:
            for item in self.program.items:
                if item.pos is not None:
                    return Pos(item.pos.file, 1, 1)
        return pos

    # --- program-wide facts ---
    @cached_property
    def nodes(self) -> list:
        """Every node of the program, depth first (the order of ``program.walk()``, which is the
        order of each list :meth:`of` gives).  Walked only when asked (:meth:`of_any` of several
        classes the program has, which is rare): the checks read the index by class."""
        return list(self.program.walk())

    @cached_property
    def _by_class(self) -> dict:
        """Node class -> the program's nodes of that class, in the order of a walk: the one walk of
        the whole tree the checks make (``Node.walk``'s loop, inlined)."""
        by_class: dict[type, list] = {}
        # Which clauses' predicates and expression statements ("roots") hold a thread-local (see
        # :meth:`_holding`): each root, as it is reached, closes the one before it, which holds
        # one if the list of thread-locals grew since it was reached.  Only those are kept, in
        # ``holders``, and a count of the roots: a list of every root (or of where each begins)
        # cost 16 bytes a statement, 24 MB for 1,500,000 ``x;``.  A clause's predicate is
        # reached just after the clause (its probe descriptions hold no variable); a clause
        # without one counts as a root (a None) that holds nothing.
        holders: list = []
        roots = 0
        root, seen = None, 0
        selfs = by_class[t.SelfVar] = []
        stack = [self.program]
        pop, push = stack.pop, stack.append
        get, Node, leaves = by_class.get, t.Node, _INDEX_LEAVES
        extend = stack.extend
        Binary, Call, Assign, ExprStmt, Index, Member = t.Binary, t.Call, t.Assign, t.ExprStmt, t.Index, t.Member
        Clause = t.Clause
        Declaration, FieldDecl, StructSpec, FieldDeclarator = t.Declaration, t.FieldDecl, t.StructSpec, t.FieldDeclarator
        TypeName, PointerDecl, TranslatorMember = t.TypeName, t.PointerDecl, t.TranslatorMember
        Unary, Translator = t.Unary, t.Translator
        while stack:
            node = pop()
            cls = node.__class__
            found = get(cls)
            if found is None:
                if not isinstance(node, Node):  # a value the fast branches below pushed unlooked
                    continue
                by_class[cls] = [node]
            else:
                try:
                    found.append(node)
                except AttributeError:  # a long body's statements, borrowed (see below): copied
                    by_class[cls] = [*found, node]  # once more come (no test a node: a try is free)
            if cls in leaves:  # about half the nodes: names and literals
                continue
            # The common classes are taken apart here (their node fields always hold nodes), in
            # the order of the general code below: the first field's nodes come first.  ``first``
            # is the node the walk reaches next.
            if cls is Binary:
                push(node.right)
                first = node.left
            elif cls is Assign:
                push(node.value)
                first = node.target
            elif cls is Call:
                extend(reversed(node.args))
                first = node.callee
            elif cls is Index:
                extend(reversed(node.keys))
                first = node.base
            elif cls is ExprStmt:
                if len(selfs) != seen:
                    holders.append(root)
                    seen = len(selfs)
                root = node
                roots += 1
                first = node.expr
            elif cls is Member:
                first = node.base
            elif cls is Clause:
                predicate, body = node.predicate, node.body
                if len(selfs) != seen:
                    holders.append(root)
                    seen = len(selfs)
                root = predicate
                if predicate is not None:
                    roots += 1
                if predicate is None or predicate.__class__ in leaves:
                    bulk = None
                    if body and len(body) >= _BULK and set(map(type, body)) == {ExprStmt}:
                        # A long body of lone operands that are not thread-locals (``x; y; 1;``):
                        # recorded in C loops, a class at a time (each class's list is still in
                        # the walk's order), and no statement of it holds a thread-local.
                        # (the classes first: a list of the expressions of a body that is no such
                        # bulk was 6 MB at the peak of check's memory)
                        bulk = {stmt.expr.__class__ for stmt in body}  # (a comprehension: see _assignments_in_bulk)
                        if bulk == {Assign}:
                            # or of assignments of one class of operand to one (``x = y;``)
                            bulk = _assignments_in_bulk([stmt.expr for stmt in body])
                        elif not bulk <= _BULK_LEAVES:
                            bulk = None
                        else:
                            exprs = list(map(_EXPR, body))
                            bulk = [(kind, exprs if len(bulk) == 1 else [e for e in exprs if e.__class__ is kind])
                                    for kind in bulk]
                    if bulk is None:
                        # The usual clause (see clauses_accesses): recorded here, in the walk's
                        # order, when its statements are leaves or assign a leaf to a leaf.
                        for stmt in body or ():
                            if stmt.__class__ is not ExprStmt:
                                break
                            expr = stmt.expr
                            if expr.__class__ is Assign:
                                if expr.target.__class__ not in leaves or expr.value.__class__ not in leaves:
                                    break
                            elif expr.__class__ is Call:  # (a call of leaves: trace(x), speculate(s))
                                if expr.callee.__class__ not in leaves or not _all_leaves(expr.args):
                                    break
                            elif expr.__class__ not in leaves:
                                break
                        else:
                            bulk = ()  # (statement by statement)
                    if bulk is not None:
                        for leaf in (*node.probes, predicate) if predicate is not None else node.probes:
                            kind = leaf.__class__
                            found = get(kind)
                            if found is None:
                                by_class[kind] = [leaf]
                            else:
                                try:
                                    found.append(leaf)
                                except AttributeError:  # (a borrowed body, or _Operands: copied once more come)
                                    by_class[kind] = [*found, leaf]
                        if bulk:
                            if len(selfs) != seen:  # (the predicate, or what came before)
                                holders.append(root)
                                seen = len(selfs)
                            root = body[-1]
                            roots += len(body)
                            for kind, of_kind in ((ExprStmt, body), *bulk):
                                found = get(kind)
                                if found is None:
                                    # (bulk's lists are new: kept, not copied; and the body's
                                    # tuple is borrowed, copied only if more statements come: a
                                    # copy was 12 MB of check's peak for 1,500,000 ``x;``)
                                    by_class[kind] = of_kind
                                elif found.__class__ is list:
                                    found += of_kind
                                else:
                                    by_class[kind] = [*found, *of_kind]
                            continue
                        for stmt in body or ():
                            if len(selfs) != seen:  # (the predicate or the statement before)
                                holders.append(root)
                                seen = len(selfs)
                            root = stmt
                            roots += 1
                            expr = stmt.expr
                            # (in the walk's order: a call's callee, then its arguments)
                            for one in (stmt, expr, expr.target, expr.value) if expr.__class__ is Assign \
                                    else (stmt, expr, expr.callee, *expr.args) if expr.__class__ is Call \
                                    else (stmt, expr):
                                kind = one.__class__
                                found = get(kind)
                                if found is None:
                                    by_class[kind] = [one]
                                elif found.__class__ is list:
                                    found.append(one)
                                else:  # (a body's tuple borrowed: see above)
                                    by_class[kind] = [*found, one]
                        continue
                if body:
                    extend(reversed(body))
                if predicate is not None:
                    push(predicate)
                extend(reversed(node.probes))
                continue
            elif cls is Declaration and (nodes := _declaration_nodes(node)) is not None:
                for one in nodes:  # (its nodes below it in the walk's order: see _declaration_nodes)
                    kind = one.__class__
                    found = get(kind)
                    if found is None:
                        by_class[kind] = [one]
                    else:
                        try:
                            found.append(one)
                        except AttributeError:  # (a borrowed body, or _Operands: copied once more come)
                            by_class[kind] = [*found, one]
                continue
            elif cls is Translator and (nodes := _translator_nodes(node)) is not None:
                for one in nodes:  # (as a declaration's just above)
                    kind = one.__class__
                    found = get(kind)
                    if found is None:
                        by_class[kind] = [one]
                    else:
                        try:
                            found.append(one)
                        except AttributeError:  # (a borrowed body, or _Operands: copied once more come)
                            by_class[kind] = [*found, one]
                continue
            elif cls is Declaration or cls is FieldDecl or cls is StructSpec or cls is FieldDeclarator:
                # a declaration's nodes, taken apart here too (push_children's general step was
                # 40 % of checking 4 MiB of struct declarations); what is not a node (a specifier's
                # word) is pushed as it is, popped and stepped over above
                if cls is StructSpec:
                    if node.members:
                        extend(reversed(node.members))
                elif cls is FieldDeclarator:
                    if node.width is not None:
                        push(node.width)
                    if node.declarator is not None:
                        push(node.declarator)
                else:
                    extend(reversed(node.declarators))
                    extend(reversed(node.specifiers))
                continue
            elif cls is TypeName:
                push(node.declarator)
                extend(reversed(node.specifiers))
                continue
            elif cls is PointerDecl:
                first = node.target
            elif cls is TranslatorMember:
                first = node.value
            elif cls is Unary:  # (``*p``: a translator's member, a dereference)
                first = node.operand
            elif cls is Translator:  # (its output, input, then members: its name is no node)
                extend(reversed(node.members))
                push(node.input)
                push(node.output)
                continue
            else:
                first = None  # (a class of the general code below)
            if first is not None:
                kind = first.__class__
                if kind in leaves:  # (a name, most often): recorded at once, not pushed and popped
                    found = get(kind)
                    if found is None:
                        by_class[kind] = [first]
                    else:
                        try:
                            found.append(first)
                        except AttributeError:  # (a borrowed body, or _Operands: copied once more come)
                            by_class[kind] = [*found, first]
                else:
                    push(first)
                continue
            push_children(node, stack)
        if len(selfs) != seen:  # (where the last one ends)
            holders.append(root)
        if not selfs:
            del by_class[t.SelfVar]  # (the index holds the classes the program has, no other)
        self._holders, self._root_count = holders, roots
        return by_class

    def _holding(self) -> set | None:
        """The ids of the clauses' predicates and expression statements that hold a thread-local
        (``t.SelfVar``), or may (what follows an expression statement
        up to the next one or the next clause, an ``if`` for instance, counts as its own).  The
        others have no access of a thread-local to give: :meth:`clause_accesses` does not walk them.
        None when every one holds one (nothing to leave out).  (Counted in C loops: a program of
        one-statement clauses, where every one holds one, spent more on this than it saved.)"""
        self._by_class  # (the walk that notes which ones hold one)
        holders = set(map(id, self._holders))
        holders.discard(id(None))  # (a thread-local before any root: none is, see _by_class)
        if len(holders) == self._root_count:
            return None
        return holders

    def node_count(self) -> int:
        """How many nodes the program has, the Program among them (as many as its walk gives)."""
        return sum(map(len, self._by_class.values()))

    def of(self, cls) -> list | tuple:
        """The program's nodes of class ``cls`` (a concrete node class: none is subclassed), in
        the order of :attr:`nodes`; a check that looks at one kind of node reads this list, not
        every node.  Read it (iterate it, ask its length), never change it: it may be a clause
        body's own tuple or the names of a body's assignments read from them, ``_Operands`` (see
        :attr:`_by_class`)."""
        return self._by_class.get(cls, [])

    def placed(self, cls) -> list:
        """(node, its parent, the node whose position it is shown at) for each of the program's
        nodes of class ``cls``, in the order of :meth:`of`: the node itself, or, for one without a
        position, the nearest enclosing node with one.  A tracer's built-in variables
        (``zonename``, ``args``) are each one node, made with no position where dtracepy defines
        them and shared by every use: a finding at one is shown at the use's line through this,
        and the parent tells one use from another.  One walk of the tree: for a check that has
        found a candidate already."""
        found = []
        stack = [(self.program, None, None)]
        while stack:
            node, parent, at = stack.pop()
            if node.pos is not None:
                at = node
            if node.__class__ is cls:
                found.append((node, parent, at))
            children = list(node.children())
            if children:
                stack.extend((child, node, at) for child in reversed(children))
        return found

    @cached_property
    def assignments(self):
        """The program's assignments with the classes of their targets and values and their
        operators (:class:`~dtracepy.checks.assignments.Assignments`): what tells a rule that no
        assignment concerns it without a loop over them all."""
        from dtracepy.checks.assignments import Assignments

        return Assignments(self.of(t.Assign))

    @cached_property
    def call_names(self) -> list:
        """``node.name`` of each node of :meth:`of` ``(t.Call)``, in that order (several checks
        look at every call's name: asked once)."""
        return [node.name for node in self.of(t.Call)]

    @cached_property
    def ident_names(self) -> dict:
        """``node.name`` of the nodes of :meth:`of` ``(t.Ident)``: each name, with how many there
        are of it (several checks ask a question of every identifier's name, which sets answer
        without a Python loop; a list of them cost 16 bytes a statement of ``x=y;``)."""
        return Counter(map(_NAME, self.of(t.Ident)))  # (no list of the names: 12 MB for 750,000 x=y;)

    def has(self, *classes) -> bool:
        """Does the program hold a node of any of these concrete classes?"""
        return any(cls in self._by_class for cls in classes)

    def of_any(self, *classes) -> list:
        """The program's nodes of any of these concrete classes, in the order of :attr:`nodes`."""
        present = [cls for cls in classes if cls in self._by_class]
        if len(present) <= 1:
            return self.of(present[0]) if present else []
        wanted = frozenset(present)
        return [node for node in self.nodes if node.__class__ in wanted]

    def clause_accesses(self, cls) -> list:
        """:func:`clause_accesses` of every clause for ``cls``, computed once per class (the
        lifecycle and names checks share them); no walk at all when the program has no ``cls``."""
        cache = self.__dict__.setdefault("_accesses", {})
        found = cache.get(cls)
        if found is None:
            if cls not in self._by_class:
                found = [[] for _ in self.clauses]
            elif cls is not t.SelfVar or (holding := self._holding()) is None:
                found = clauses_accesses(self.clauses, cls)
            else:
                found = clauses_accesses([_parts_holding(clause, holding) for clause in self.clauses], cls)
            cache[cls] = found
        return found

    def holders_known(self, cls, holding) -> None:
        """``holding``: the indexes of the clauses that hold a node of class ``cls``, as a caller
        that has walked them already knows (``import``'s scan, for thread-locals):
        :meth:`clause_accesses` of ``cls`` then gathers those clauses only, without the walk of
        the whole tree that :attr:`_by_class` makes to find them."""
        clauses = self.clauses
        cache = self.__dict__.setdefault("_accesses", {})
        cache[cls] = clauses_accesses([clauses[i] if i in holding else None for i in range(len(clauses))], cls)

    @cached_property
    def defined_names(self) -> set[str]:
        """Names the program defines: assigned globals, declared names, enumerators, inlines,
        translator inputs, parameters, ``#define`` macros."""
        from dtracepy.checks.lifecycle import declarator_name

        names = set()
        for item in self.items_of(t.Inline):
            name = declarator_name(item.declarator)
            if name:
                names.add(name)
        Index, Member, Ident = t.Index, t.Member, t.Ident  # (concrete classes: compared)
        plain = self.assignments.plain_target_names
        if plain is not None:  # (every target a name: no loop over the assignments)
            names |= plain
        else:
            for node in self.of(t.Assign):
                target = node.target
                while target.__class__ is Index or target.__class__ is Member:
                    target = target.base
                if target.__class__ is Ident:
                    names.add(target.name)
        for node in (*self.of(t.Unary), *self.of(t.Postfix)):
            if node.op in ("++", "--"):
                target = node.operand
                while target.__class__ is Index or target.__class__ is Member:
                    target = target.base
                if target.__class__ is Ident:
                    names.add(target.name)
        names.update(node.name for node in self.of(t.NameDecl) if node.name)
        names.update(node.name for node in self.of(t.Enumerator))
        names.update(node.input_name for node in self.of(t.Translator))
        for node in self.of(t.Param):
            if node.declarator is not None:
                name = declarator_name(node.declarator)
                if name:
                    names.add(name)
        names |= self.defined_macros
        return names


    @cached_property
    def item_classes(self) -> frozenset:
        """The classes of the program's items (node classes are concrete: a check that looks for
        an item of one class asks this first, not every item: a script of 100,000 clauses has as
        many items)."""
        return frozenset(map(type, self.program.items))

    def items_of(self, cls) -> list:
        """The program's items of class ``cls`` (concrete), in order."""
        if cls not in self.item_classes:
            return []
        return [item for item in self.program.items if item.__class__ is cls]

    @cached_property
    def pragmas(self):
        return self.items_of(t.Pragma)

    @cached_property
    def options_set(self) -> set[str]:
        """Names of ``#pragma D option`` settings and ``-x`` options of the shebang."""
        names = set()
        for pragma in self.pragmas:
            words = pragma.words
            if len(words) >= 3 and words[0] == "D" and words[1] == "option":
                names.add(words[2].split("=")[0])
        for letter, value in self.shebang_flag_values:
            if letter == "x":
                names.add(value.split("=")[0])
        return names

    @cached_property
    def shebang_reading(self) -> tuple[t.Node | None, list[tuple[str, str | None]], list[str]]:
        """The ``#!`` line's item, its flags with their values and what is wrong with it, read as
        the kernel and dtrace's getopt read it (:func:`dtracepy.facts.command_line.shebang_flags`)."""
        for item in self.items_of(t.Shebang):
            return (item, *command_line.shebang_flags(item.text))
        # (only the Shebang node, the file's first bytes: a `#!` line below the first, indented, or
        # written `# !` is a null directive that neither the kernel nor dtrace reads flags from, so
        # its -w allows nothing; under -C the #! line is a Shebang too)
        return None, [], []

    @cached_property
    def shebang_flag_values(self) -> list[tuple[str, str | None]]:
        """The flags of the ``#!`` line with their values (the ``shebang`` check says what is
        wrong with the line)."""
        return self.shebang_reading[1]

    @cached_property
    def shebang_flags(self) -> str:
        """The one-letter flags of the ``#!`` line: in ``-qws`` each letter is a flag, but in
        ``-xswitchrate=10hz`` or ``-o w.out`` what follows a flag that takes a value is that
        value (so neither holds a ``-w``)."""
        return "".join(letter for letter, _ in self.shebang_flag_values)

    @cached_property
    def uses_cpp(self) -> bool:
        """Whether the script goes through cpp (a macro may then stand for anything): its ``#!``
        line's ``-C``, or a directive only cpp reads (not ``#line``, ``#ident``, a line marker:
        :func:`dtracepy.facts.directives.needs_cpp`)."""
        if t.Directive in self.item_classes and t.needs_cpp(self.items_of(t.Directive)):
            return True
        return "C" in self.shebang_flags

    @cached_property
    def defined_macros(self) -> set[str]:
        names = set()
        name_of = re.compile(r"\s*(\w+)").match  # (once: re.match's cache lookup per line was half the cost)
        for item in self.items_of(t.Directive):
            if item.name == "define":
                match = name_of(item.text)
                if match:
                    names.add(match[1])
        return names
