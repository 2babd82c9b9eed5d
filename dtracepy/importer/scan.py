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

    __slots__ = ("clauses", "events", "mentioned", "cleaned", "globals", "arrow_names", "calls", "nodes", "same")

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
        # id(clause) -> an earlier clause of an equal predicate and body, whose findings were
        # the clause's (it was not walked); the writer writes such clauses alike
        self.same: dict[int, tree.Clause] = {}


def scan(program: tree.Program) -> ProgramScan:
    """The facts of :class:`ProgramScan`: each clause's body, then its predicate, walked in the
    order of ``Node.walk`` (its loop inlined, the common node classes taken apart here: the
    generator's step for each node was most of the scan's work)."""
    from dtracepy.checks.context import push_children
    from dtracepy.checks.context import is_zero as zero_constant
    from dtracepy.passes.walk import is_zero as zero_literal

    Clause = tree.Clause
    clauses = [item for item in program.items if item.__class__ is Clause]  # (program.clauses, as a list)
    found = ProgramScan(clauses)
    events, mentioned, cleaned, globals_ = found.events, found.mentioned, found.cleaned, found.globals
    arrow_names, calls_of, same = found.arrow_names, found.calls, found.same
    # (predicate, body) -> (the first clause of them, its events as (name, kind), the thread-locals
    # it names, its calls): a clause of the same trees is not walked again (4 MiB of dense D is one
    # clause 26,000 times; entry/return pairs two clauses).  What the walk adds to the program's
    # sets (cleaned, globals, arrow names) the first clause added already.
    seen: dict = {}
    # Hashing a clause's trees costs a Python call a node: in a script of distinct clauses (85,000
    # one-line entries, each its own thread-local) it was a quarter of the scan, for no clause
    # found again.  After ``_GIVE_UP`` clauses looked up, with fewer than one found in
    # ``_HIT_RATIO``, clauses are no longer looked up (each is walked: what the walk finds is the
    # same, and the writer writes each clause, as it does one it has not seen)
    looked = hits = 0
    shared: dict[frozenset, frozenset] = {}  # (one object for each distinct set of calls)
    SelfVar, ThisVar, Assign, Call, Index, Ident = (tree.SelfVar, tree.ThisVar, tree.Assign, tree.Call,
                                                    tree.Index, tree.Ident)
    Unary, Postfix, Binary, Member, ExprStmt = tree.Unary, tree.Postfix, tree.Binary, tree.Member, tree.ExprStmt
    IntLit = tree.IntLit
    leaves = _LEAVES
    chains: dict = {}
    visited = 0
    # one stack for every clause: its body's statements over the predicate, with ``_PREDICATE``
    # between them (the walk is in the predicate from there: what it assigns is a SET, its calls
    # are not the body's)
    stack: list = []
    pop, push, extend = stack.pop, stack.append, stack.extend
    marker = _PREDICATE
    for index, clause in enumerate(clauses):
        predicate = clause.predicate
        body = clause.body
        known = key = None
        if (body is None or len(body) <= 64) and seen is not None:  # (a long body: rarely repeated)
            key = (predicate, body)
            try:
                known = seen.get(key)
            except (TypeError, RecursionError):  # (what has no hash; a tree too deep to hash)
                known = key = None
            looked += 1
            if known is not None:
                hits += 1
            elif looked >= _GIVE_UP and hits * _HIT_RATIO < looked:
                seen = None  # (from this clause on)
        if known is not None:
            first, its_events, its_selfs, calls = known
            same[id(clause)] = first
            for name, kind in its_events:
                events.append((clause, name, kind))
            for name in its_selfs:
                mentioned[name].append(index)
            if calls:
                calls_of[id(clause)] = calls
            continue
        calls = None  # (a set, made at the body's first call)
        selfs = []  # the thread-locals it names, each once
        start = len(events)
        if predicate is not None:
            push(predicate)
            push(marker)
        if body:
            extend(reversed(body))
        in_body = True
        while stack:
            node = pop()
            cls = node.__class__
            if cls is ExprStmt:  # (a statement: its expression at once)
                visited += 1
                node = node.expr
                cls = node.__class__
            elif cls is _Marker:
                in_body = False
                continue
            visited += 1
            if cls in leaves:
                continue
            if cls is SelfVar:
                name = node.name
                where = mentioned.get(name)
                if where is None:
                    mentioned[name] = [index]
                    selfs.append(name)
                elif where[-1] != index:
                    where.append(index)
                    selfs.append(name)
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
                    value = node.value
                    # ``= 0`` as written (both zeros below hold for it: asked of the others); a
                    # name (``= timestamp``) is no zero literal, and a zero constant if NULL only
                    # (what both functions answer for it, without their calls)
                    named = value.__class__ is Ident
                    assigns = node.op == "="
                    zero = assigns and value.__class__ is IntLit and value.text == "0"
                    # the cleanup's (passes.cleanup._sets_and_zeros): self->x or self->x[k]
                    if (target is base or target.base is base) and not (zero or assigns and (
                            value.name == "NULL" if named else zero_constant(value, chains))):
                        cleaned.add(name)
                    if not in_body:
                        events.append((clause, name, SET))
                    elif target is not base:
                        events.append((clause, name, INDEXED))
                    elif zero or assigns and not named and zero_literal(value):
                        events.append((clause, name, ZERO))
                    else:
                        events.append((clause, name, SET))
                    if target is base and value.__class__ in leaves:
                        # ``self->x = <a name or literal>``: the thread-local's mention, as the
                        # SelfVar case below makes it, and the leaf, without the two nodes'
                        # pushes and pops (the usual statement of an entry clause)
                        visited += 2
                        where = mentioned.get(name)
                        if where is None:
                            mentioned[name] = [index]
                            selfs.append(name)
                        elif where[-1] != index:
                            where.append(index)
                            selfs.append(name)
                        continue
                elif base.__class__ is Ident and base.module is None:
                    globals_.add(base.name)
                push(node.value)
                push(target)
            elif cls is Call:
                if in_body:
                    name = node.name
                    if name:
                        if calls is None:
                            calls = {name}
                        else:
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
        if calls:
            calls = frozenset(calls)
            calls_of[id(clause)] = calls = shared.setdefault(calls, calls)
        if key is not None and seen is not None:
            if len(seen) >= 4096:  # (bounded: a script of many distinct clauses)
                seen.clear()
            seen[key] = (clause, [(name, kind) for _clause, name, kind in events[start:]], selfs, calls)
    arrow_names.update(mentioned)  # (the names after self->)
    found.nodes = visited
    return found


_GIVE_UP = 1024  # clauses looked up before the scan may stop looking (see scan's ``looked``)
_HIT_RATIO = 16  # ... which it does while fewer than one in this many was found


class _Marker:
    """Where a clause's predicate starts on the scan's stack."""


_PREDICATE = _Marker()

# Node classes that hold no node and that the scan asks nothing of (names and literals: about
# half the nodes of a clause)
_LEAVES = frozenset((tree.Ident, tree.IntLit, tree.StringLit, tree.CharLit, tree.MacroVar, tree.AggVar))
