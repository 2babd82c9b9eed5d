"""Thread-local (``self->``) lifecycle: unused, zeroed-but-never-assigned (a typo), leaked at
``:return`` (or at the end of a span such as ``sched:::on-cpu``..``off-cpu``, ``proc:::exec``..``exec-success``,
a USDT ``function-entry``..``function-return``: facts.probes.releases_of), read
before any assignment, never defined.

A thread-local takes dynamic-variable space while non-zero; a script that sets one at ``:entry``
and never zeroes it leaks that space on every firing until the kernel drops dynamic variables.
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.errors import close_matches
from dtracepy.checks import _Said, said
from dtracepy.checks.context import DescIndex, DescSet, EarlierWrites, is_zero
from dtracepy.checks.registry import BY_NAME
from dtracepy.facts import probes


def declarator_name(decl):
    while decl is not None and not isinstance(decl, t.NameDecl):
        decl = getattr(decl, "target", None) or getattr(decl, "declarator", None)
    return decl.name if decl is not None else None


def declared_vars(program, storage: str) -> set[str]:
    """Names declared with ``self``/``this`` storage (``self int x;``)."""
    names = set()
    for item in program.items:
        if isinstance(item, t.Declaration) and storage in item.specifiers:
            for decl in item.declarators:
                name = declarator_name(decl)
                if name:
                    names.add(name)
    return names


class VarUses:
    """Each use of one thread-local, as (clause index, Access), by kind: ``reads``, ``writes``
    (non-zero), ``zeros``, ``updates``, ``partials``.  A kind not used is the empty tuple, one
    object for all, its list made at its first use (:func:`_collect`): a thread-local of a script
    at the size limit (85,000 each set once) has one list of five, 256 bytes less (22 MB of a
    `check` or `import` of 4 MiB)."""

    __slots__ = ("reads", "writes", "zeros", "updates", "partials")  # (one for each thread-local: made fast)

    def __init__(self):
        self.reads = self.writes = self.zeros = self.updates = self.partials = ()

    @property
    def assigned(self):
        return bool(self.writes or self.updates or self.partials)

    def all_assignments(self):
        return [*self.writes, *self.zeros, *self.updates, *self.partials]


def collect(ctx, cls=t.SelfVar):
    """name -> VarUses, plus the per-clause access lists (made once for a context: ``import``
    asks for them, then :func:`leaks` does; nobody changes them.  :func:`run` makes its own, which
    ``check`` frees before the other checks run.)"""
    cache = ctx.__dict__.setdefault("_uses", {})
    found = cache.get(cls)
    if found is None:
        found = cache[cls] = _collect(ctx, cls)
    return found


def _collect(ctx, cls, compact=False):
    """See :func:`collect`.  ``compact``: a name whose only access is one non-zero write (the
    usual thread-local of a script at the size limit: 226,000 of them, each set once) is mapped to
    that ``(clause index, Access)`` pair itself, not to a :class:`VarUses` holding a list of it
    (:func:`run` reads both): the VarUses and its list were 49 MB of the 285 MB of such a check."""
    uses: dict = {}
    get = uses.get
    per_clause = ctx.clause_accesses(cls)
    for index, acc in enumerate(per_clause):
        for a in acc:
            u = get(a.name)
            if u is None:
                if compact and a.kind == "write" and not a.zero:
                    uses[a.name] = (index, a)
                    continue
                u = uses[a.name] = VarUses()
            elif u.__class__ is tuple:  # (a second access: the name gets its VarUses after all)
                one = u
                u = uses[a.name] = VarUses()
                u.writes = [one]
            # (a kind's list made at its first use: see VarUses)
            kind = a.kind
            if kind == "read":
                if u.reads:
                    u.reads.append((index, a))
                else:
                    u.reads = [(index, a)]
            elif kind == "write":
                if a.zero:
                    if u.zeros:
                        u.zeros.append((index, a))
                    else:
                        u.zeros = [(index, a)]
                elif u.writes:
                    u.writes.append((index, a))
                else:
                    u.writes = [(index, a)]
            elif kind == "update":
                if u.updates:
                    u.updates.append((index, a))
                else:
                    u.updates = [(index, a)]
            elif u.partials:
                u.partials.append((index, a))
            else:
                u.partials = [(index, a)]
    return uses, per_clause


#: How many thread-locals read or zeroed but never assigned get a did-you-mean in one program: each
#: compares the name with every assigned one (3,000 read-only ones took 65 s).
_MOST_HINTS = 25


def _did_you_mean(name, candidates):
    match = close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean self->{match[0]}?" if match else ""


def _line(node):
    return f" (line {node.pos.line})" if getattr(node, "pos", None) is not None else ""


_UNUSED = "self->{} is assigned but never read"


def run(ctx):
    # (not kept on the context: freed when the run ends)
    uses, per_clause = _collect(ctx, t.SelfVar, compact=True)
    declared = declared_vars(ctx.program, "self") if t.Declaration in ctx.item_classes else set()
    clauses = ctx.clauses

    # (both made when a hint needs them: most programs never ask; a set of every thread-local
    # was 8 MB at the peak of a file of 226,000 of them)
    leaking = assigned_names = None
    cleanups = None
    kept = ctx.options.kept
    finding = ctx.finding
    hinted = 0  # (names given a did-you-mean: see _MOST_HINTS)
    entries_of: dict = {}  # clause index -> its entry descriptions (see _leak_site)

    # (the message and position of each made when asked: see checks.said)
    # (not where #line directives name the lines: ctx.finding reads such a finding's source line
    # where its node was parsed, not at the line they name)
    unused = _Said(_UNUSED, ctx.lines) if ctx.marks is None else None
    unused_severity = BY_NAME["self-unused"].severity
    for name, u in uses.items():
        if u.__class__ is tuple:  # (one non-zero write and nothing else: see _collect)
            node = u[1].node
            at = node._at
            if at.__class__ is int and unused is not None:
                yield said(unused_severity, "self-unused", at, name, unused)
            else:
                yield finding("self-unused", node, _UNUSED.format(name))
            # (a clause of no entry probe leaks nothing: told from the clauses already read)
            if name not in kept and entries_of.get(u[0]) != []:
                if cleanups is None:
                    cleanups = _Cleanups(clauses, per_clause)
                found = _leak(ctx, name, (u,), cleanups, entries_of)
                if found is not None:
                    yield found
            continue
        writes, zeros, reads = u.writes, u.zeros, u.reads
        # assigned but never read
        if (writes or u.partials) and not reads and not u.updates:
            node = (writes or u.partials)[0][1].node
            yield finding("self-unused", node, _UNUSED.format(name))
        if not writes and (zeros or reads) and not u.assigned and name not in declared:
            if assigned_names is None:
                assigned_names = {n for n, u in uses.items()
                                  if u.__class__ is tuple or u.writes or u.updates or u.partials}
            # zeroed but never assigned
            if zeros:
                if leaking is None:
                    leaking = {n for n, u in uses.items()
                               if u.__class__ is tuple or u.writes and not u.zeros and not u.partials}
                hinted += 1
                hint = "" if hinted > _MOST_HINTS else (
                    _did_you_mean(name, leaking - {name}) or _did_you_mean(name, assigned_names - {name}))
                yield finding("self-zero-unassigned", zeros[0][1].node,
                              f"self->{name} is zeroed but never assigned{hint}")
            # read, never assigned or declared
            elif reads:
                hinted += 1
                hint = "" if hinted > _MOST_HINTS else _did_you_mean(name, assigned_names)
                yield finding("self-undefined", reads[0][1].node,
                              f"self->{name} is read but never assigned or declared{hint}")
        # leak: assigned at :entry, never zeroed
        if writes and not zeros and not u.partials and name not in kept:  # (leaking)
            if cleanups is None:
                cleanups = _Cleanups(clauses, per_clause)
            found = _leak(ctx, name, writes, cleanups, entries_of)
            if found is not None:
                yield found
        elif writes and zeros and not u.partials and name not in kept:
            found = _partly_zeroed(ctx, name, u)
            if found is not None:
                yield found

    yield from _read_unset(ctx, uses, per_clause)


def guarded_by_own_negation(predicate, name) -> bool:
    """Does ``predicate`` hold only while ``self->name`` is unset (``!self->name``,
    ``self->name == 0``, as one of its ``&&`` operands)?  Such a clause sets the variable once per
    thread: state kept on purpose, not a leak."""
    stack = [predicate] if predicate is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, t.Binary) and node.op == "&&":
            stack += [node.left, node.right]
        elif isinstance(node, t.Unary) and node.op == "!" and _is_self(node.operand, name):
            return True
        elif (isinstance(node, t.Binary) and node.op == "==" and (
                (_is_self(node.left, name) and is_zero(node.right))
                or (_is_self(node.right, name) and is_zero(node.left)))):
            return True
    return False


def guarded_by_own_value(predicate, name) -> bool:
    """Does ``predicate`` hold only while ``self->name`` is set (``self->name``, ``self->name !=
    0``, ``self->name > 0``, as one of its ``&&`` operands)?  An assignment in such a clause
    replaces a value the thread already holds: it takes no new dynamic-variable space, so it is
    not where the variable leaks (``/self->last/ { ...; self->last = timestamp; }``)."""
    stack = [predicate] if predicate is not None else []
    while stack:
        node = stack.pop()
        if _is_self(node, name):
            return True
        if isinstance(node, t.Binary):
            if node.op == "&&":
                stack += [node.left, node.right]
            elif node.op == "!=" and ((_is_self(node.left, name) and is_zero(node.right))
                                      or (_is_self(node.right, name) and is_zero(node.left))):
                return True
            elif ((node.op == ">" and _is_self(node.left, name) and is_zero(node.right))
                  or (node.op == "<" and _is_self(node.right, name) and is_zero(node.left))):
                return True
    return False


def _is_self(node, name) -> bool:
    return isinstance(node, t.SelfVar) and node.name == name


def leaks(ctx) -> dict[str, str]:
    """name -> the entry probe it is set at, for each thread-local ``self-leak`` reports as never
    zeroed (``import``'s comments on the original's leaks say what this says)."""
    uses, _ = collect(ctx)
    found = {}
    for name, u in uses.items():
        if u.writes and not u.zeros and not u.partials and name not in ctx.options.kept:
            site = _leak_site(ctx, name, u.writes)
            if site is not None:
                found[name] = site[0][0]
    return found


def plain_leaks(clauses, indexes, kept=frozenset()):
    """What :func:`leaks` and :func:`collect` answer for the thread-locals of ``clauses[i]`` for
    ``i`` in ``indexes`` (the clauses a context's :meth:`~Context.holders_known` would gather),
    made in one pass without the context, its accesses and the VarUses: ``(leaks, unzeroed)``,
    ``leaks`` the mapping :func:`leaks` gives (its order aside) (``kept``: the options' kept names) and ``unzeroed`` the
    names assigned, neither zeroed nor partly (written or updated).  Only for clauses with no
    predicate whose statements are leaves or assign a leaf to a leaf (``self->ts = timestamp``:
    the usual clause, whose accesses ``clauses_accesses`` makes without a walk, in the same
    order); None when one of them is not such a clause (the caller asks the context).
    ``import`` of 85,000 one-line entries, each leaking its own thread-local, made 85,000
    Accesses, VarUses and lists for these two answers: a tenth of its work."""
    from dtracepy.checks.context import _LEAVES as leaves

    SelfVar, Assign, ExprStmt, Ident = t.SelfVar, t.Assign, t.ExprStmt, t.Ident
    releases_of = probes.releases_of
    # name -> [where it leaks (the first non-zero write's clause's first entry, None till one
    # has an entry), written non-zero, zeroed, updated]: the VarUses of each, as far as asked
    state: dict = {}
    get = state.get
    for index in range(len(clauses)) if len(indexes) == len(clauses) else sorted(indexes):
        clause = clauses[index]
        if clause.predicate is not None:
            return None
        entry = False  # (the clause's first description that a probe releases: found once asked)
        for stmt in clause.body or ():
            if stmt.__class__ is not ExprStmt:
                return None
            expr = stmt.expr
            if expr.__class__ is not Assign:
                if expr.__class__ not in leaves:
                    return None
                continue  # (a read: neither answer asks of reads)
            target, value = expr.target, expr.value
            if target.__class__ not in leaves or value.__class__ not in leaves:
                return None
            if target.__class__ is not SelfVar:
                continue
            name = target.name
            found = get(name)
            if found is None:
                found = state[name] = [None, False, False, False]
            if expr.op != "=":
                found[3] = True
            elif value.name != "NULL" if value.__class__ is Ident else not is_zero(value):
                found[1] = True
                if found[0] is None:
                    if entry is False:  # (as _leak_site reads a clause with no predicate)
                        entry = None
                        for desc in clause.probes:
                            if releases_of(desc.text):
                                entry = desc.text
                                break
                    found[0] = entry
            else:  # (is_zero: for a name, whether it is NULL)
                found[2] = True
    leaking = {name: found[0] for name, found in state.items()
               if found[1] and not found[2] and found[0] is not None and name not in kept}
    unzeroed = {name for name, found in state.items() if not found[2] and (found[1] or found[3])}
    return leaking, unzeroed


def _leak_site(ctx, name, writes, entries_of=None):
    """(the entry descriptions, clause index, access) of the first of ``writes`` (a thread-local's
    ``(clause index, Access)`` writes) of ``self->name`` that leaks it: at an entry probe, in a
    clause that may run while it is unset; or None.  ``entries_of``: a dict of each clause's entry
    descriptions, kept by a caller that asks for many names (226,000 thread-locals set in one
    clause had its descriptions read 226,000 times)."""
    clauses = ctx.clauses
    for index, access in writes:
        clause = clauses[index]
        # (an entry, or a probe of probes.SPANS: where a later probe on the thread ends it)
        entries = entries_of.get(index) if entries_of is not None else None
        if entries is None:
            entries = [d.text for d in clause.probes if probes.releases_of(d.text)]
            if entries_of is not None:
                entries_of[index] = entries
        if not entries or (not access.in_predicate and clause.predicate is not None
                           and guarded_by_own_value(clause.predicate, name)):
            continue  # (a clause that only runs while the variable is set cannot leak it)
        return entries, index, access
    return None


def _leak(ctx, name, writes, cleanups, entries_of=None):
    """The ``self-leak`` finding of ``self->name``, set (``writes``: see :func:`_leak_site`) and
    never zeroed, or None.  (A function, not a generator: it is asked once for each thread-local
    of a script that may have 100,000.)"""
    site = _leak_site(ctx, name, writes, entries_of)
    if site is None:
        return None
    entries, index, access = site
    clause = ctx.clauses[index]
    if clause.predicate is not None and guarded_by_own_negation(clause.predicate, name):
        return ctx.finding(
            "self-leak", access.node,
            f"self->{name} is set at {entries[0]} only while it is unset (the predicate "
            f"tests !self->{name}), so it is per-thread state kept on purpose: it takes "
            f"dynamic-variable space for each thread that ever sets it; zero it (at thread "
            f"exit, for instance) if threads come and go", severity="warning", fallback=clause)
    # (the cleanup clauses are looked up only when some clause zeroes a thread-local)
    cleanup = cleanups.first([r for e in entries for r in probes.releases_of(e)]) if cleanups.any else None
    message = (f"self->{name} is assigned at {entries[0]} but never zeroed, so it leaks "
               f"dynamic-variable space on every firing; zero it at {_ends(entries[0])}")
    if cleanup is not None:
        message += f" (the cleanup clause{_line(cleanup)} zeroes other thread-locals, not this one)"
        return ctx.finding("self-leak", access.node, message, severity="error", fallback=clause)
    return ctx.finding("self-leak", access.node, message, severity="warning", fallback=clause)


def _ends(entry: str) -> str:
    """Where a thread-local set at ``entry`` is zeroed, in words: its return, or each end of its span."""
    ends = probes.releases_of(entry)
    return ends[0] if len(ends) == 1 else ", ".join(ends[:-1]) + " and " + ends[-1]


def _partly_zeroed(ctx, name, u):
    """A thread-local set at several entry probes and zeroed at the return of some of them only
    (``syscall::read:entry, syscall::write:entry`` set it, ``syscall::read:return`` zeroes it), or
    set where a span begins and zeroed at one of its ends only (``proc:::exec``, zeroed at
    ``exec-success`` but not ``exec-failure``): it leaks whenever the others fire.  Judged only
    where every zeroing is at return probes or span ends (a
    zeroing elsewhere, ``syscall::close:entry``, may be where the script means to end it)."""
    clauses = ctx.clauses
    zero_clauses = {index for index, _ in u.zeros}
    zeroed_at = [d.text for index in sorted(zero_clauses) for d in clauses[index].probes]
    # (each zeroing is where something ends: a return, a span's end)
    if not zeroed_at or not all(map(probes.is_release, zeroed_at)):
        return None
    # whether a return description matches a zeroing's or is matched by one, indexed both ways
    # and answered once per description (trying every zeroing for every entry made a check of
    # 10,000 entry/return clauses quadratic: a minute)
    # (indexed only if some return is not spelled as a zeroing's, which matches it: the usual case)
    as_patterns = as_probes = None
    zeroed: dict[str, bool] = dict.fromkeys(zeroed_at, True)
    covered, missing = [], []
    for index, access in u.writes:
        clause = clauses[index]
        predicate = clause.predicate
        if index in zero_clauses or predicate is not None and (
                guarded_by_own_value(predicate, name) or guarded_by_own_negation(predicate, name)):
            continue
        for desc in clause.probes:
            for ret in probes.releases_of(desc.text):
                hit = zeroed.get(ret)
                if hit is None:
                    if as_patterns is None:
                        as_patterns, as_probes = DescIndex(), DescSet()
                        for z in zeroed_at:
                            as_patterns.add(z, True)
                            as_probes.add(z, True)
                    hit = zeroed[ret] = (next(as_patterns.matching(ret), None) is not None
                                         or next(as_probes.matched_by(ret), None) is not None)
                if hit:
                    covered.append(ret)
                else:
                    missing.append((desc.text, ret, access, clause))
    if covered and missing:
        entry, ret, access, clause = missing[0]
        others = sorted({r for _, r, _, _ in missing} - {ret})
        also = f" (and at {', '.join(others)})" if others else ""
        return ctx.finding(
            "self-leak", access.node,
            f"self->{name} is assigned at {entry} and zeroed at {covered[0]}, but not at {ret}"
            f"{also}: it leaks dynamic-variable space whenever {entry} fires; zero it at {ret} "
            f"too", severity="warning", fallback=clause)
    return None


class _Cleanups:
    """The clauses that zero some thread-local, and for a set of return descriptions the first of
    them whose descriptions match one of those (either way round: ``matches(d, r)`` or
    ``matches(r, d)``).  Both directions are indexed and answers are cached per description, so
    a clause naming thousands of probes costs time linear in their number."""

    def __init__(self, clauses, per_clause):
        self.clauses = clauses
        self.as_patterns = DescIndex()  # cleanup descriptions matching a return description
        self.as_probes = DescSet()      # cleanup descriptions a return description matches
        self.any = False                # (no clause zeroes anything: no description to look up)
        for j, (clause, acc) in enumerate(zip(clauses, per_clause)):
            if any(a.kind == "write" and a.zero for a in acc):
                for d in clause.probes:
                    self.as_patterns.add(d.text, j)
                    self.as_probes.add(d.text, j)
                    self.any = True
        self._cache: dict[str, int | None] = {}

    def _first_for(self, r: str):
        if r not in self._cache:
            self._cache[r] = min((*self.as_patterns.matching(r), *self.as_probes.matched_by(r)), default=None)
        return self._cache[r]

    def first(self, returns):
        if not self.any:
            return None
        best = min((j for j in (self._first_for(r) for r in returns if r is not None) if j is not None),
                   default=None)
        return None if best is None else self.clauses[best]


def _read_unset(ctx, uses, per_clause):
    clauses = ctx.clauses
    earlier = None
    # (only a clause that reads a thread-local can report one: those, in order, not every clause)
    reading = sorted({index for u in uses.values() if u.__class__ is not tuple for index, _ in u.reads})
    for index in reading:
        clause = clauses[index]
        acc = per_clause[index]
        # the usual guard: /self->ts/ (every self-> in the predicate is an access there, listed first)
        if not acc or acc[0].in_predicate:
            continue
        set_here: set[str] = set()
        reported: set[str] = set()
        for a in acc:
            if a.kind != "read":
                set_here.add(a.name)
                continue
            if a.in_predicate or a.guarded or a.name in set_here or a.name in reported:
                continue
            u = uses[a.name]
            if not u.assigned or not (u.writes or u.partials):
                continue  # never assigned (self-undefined), or a counter only ever ++/-- from 0
            if earlier is None:
                earlier = EarlierWrites(clauses, per_clause)
            for d in clause.probes:
                if not earlier.before(index, a.name, d.text):
                    break
            else:
                continue  # (an earlier clause sets it for every probe of this one)
            reported.add(a.name)
            yield ctx.finding(
                "self-read-unset", a.node,
                f"self->{a.name} is read in a clause that can fire before any assignment "
                f"(it is 0 then); guard the clause with a predicate such as /self->{a.name}/",
                fallback=clause)
