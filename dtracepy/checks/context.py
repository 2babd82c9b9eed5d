"""What every check needs to know about one program: its clauses in order, positions, and a walk
that classifies each use of a variable as a read, a write, a zeroing or an update."""

from __future__ import annotations

import re
from functools import cached_property

import attrs

from dtracepy import tree as t
from dtracepy.checks.registry import BY_NAME
from dtracepy.facts import probes
from dtracepy.source import Pos


@attrs.frozen
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


def is_zero(expr) -> bool:
    """Is ``expr`` the constant 0 (through casts and chained assignments)?"""
    while True:
        if isinstance(expr, t.Cast):
            expr = expr.operand
        elif isinstance(expr, t.Assign) and expr.op == "=":
            expr = expr.value
        else:
            break
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


def accesses(expr, cls, in_predicate=False, guarded=False):
    """Every use of a variable of class ``cls`` (``t.SelfVar``, ``t.ThisVar`` ...) in ``expr``, in
    evaluation order (an assignment's value before its target)."""
    out: list[Access] = []
    # an explicit stack of (node, mode): mode "eval" or a ready Access to emit
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Access):
            out.append(node)
            continue
        if isinstance(node, cls):
            out.append(Access("read", node, node.name, in_predicate=in_predicate, guarded=guarded))
            continue
        if isinstance(node, t.Assign):
            name = _var_name(node.target, cls)
            later = []
            if name is not None:
                if node.op == "=":
                    later.append(Access("write", node, name, zero=is_zero(node.value),
                                        in_predicate=in_predicate, guarded=guarded))
                else:
                    later.append(Access("update", node, name, in_predicate=in_predicate, guarded=guarded))
            else:
                base = _base_var(node.target, cls)
                if base is not None:
                    kind = "partial" if node.op == "=" else "update"
                    later.append(Access(kind, node, base, in_predicate=in_predicate, guarded=guarded))
                    # the keys / subscripts of the target are read
                    target = node.target
                    while isinstance(target, (t.Index, t.Member)):
                        if isinstance(target, t.Index):
                            later.extend(reversed(list(target.keys)))
                        target = target.base
                else:
                    later.append(node.target)
            # evaluate value first, then the target (stack: push in reverse)
            stack.extend(reversed([node.value, *later]))
            continue
        if isinstance(node, (t.Unary, t.Postfix)) and node.op in ("++", "--"):
            name = _var_name(node.operand, cls) or _base_var(node.operand, cls)
            if name is not None:
                out.append(Access("update", node, name, in_predicate=in_predicate, guarded=guarded))
                if not isinstance(node.operand, cls):  # x[k]++: the keys are read
                    target = node.operand
                    while isinstance(target, (t.Index, t.Member)):
                        if isinstance(target, t.Index):
                            stack.extend(reversed(list(target.keys)))
                        target = target.base
                continue
        if isinstance(node, t.Node):
            stack.extend(reversed(list(node.children())))
    return out


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
    if clause.predicate is not None:
        out.extend(accesses(clause.predicate, cls, in_predicate=True))
    for expr, guarded in stmt_exprs(clause.body, cls):
        out.extend(accesses(expr, cls, guarded=guarded))
    return out


# --- probe descriptions, indexed (so checks stay linear in clauses and descriptions) ------------


def _concrete(field: str) -> bool:
    """A field that only matches itself: not empty and without glob characters."""
    return bool(field) and not probes.is_glob(field)


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
    fires for the probe ``desc`` too?" in time independent of the number of clauses."""

    def __init__(self, clauses, per_clause):
        self._by_name: dict[str, DescIndex] = {}
        for index, (clause, acc) in enumerate(zip(clauses, per_clause)):
            for name in {a.name for a in acc if a.kind != "read"}:
                found = self._by_name.get(name)
                if found is None:
                    found = self._by_name[name] = DescIndex()
                for d in clause.probes:
                    found.add(d.text, index)

    def before(self, index: int, name: str, desc: str) -> bool:
        found = self._by_name.get(name)
        return found is not None and any(j < index for j in found.matching(desc))


class Context:
    """One program and options, with the facts checks share, computed once."""

    def __init__(self, program, options, lines=None):
        self.program = program
        self.options = options
        self.lines = lines
        self.clauses = list(program.clauses)

    # --- findings ---
    def finding(self, check: str, node, message: str, severity: str | None = None, fallback=None):
        from dtracepy.checks import Finding

        pos = getattr(node, "pos", None) if node is not None else None
        if pos is None and fallback is not None:
            pos = getattr(fallback, "pos", None)
        if pos is None:
            pos = self.first_pos
        return Finding(severity or BY_NAME[check].severity, message, check, pos)

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
        """Every node of the program, depth first: walked once, shared by the checks (each walking
        the tree itself made a check of a dense 4 MiB script several walks long)."""
        return list(self.program.walk())


    @cached_property
    def pragmas(self):
        return [item for item in self.program.items if isinstance(item, t.Pragma)]

    @cached_property
    def options_set(self) -> set[str]:
        """Names of ``#pragma D option`` settings and ``-x`` options of the shebang."""
        names = set()
        for pragma in self.pragmas:
            words = pragma.words
            if len(words) >= 3 and words[0] == "D" and words[1] == "option":
                names.add(words[2].split("=")[0])
        for item in self.program.items:
            if isinstance(item, t.Shebang):
                for match in re.finditer(r"-x\s*(\w+)", item.text):
                    names.add(match.group(1))
        return names

    @cached_property
    def shebang_flags(self) -> str:
        for item in self.program.items:
            if isinstance(item, t.Shebang):
                return " ".join(w[1:] for w in item.text.split()[1:] if w.startswith("-") and not w.startswith("--"))
        return ""

    @cached_property
    def uses_cpp(self) -> bool:
        if any(isinstance(item, t.Directive) for item in self.program.items):
            return True
        return "C" in self.shebang_flags

    @cached_property
    def defined_macros(self) -> set[str]:
        names = set()
        for item in self.program.items:
            if isinstance(item, t.Directive) and item.name == "define":
                match = re.match(r"\s*(\w+)", item.text)
                if match:
                    names.add(match.group(1))
        return names
