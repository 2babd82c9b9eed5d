"""One walk of a program's clauses for everything the importer asks of their nodes.

The idioms (thread-local lifetimes, the clauses that mention each thread-local, what the cleanup
would zero) and the module writer (assigned globals, Oracle-only names, each clause's calls for
its function's verb) each walked every clause again: six walks of the program, a fifth of the
time of importing 100,000 clauses.  :func:`scan` walks it once and keeps what they ask, summed
up for the program (a record per clause cost 60 MB for 100,000 clauses); the writer reuses the
idioms' scan when they left the program's clauses as they were.
"""

from __future__ import annotations

from dtracepy import tree

# what a body's thread-local assignment is, for the idioms' lifetimes (``events``)
SET, ZERO, INDEXED = 0, 1, 2


class ProgramScan:
    """What one walk of a program's clauses found."""

    __slots__ = ("clauses", "events", "mentioned", "cleaned", "globals", "arrow_names", "calls", "nodes")

    def __init__(self, clauses):
        self.clauses = clauses  # the program's clauses, in order
        # (clause, name, SET / ZERO / INDEXED) of each thread-local assignment (and ++/--) of each
        # clause: its body's in the order of a walk, then (SET) each one in its predicate
        self.events: list[tuple[tree.Clause, str, int]] = []
        self.mentioned: dict[str, list[int]] = {}  # thread-local -> indexes of the clauses naming it
        self.cleaned: set[str] = set()  # thread-locals (or their elements) set non-zero: the cleanup's
        self.globals: set[str] = set()  # D globals assigned (=, op=, ++, --; an element too)
        self.arrow_names: set[str] = set()  # the names after self-> and this->
        self.calls: dict[int, frozenset] = {}  # id(clause) -> its body's called names (if any)
        self.nodes = 0  # how many nodes the walk visited (the tests count the work)


def scan(program: tree.Program) -> ProgramScan:
    """The facts of :class:`ProgramScan`: each clause's body, then its predicate, walked in the
    order of ``Node.walk`` (its loop inlined, the common node classes taken apart here: the
    generator's step for each node was most of the scan's work)."""
    from dtracepy.checks.context import push_children
    from dtracepy.checks.context import is_zero as zero_constant
    from dtracepy.passes.walk import is_zero as zero_literal

    clauses = list(program.clauses)
    found = ProgramScan(clauses)
    events, mentioned, cleaned, globals_ = found.events, found.mentioned, found.cleaned, found.globals
    arrow_names, calls_of = found.arrow_names, found.calls
    shared: dict[frozenset, frozenset] = {}  # (one object for each distinct set of calls)
    SelfVar, ThisVar, Assign, Call, Index, Ident = (tree.SelfVar, tree.ThisVar, tree.Assign, tree.Call,
                                                    tree.Index, tree.Ident)
    Unary, Postfix, Binary, Member, ExprStmt = tree.Unary, tree.Postfix, tree.Binary, tree.Member, tree.ExprStmt
    leaves = _LEAVES
    chains: dict = {}
    visited = 0
    for index, clause in enumerate(clauses):
        selfs: set[str] = set()
        calls: set[str] = set()
        body = clause.body or ()
        predicate = clause.predicate
        for in_body, roots in ((True, body), (False, (predicate,) if predicate is not None else ())):
            stack = list(reversed(roots))
            pop, push, extend = stack.pop, stack.append, stack.extend
            while stack:
                node = pop()
                visited += 1
                cls = node.__class__
                if cls in leaves:
                    continue
                if cls is ExprStmt:
                    push(node.expr)
                elif cls is SelfVar:
                    selfs.add(node.name)
                elif cls is Binary:
                    push(node.right)
                    push(node.left)
                elif cls is Assign:
                    target = node.target
                    base = target
                    while base.__class__ is Index:
                        base = base.base
                    if base.__class__ is SelfVar:
                        name = base.name
                        # the cleanup's (passes.cleanup._sets_and_zeros): self->x or self->x[k]
                        if (target is base or target.base is base) and not (
                                node.op == "=" and zero_constant(node.value, chains)):
                            cleaned.add(name)
                        if not in_body:
                            events.append((clause, name, SET))
                        elif target is not base:
                            events.append((clause, name, INDEXED))
                        elif node.op == "=" and zero_literal(node.value):
                            events.append((clause, name, ZERO))
                        else:
                            events.append((clause, name, SET))
                    elif base.__class__ is Ident and base.module is None:
                        globals_.add(base.name)
                    push(node.value)
                    push(target)
                elif cls is Call:
                    if in_body:
                        name = node.name
                        if name:
                            calls.add(name)
                    extend(reversed(node.args))
                    push(node.callee)
                elif cls is Index:
                    extend(reversed(node.keys))
                    push(node.base)
                elif cls is Member:
                    push(node.base)
                elif cls is ThisVar:
                    arrow_names.add(node.name)
                elif cls is Unary or cls is Postfix:
                    if node.op in ("++", "--"):
                        base = node.operand
                        while base.__class__ is Index:
                            base = base.base
                        if base.__class__ is SelfVar:
                            if in_body:
                                events.append((clause, base.name, SET))
                        elif base.__class__ is Ident and base.module is None:
                            globals_.add(base.name)
                    push(node.operand)
                else:  # (the other classes: their fields, as Node.walk reads them)
                    push_children(node, stack)
        for name in selfs:
            where = mentioned.get(name)
            if where is None:
                mentioned[name] = [index]
            else:
                where.append(index)
        arrow_names |= selfs
        if calls:
            calls = frozenset(calls)
            calls_of[id(clause)] = shared.setdefault(calls, calls)
    found.nodes = visited
    return found


# Node classes that hold no node and that the scan asks nothing of (names and literals: about
# half the nodes of a clause)
_LEAVES = frozenset((tree.Ident, tree.IntLit, tree.StringLit, tree.CharLit, tree.MacroVar, tree.AggVar))
